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


def ack_deadline(
    when: datetime, seconds: int, level: str, start: time, end: time, tz: tzinfo
) -> datetime:
    """When a card of this level raised at `when` is overdue: `seconds` of its readers' waking
    time after it reaches them. Urgent counts every second; info and warning do not count
    quiet hours, so a warning at 21:30 with an hour to answer is overdue at 07:30, not 22:30."""
    deadline = deliver_at(when, level, start, end, tz)
    if level == "urgent" or start == end:
        return deadline + timedelta(seconds=seconds)
    remaining = timedelta(seconds=seconds)
    while True:
        local = deadline.astimezone(tz)
        quiet_from = datetime.combine(local.date(), start, tzinfo=tz)
        if quiet_from <= local:
            quiet_from = datetime.combine(local.date() + timedelta(days=1), start, tzinfo=tz)
        if local + remaining <= quiet_from:
            return (local + remaining).astimezone(when.tzinfo)
        remaining -= quiet_from - local
        deadline = deliver_at(quiet_from, level, start, end, tz)
