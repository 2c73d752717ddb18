"""Raising an alert for a signal, or folding it into the open alert of its kind, and who it
is routed or escalated to."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import aiosqlite

from bot.alerts import rules
from bot.alerts.cards import add_cards, notify_again, refresh_cards
from bot.alerts.levels import LIAISON_STEPS, STEPS, ack_deadline, higher
from bot.alerts.store import alerts as alert_store
from bot.alerts.store.alerts import Alert
from bot.core.services import Services
from bot.safeguarding.crisis_facts import merge_crisis_facts
from bot.storage import people
from bot.storage.records import Person, StudentInfo


def _signal_parts(signal: rules.Signal) -> tuple[str, str, dict[str, Any]]:
    return value_of(signal.kind), value_of(signal.level), dict(signal.facts)


def value_of(item: Any) -> str:
    return str(getattr(item, "value", item))


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


async def apply_signal(
    tx: aiosqlite.Connection,
    services: Services,
    info: StudentInfo,
    signal: rules.Signal,
    *,
    source: str,
    seen_at: int,
    now: int,
    extra: dict[str, Any] | None = None,
) -> None:
    """Raise a new alert for the signal, or fold it into the open alert of its kind."""
    kind, level, facts = _signal_parts(signal)
    facts.update(extra or {})
    key = f"{kind}:{source}:{digest(json.dumps(facts, sort_keys=True, default=str))}"
    existing = await alert_store.open_alert(tx, info.person.id, kind)
    if await alert_store.signal_seen(tx, key):
        if existing is not None and "corrected" in existing.facts:
            # Answered abnormal again after a correction: the card says so again.
            await alert_store.set_facts(tx, existing.id, facts, now)
            fresh = await alert_store.alert_by_id(tx, existing.id)
            assert fresh is not None
            await refresh_cards(tx, services, fresh, info, now=now)
        return
    said = dict(facts)
    if kind == "crisis":
        facts = merge_crisis_facts(existing.facts if existing is not None else {}, facts)
    student_id = info.person.id
    again = False
    if existing is None:
        alert_id = await alert_store.insert_alert(
            tx,
            student_id=student_id,
            kind=kind,
            level=level,
            seen_at=seen_at,
            facts=facts,
            next_escalation_at=ack_deadline(services, level, now),
            now=now,
        )
        await alert_store.add_event(tx, alert_id, now, None, f"raised:{level}")
        raised = True
    else:
        alert_id = existing.id
        new_level = higher(existing.level, level)
        raised = new_level != existing.level
        next_at = existing.next_escalation_at
        # Past the last escalation step there is nobody further to tell.
        steps = await escalation_steps(services, existing.student_id)
        if existing.state == "open" and raised and existing.escalation_step < len(steps):
            candidate = ack_deadline(services, new_level, now)
            if candidate is not None:
                next_at = candidate if next_at is None else min(next_at, candidate)
        # A later answer of the same check-in (a second symptom ticked) is not a new sighting.
        again = not await alert_store.source_applied(tx, alert_id, f"{kind}:{source}:")
        await alert_store.merge_signal(
            tx,
            alert_id,
            level=new_level,
            seen_at=seen_at,
            facts=facts,
            next_escalation_at=next_at,
            now=now,
            again=again,
        )
        await alert_store.add_event(tx, alert_id, now, None, f"updated:{new_level}")
    await alert_store.claim_signal(tx, key, alert_id, now)
    alert = await alert_store.alert_by_id(tx, alert_id)
    assert alert is not None
    if existing is not None:
        # A higher level must make a sound: the cards are sent again rather than edited.
        await refresh_cards(tx, services, alert, info, now=now, resend=raised)
        if kind == "crisis" and again and not raised:
            # An edit makes no sound, and a student who writes again may be worse.
            await notify_again(tx, services, alert, info, said, level, now)
    routed = await routed_staff(services, alert)
    await add_cards(tx, services, alert, info, routed, reason="routed", now=now)
    due = alert.next_escalation_at
    unreachable = not any(p.chat_id for p in routed)
    if unreachable and alert.escalation_step == 0 and due is not None and due > now:
        # Nobody it is for has linked Telegram: waiting for their answer only delays it.
        await alert_store.escalate_now(tx, alert.id, now)


async def routed_staff(services: Services, alert: Alert) -> list[Person]:
    audiences = {
        value_of(a) for a in rules.route(rules.AlertKind(alert.kind), rules.Level(alert.level))
    }
    staff = await people.staff_for_student(services.db, alert.student_id)
    subject = await people.person_by_id(services.db, alert.student_id)
    if subject is not None and not subject.is_student:
        # An isolated staff member's alerts, whatever their kind, are for the school doctor
        # and the school admin (the bureau admins for bureau staff), never for colleagues.
        return [p for p in staff if p.role == "doctor" or _admin_over(p, subject)]
    return [p for p in staff if p.role in audiences]


def _admin_over(admin: Person, staff: Person) -> bool:
    return admin.role == "admin" and admin.school_id == staff.school_id


async def escalation_steps(services: Services, student_id: int) -> dict[int, str]:
    """The ranks an alert about this person escalates through."""
    return LIAISON_STEPS if await people.liaisons_of(services.db, student_id) else STEPS


async def escalation_targets(services: Services, alert: Alert, rank: str) -> list[Person]:
    if rank == "liaison":
        return await people.liaisons_of(services.db, alert.student_id)
    staff = await people.staff_for_student(services.db, alert.student_id)
    admins = [p for p in staff if p.role == "admin"]
    if rank == "school_admin":
        return [p for p in admins if p.school_id is not None]
    # The bureau at large: a liaison of other schools is not over this one.
    liaisons = await people.liaison_ids(services.db)
    return [p for p in admins if p.school_id is None and p.id not in liaisons]
