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
        found = await store.returning(tx, return_id=return_id)
        items = []
        for r in found:
            if r.chat_id is None:
                continue
            language = language_of(svc, r.language)
            screen = declaration(svc, language, r)
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
        asked = await enqueue_many(tx, items, now=now)
        for r in found:
            await store.audit(
                tx,
                at=now,
                actor_id=opened_by,
                action="return.open",
                person_id=r.person_id,
                scope=f"return:{return_id} {return_date.isoformat()} {audience}",
            )
    svc.wake_outbox()
    log.info("return %d opened: %d people, %d asked", return_id, count, asked)
    return Opened(return_id, count, asked)
