"""People who left: their unresolved alerts handed to whoever holds the role now."""

from __future__ import annotations

import logging

from bot.alerts.cards import add_cards, refresh_cards
from bot.alerts.escalation import escalate
from bot.alerts.levels import ack_deadline
from bot.alerts.raising import routed_staff
from bot.alerts.store import alerts as alert_store
from bot.core.services import Services
from bot.storage import people
from bot.storage.records import Person

log = logging.getLogger(__name__)


async def reroute_from(services: Services, departed: Person) -> int:
    """Hand the unresolved alerts a departed (or unbound) person held to whoever is routed to
    them now; an alert with nobody of that role left goes to the admins at once. Returns how
    many alerts were handed on; each is recorded in alert_events."""
    now = services.now()
    moved = 0
    for alert_id in await alert_store.unresolved_held_by(services.db, departed.id):
        alert = await alert_store.alert_by_id(services.db, alert_id)
        info = await people.student_info(services.db, alert.student_id) if alert else None
        if alert is None or info is None:
            continue
        routed = [
            p for p in await routed_staff(services, alert) if p.chat_id and p.id != departed.id
        ]
        async with services.db.transaction() as tx:
            # An alert its owner took cannot wait for someone who is gone.
            await alert_store.reopen(
                tx, alert_id, departed.id, ack_deadline(services, alert.level, now), now
            )
            await alert_store.add_event(tx, alert_id, now, None, "rerouted")
            current = await alert_store.alert_by_id(tx, alert_id)
            assert current is not None
            await refresh_cards(tx, services, current, info, now=now)
            await add_cards(tx, services, current, info, routed, reason="routed", now=now)
        heir = any(p.role == departed.role for p in routed)
        if not heir and current.state == "open" and current.escalation_step == 0:
            await escalate(services, alert_id, now)
        moved += 1
    if moved:
        log.info("%d alert(s) of person %d handed on", moved, departed.id)
        services.wake_outbox()
    return moved
