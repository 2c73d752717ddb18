"""The hand-off of stored and settled check-ins to the alert rules, through the hooks on
Services that bot.app wires (check-ins do not import the alerts capability)."""

from __future__ import annotations

import logging

from bot.alerts import rules
from bot.checkins.screens import said, t, voiced
from bot.checkins.store import checkins as checkin_store
from bot.checkins.store.checkins import Checkin
from bot.core.services import Services
from bot.delivery.outbox import Lane, enqueue, message
from bot.storage import people
from bot.storage.records import Person

log = logging.getLogger(__name__)


async def on_answer_stored(
    svc: Services, c: Checkin, student: Person, language: str, now: int
) -> None:
    """Hand a stored answer to the alert rules at once (a fever typed and then abandoned still
    alerts), and tell a student who ticked an emergency symptom what to do now."""
    flags = rules.red_flags(
        frozenset(c.symptoms or ()), rules.Thresholds.from_config(svc.config.alerts)
    )
    if flags and student.chat_id is not None:
        async with svc.db.transaction() as tx:
            await enqueue(
                tx,
                message(
                    f"ci:{c.id}:red_flag:{','.join(flags)}",
                    Lane.URGENT,
                    student.chat_id,
                    await _red_flag_advice(svc, c, student, language),
                    person_id=student.id,
                ),
                now=now,
            )
        svc.wake_outbox()
    if svc.on_checkin_answers is None:
        return
    try:
        await svc.on_checkin_answers(svc, c.id)
    except Exception:
        # The answer is committed; submitting (or closing) evaluates it again.
        log.exception("evaluating the answers of check-in %d failed", c.id)


async def _red_flag_advice(svc: Services, c: Checkin, answerer: Person, language: str) -> str:
    """What to do now: said to the student (or isolated staff member), or to the guardian who
    ticked it for the child."""
    if answerer.id == c.student_id:
        return t(svc, language, voiced("red_flag_advice", answerer.is_staff))
    child = await people.person_by_id(svc.db, c.student_id)
    return said(svc, language, "red_flag_advice", child.name if child else "")


async def on_settled(svc: Services, checkin_id: int) -> None:
    """Hand a finished or missed check-in to the alert rules (the one outcome hook)."""
    if svc.on_checkin_settled is None:
        return
    try:
        await svc.on_checkin_settled(svc, checkin_id)
    except Exception:
        # The answer is committed; the alerts job re-evaluates whatever evaluated_at misses.
        log.exception("evaluating check-in %d failed; left for the alerts job", checkin_id)


async def hand_on_unevaluated(svc: Services, limit: int = 200) -> int:
    """Hand the alert rules again the settled check-ins a crash or a failed hook left
    unevaluated, oldest first; returns how many."""
    if svc.on_checkin_settled is None:
        return 0
    ids = await checkin_store.pending_evaluations(svc.db, limit)
    for checkin_id in ids:
        await svc.on_checkin_settled(svc, checkin_id)
    return len(ids)
