"""Opening a return: for a date and an audience (a school, a class, those whose isolation
ends), each returning person with an account is sent the declaration."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

from bot.core.services import Services
from bot.delivery.outbox import Lane, enqueue_many, message
from bot.returns import store
from bot.returns.declaration import declaration, language_of

log = logging.getLogger(__name__)
# People whose declarations are queued in one write transaction: about 0.2 s of rendering and
# inserting on a loaded 2-core machine, far below the 5 s other writers wait for the lock.
CHUNK = 1000

_DATE = re.compile(r"(?:(?P<y>\d{4})[-/.])?(?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")


@dataclass(frozen=True)
class Opened:
    return_id: int
    people: int
    asked: int


def parse_return_date(text: str, today: date) -> date | None:
    """A return date as a teacher types it (2026-12-03, 2026/12/03, 12-03, 12/03, 12.03):
    today or later; a day without a year is the next one to come."""
    found = _DATE.fullmatch(text.strip())
    if found is None:
        return None
    year = int(found["y"]) if found["y"] else today.year
    try:
        day = date(year, int(found["m"]), int(found["d"]))
        if day < today and not found["y"]:
            day = day.replace(year=year + 1)
    except ValueError:
        return None
    return day if day >= today else None


async def open_return(
    svc: Services,
    *,
    return_date: date,
    school_ids: list[int],
    class_id: int | None = None,
    ending: bool = False,
    opened_by: int | None,
    now: int,
) -> Opened:
    """Open the return and send each returning person with an account the declaration."""
    audience = "ending" if ending else (f"class:{class_id}" if class_id else "school")
    # Adding the people (and their audit rows) is one short transaction; the declarations
    # follow in chunks, so no write waits behind a county's worth of them.
    async with svc.db.transaction() as tx:
        return_id, count = await store.open_return(
            tx,
            return_date=return_date.isoformat(),
            audience=audience,
            school_ids=school_ids,
            class_id=class_id,
            ending=ending,
            opened_by=opened_by,
            now=now,
        )
    asked = await ask_waiting(svc, now) if count else 0
    log.info("return %d opened: %d people, %d asked", return_id, count, asked)
    return Opened(return_id, count, asked)


async def ask_waiting(svc: Services, now: int) -> int:
    """Queue the declaration of everyone waiting in an open return who has not been sent it,
    CHUNK people a transaction; returns how many were queued. Each person's outbox key is
    unique, so an opening stopped part-way (a crash) is finished by the next call without
    asking anyone twice; the rounds job calls it, which also asks those who linked since."""
    asked = 0
    while waiting := await store.not_asked(svc.db, limit=CHUNK):
        by_return: dict[int, list[int]] = {}
        for return_id, person_id in waiting:
            by_return.setdefault(return_id, []).append(person_id)
        items = []
        for return_id, person_ids in by_return.items():
            for r in await store.returning(svc.db, return_id=return_id, person_ids=person_ids):
                if r.chat_id is None:
                    continue
                screen = declaration(svc, language_of(svc, r.language), r)
                items.append(
                    message(
                        f"rt:{return_id}:{r.person_id}:ask",
                        Lane.CHECKIN,
                        r.chat_id,
                        screen.text,
                        keyboard=screen.keyboard,
                        person_id=r.person_id,
                    )
                )
        async with svc.db.transaction() as tx:
            queued = await enqueue_many(tx, items, now=now)
        asked += queued
        svc.wake_outbox()
        if not queued:
            # Nothing new could be queued (the rows vanished meanwhile): do not spin.
            break
    return asked
