"""Escalation: the next rank of admins for every open alert nobody took in time."""

from __future__ import annotations

import logging

from bot.alerts.cards import add_cards, refresh_cards
from bot.alerts.levels import ack_deadline
from bot.alerts.raising import escalation_steps, escalation_targets
from bot.alerts.store import alerts as alert_store
from bot.core.services import Services
from bot.storage import people
from bot.storage.records import Person

log = logging.getLogger(__name__)


async def escalate_due(services: Services) -> int:
    """Add the next rank of admins to every open alert nobody took in time; returns how many
    alerts moved a step. Each step is recorded in alert_events."""
    now = services.now()
    moved = 0
    for alert_id in await alert_store.due_escalations(services.db, now):
        if await escalate(services, alert_id, now):
            moved += 1
    if moved:
        services.wake_outbox()
    return moved


async def escalate(services: Services, alert_id: int, now: int) -> bool:
    alert = await alert_store.alert_by_id(services.db, alert_id)
    if alert is None or alert.state != "open":
        return False
    info = await people.student_info(services.db, alert.student_id)
    if info is None:
        return False
    steps = await escalation_steps(services, alert.student_id)
    async with services.db.transaction() as tx:
        current = await alert_store.alert_by_id(tx, alert_id)
        if current is None or current.state != "open" or current.escalation_step >= len(steps):
            if current is not None and current.state == "open":
                await alert_store.set_escalation(tx, alert_id, current.escalation_step, None, now)
            return False
        step = current.escalation_step
        targets: list[Person] = []
        # A rank with nobody reachable is recorded and passed over at once.
        while not targets and step < len(steps):
            step += 1
            targets = [
                p for p in await escalation_targets(services, current, steps[step]) if p.chat_id
            ]
            last = step == len(steps)
            next_at = None if last else ack_deadline(services, current.level, now)
            await alert_store.set_escalation(tx, alert_id, step, next_at, now)
            await alert_store.add_event(tx, alert_id, now, None, f"escalated:{step}")
        current = await alert_store.alert_by_id(tx, alert_id)
        assert current is not None
        await refresh_cards(tx, services, current, info, now=now)
        # A liaison is a bureau officer: their card is a bureau card (alert_cards.reason).
        reason = "bureau_admin" if steps[step] == "liaison" else steps[step]
        await add_cards(tx, services, current, info, targets, reason=reason, now=now)
    log.info("alert %d escalated to step %d", alert_id, step)
    return True
