"""Alert levels and escalation steps: when an alert of a level is overdue, when its card may
be delivered (quiet hours), and which outbox lane it takes."""

from __future__ import annotations

from bot.alerts import quiet
from bot.core.clock import from_epoch
from bot.core.services import Services
from bot.delivery.outbox import Lane

LEVELS = ("info", "warning", "urgent")
# Escalation steps after the routed recipients: who is added, as alert_cards.reason.
STEPS = {1: "school_admin", 2: "bureau_admin"}
# With a bureau liaison (包联) for the student's school, they come before the bureau at large.
LIAISON_STEPS = {1: "school_admin", 2: "liaison", 3: "bureau_admin"}


def higher(a: str, b: str) -> str:
    return a if LEVELS.index(a) >= LEVELS.index(b) else b


def _ack_seconds(services: Services, level: str) -> int | None:
    settings = services.config.alerts
    if level == "urgent":
        return settings.ack_urgent_minutes * 60
    if level == "warning":
        return settings.ack_warning_minutes * 60
    return None


def ack_deadline(services: Services, level: str, now: int) -> int | None:
    """When an alert of this level raised (or escalated) now is overdue, or None if never."""
    ack = _ack_seconds(services, level)
    if ack is None:
        return None
    settings = services.config.alerts
    when = quiet.ack_deadline(
        from_epoch(now), ack, level, settings.quiet_start, settings.quiet_end, services.tz
    )
    return int(when.timestamp())


def deliver_at(services: Services, level: str, now: int) -> int:
    settings = services.config.alerts
    when = quiet.deliver_at(
        from_epoch(now), level, settings.quiet_start, settings.quiet_end, services.tz
    )
    return int(when.timestamp())


def lane(level: str) -> Lane:
    return Lane.URGENT if level == "urgent" else Lane.ALERT
