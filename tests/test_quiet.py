"""Quiet hours: info and warning cards wait for the end of the window, urgent never waits."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.alerts.quiet import ack_deadline, deliver_at, in_quiet_hours

TZ = ZoneInfo("Asia/Shanghai")
START, END = time(22, 0), time(7, 0)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    ("when", "quiet"),
    [
        (local(30, 21, 59), False),
        (local(30, 22, 0), True),
        (local(30, 23, 0), True),
        (local(30, 0, 30), True),
        (local(30, 6, 59), True),
        (local(30, 7, 0), False),
        (local(30, 12, 0), False),
    ],
)
def test_window_spans_midnight(when: datetime, quiet: bool) -> None:
    assert in_quiet_hours(when, START, END, TZ) is quiet


def test_warning_at_23_waits_for_7_next_morning() -> None:
    assert deliver_at(local(29, 23, 0), "warning", START, END, TZ) == local(30, 7, 0)


def test_info_after_midnight_waits_for_7_same_morning() -> None:
    assert deliver_at(local(30, 2, 15), "info", START, END, TZ) == local(30, 7, 0)


def test_urgent_never_waits() -> None:
    assert deliver_at(local(29, 23, 0), "urgent", START, END, TZ) == local(29, 23, 0)


def test_outside_quiet_hours_goes_at_once() -> None:
    assert deliver_at(local(30, 9, 0), "warning", START, END, TZ) == local(30, 9, 0)


def test_daytime_window_and_no_window() -> None:
    assert deliver_at(local(30, 13, 0), "info", time(12, 0), time(14, 0), TZ) == local(30, 14, 0)
    assert deliver_at(local(30, 23, 0), "info", time(0, 0), time(0, 0), TZ) == local(30, 23, 0)


def test_result_is_utc_when_given_utc() -> None:
    when = local(29, 23, 0).astimezone(ZoneInfo("UTC"))
    assert deliver_at(when, "warning", START, END, TZ) == local(30, 7, 0)


@pytest.mark.parametrize(
    ("when", "level", "minutes", "due"),
    [
        # An hour to answer from 21:30: half before the night, half after it.
        (local(29, 21, 30), "warning", 60, local(30, 7, 30)),
        (local(29, 20, 0), "warning", 60, local(29, 21, 0)),
        (local(29, 21, 0), "warning", 60, local(29, 22, 0)),
        # Raised at night: delivered at 07:00, overdue an hour later.
        (local(29, 23, 0), "warning", 60, local(30, 8, 0)),
        # Urgent counts every minute, night or day.
        (local(29, 21, 55), "urgent", 10, local(29, 22, 5)),
        # More than a day's waking hours: a night, a whole day, another night.
        (local(29, 21, 0), "warning", 16 * 60 + 30, datetime(2026, 12, 1, 7, 30, tzinfo=TZ)),
    ],
)
def test_ack_deadline_counts_waking_time(
    when: datetime, level: str, minutes: int, due: datetime
) -> None:
    assert ack_deadline(when, minutes * 60, level, START, END, TZ) == due


def test_ack_deadline_without_quiet_hours_is_plain_addition() -> None:
    when = local(29, 23, 0)
    assert ack_deadline(when, 3600, "warning", time(0), time(0), TZ) == local(30, 0, 0)
