"""Staff quiet hours: when an alert card may reach a staff member. Pure, no I/O."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo


def in_quiet_hours(when: datetime, start: time, end: time, tz: tzinfo) -> bool:
    """Whether a moment falls in the quiet window [start, end) local time; it may span midnight."""
    if start == end:
        return False
    local = when.astimezone(tz).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end


def deliver_at(when: datetime, level: str, start: time, end: time, tz: tzinfo) -> datetime:
    """When a card of this level raised at `when` should reach staff.

    Urgent never waits. Info and warning raised inside quiet hours wait for the window's end
    (the next local `end` after `when`); otherwise they go at once.
    """
    if level == "urgent" or not in_quiet_hours(when, start, end, tz):
        return when
    local = when.astimezone(tz)
    release = datetime.combine(local.date(), end, tzinfo=tz)
    if release <= local:
        release = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=tz)
    return release.astimezone(when.tzinfo)
