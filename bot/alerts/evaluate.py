"""Evaluating what students answered or failed to do: the rules over a check-in and its
history, and an unreachable student, raised as alerts."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

import aiosqlite

from bot.alerts import rules
from bot.alerts.cards import refresh_cards
from bot.alerts.raising import apply_signal, value_of
from bot.alerts.store import alerts as alert_store
from bot.checkins import evaluation
from bot.core.services import Services
from bot.guardians import nudges
from bot.storage import people
from bot.storage.records import StudentInfo

if TYPE_CHECKING:
    from bot.checkins.store.checkins import Checkin

log = logging.getLogger(__name__)


def thresholds(services: Services) -> rules.Thresholds:
    return rules.Thresholds.from_config(services.config.alerts)


async def evaluate_checkin(services: Services, checkin_id: int) -> None:
    """Run the rules over a settled check-in and the student's history, raise or update the
    alerts, and mark it evaluated, all in one transaction; a second evaluation changes nothing."""
    db = services.db
    found = await evaluation.settled(db, checkin_id)
    if found is None:
        return
    checkin, current, earlier = found.checkin, found.current, found.earlier
    info = await people.student_info(db, checkin.student_id)
    if checkin.status == "missed":
        signals = rules.evaluate_missed(current, earlier, thresholds(services))
    else:
        signals = rules.evaluate_checkin(current, earlier, thresholds(services))
    now = services.now()
    seen_at = checkin.answered_at or now
    async with db.transaction() as tx:
        if info is not None:
            for signal in signals:
                await apply_signal(
                    tx, services, info, signal, source=f"ci:{checkin_id}", seen_at=seen_at, now=now
                )
            if checkin.status == "answered":
                await _corrections(tx, services, info, checkin, signals, now)
        await evaluation.mark_evaluated(tx, checkin_id, now)
    if signals:
        log.info("check-in %d raised %d signal(s)", checkin_id, len(signals))
        services.wake_outbox()


async def evaluate_answers(services: Services, checkin_id: int) -> list[rules.Signal]:
    """Raise or update alerts from the answers of a check-in still being filled in, the moment
    they are stored; submitting later finds the same signals already applied. Returns them."""
    db = services.db
    found = await evaluation.being_answered(db, checkin_id)
    if found is None:
        return []
    checkin = found.checkin
    info = await people.student_info(db, checkin.student_id)
    if info is None:
        return []
    current = dataclasses.replace(found.current, screen=rules.partial_screen(checkin.screen))
    signals = rules.evaluate_answers(current, thresholds(services))
    now = services.now()
    async with db.transaction() as tx:
        for signal in signals:
            await apply_signal(
                tx, services, info, signal, source=f"ci:{checkin_id}", seen_at=now, now=now
            )
        await _corrections(tx, services, info, checkin, signals, now)
    if signals:
        services.wake_outbox()
    return signals


async def _corrections(
    tx: aiosqlite.Connection,
    services: Services,
    info: StudentInfo,
    checkin: Checkin,
    signals: list[rules.Signal],
    now: int,
) -> None:
    """A fever or symptom alert this check-in raised, answered again below the line: the cards
    say what it is now, so the owner can resolve it with one tap instead of guessing."""
    raised = {value_of(s.kind) for s in signals}
    corrected: dict[str, str] = {}
    if checkin.temperature_status == "not_measured":
        corrected["fever"] = "not_measured"
    elif checkin.temperature_status == "measured" and checkin.temperature_c is not None:
        corrected["fever"] = f"{checkin.temperature_c:.1f} °C"
    if checkin.symptoms == ():
        corrected["symptoms"] = "no_symptoms"
    for kind, value in corrected.items():
        if kind in raised:
            continue
        existing = await alert_store.open_alert(tx, info.person.id, kind)
        if existing is None or existing.facts.get("corrected") == value:
            continue
        if not await alert_store.source_applied(tx, existing.id, f"{kind}:ci:{checkin.id}:"):
            continue
        await alert_store.set_facts(tx, existing.id, {**existing.facts, "corrected": value}, now)
        await alert_store.add_event(tx, existing.id, now, None, "corrected")
        fresh = await alert_store.alert_by_id(tx, existing.id)
        assert fresh is not None
        await refresh_cards(tx, services, fresh, info, now=now)


async def on_unreachable(services: Services, person_id: int) -> None:
    """The bot cannot reach this person: for a student, tell the class teacher and the
    primary guardian."""
    info = await people.student_info(services.db, person_id)
    if info is None or not info.person.is_student:
        return
    now = services.now()
    since = info.person.unreachable_at or now
    async with services.db.transaction() as tx:
        await apply_signal(
            tx,
            services,
            info,
            rules.unreachable_signal(),
            source=f"unreachable:{since}",
            seen_at=since,
            now=now,
        )
        await nudges.tell_unreachable(
            tx, services.catalog, services.config.general.language, info.person, since, now
        )
    services.wake_outbox()
