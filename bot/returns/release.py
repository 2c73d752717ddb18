"""The return date itself (the cleared are released with their school's message) and the day
before (the bureau and liaisons hear which schools are not ready)."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from bot.checkins import schedule
from bot.core.clock import epoch
from bot.core.services import Services
from bot.delivery.outbox import Lane, enqueue_many, message
from bot.isolation import periods as isolation
from bot.returns import store
from bot.returns.declaration import language_of
from bot.returns.readiness import UNDECIDED
from bot.storage import people

log = logging.getLogger(__name__)


async def release_due(svc: Services, now: int) -> int:
    """On the return date, end the isolation of everyone cleared, with their school's return
    message; the held and the undecided stay isolated. Returns how many were released."""
    today = schedule.local_date(now, svc.tz)
    released = 0
    for return_id in await store.due_returns(svc.db, today):
        for r in await store.returning(svc.db, return_id=return_id):
            if r.status != "cleared":
                continue
            person = await people.person_by_id(svc.db, r.person_id)
            if person is None:
                continue
            await isolation.end_isolation(svc, person, actor_id=None, now=now)
            async with svc.db.transaction() as tx:
                await store.mark_released(tx, return_id, r.person_id, now)
            released += 1
        async with svc.db.transaction() as tx:
            await store.mark_released(tx, return_id, None, now)
    if released:
        log.info("%d people released on their return date", released)
    return released


async def warn_due(svc: Services, now: int) -> int:
    """At [returns] warn_time the day before a return, tell the bureau at large which schools
    are not ready (anyone undecided), and each liaison about their own schools."""
    local = datetime.fromtimestamp(now, svc.tz)
    warn_at = epoch(datetime.combine(local.date(), svc.config.returns.warn_time, svc.tz))
    if now < warn_at:
        return 0
    tomorrow = (local.date() + timedelta(days=1)).isoformat()
    due = await store.to_warn(svc.db, tomorrow)
    if not due:
        return 0
    # One message per officer for all of tomorrow's returns: schools are what they act on.
    not_ready: dict[int | None, Counter[str]] = defaultdict(Counter)
    names: dict[int | None, str] = {}
    for return_id in due:
        for r in await store.returning(svc.db, return_id=return_id):
            names[r.school_id] = r.school_name
            if r.status in UNDECIDED:
                not_ready[r.school_id][r.status] += 1
    items = []
    t = svc.catalog.t
    for officer in await people.bureau_officers(svc.db):
        mine = await people.liaison_school_ids(svc.db, officer.id)
        schools = [s for s in not_ready if not mine or s in mine]
        if officer.chat_id is None or not schools:
            continue
        language = language_of(svc, officer.language)
        lines = [t(language, "returns.warn.title", date=tomorrow, count=len(schools))]
        for s in sorted(schools, key=lambda s: names[s]):
            c = not_ready[s]
            lines.append(
                t(
                    language,
                    "returns.warn.line",
                    school=names[s],
                    waiting=c["waiting"],
                    undecided=c["ready"] + c["flagged"],
                )
            )
        items.append(
            message(
                f"rt:{tomorrow}:warn:{officer.id}",
                Lane.ALERT,
                officer.chat_id,
                "\n".join(lines),
                person_id=officer.id,
            )
        )
    async with svc.db.transaction() as tx:
        queued = await enqueue_many(tx, items, now=now)
        for return_id in due:
            await store.mark_warned(tx, return_id, now)
    if queued:
        svc.wake_outbox()
    return queued
