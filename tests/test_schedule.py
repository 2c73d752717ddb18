"""The check-in timetable: slot times, reminders, closing, the next slot and the screen day."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.checkins import schedule
from bot.core.clock import epoch
from bot.core.config import Checkins, Slot

TZ = ZoneInfo("Asia/Shanghai")
CFG = Checkins()


def at(day: int, hour: int, minute: int = 0) -> int:
    return epoch(datetime(2026, 11, day, hour, minute, tzinfo=TZ))


def test_default_slots_of_a_day() -> None:
    morning, noon = schedule.slot_times(CFG, date(2026, 11, 30), TZ)
    assert (morning.name, morning.index, morning.local_date) == ("morning", 0, "2026-11-30")
    assert morning.opens_at == at(30, 7, 30)
    assert morning.reminders_at == (at(30, 8), at(30, 8, 30))
    assert morning.closes_at == at(30, 10, 30)
    assert noon.opens_at == at(30, 12, 30) and noon.closes_at == at(30, 15, 30)


def test_started_slots_include_yesterday_and_only_what_has_begun() -> None:
    started = schedule.started_slots(CFG, TZ, at(30, 7, 29))
    assert [(s.local_date, s.name) for s in started] == [
        ("2026-11-29", "morning"),
        ("2026-11-29", "noon"),
    ]
    started = schedule.started_slots(CFG, TZ, at(30, 7, 30))
    assert started[-1].local_date == "2026-11-30" and started[-1].name == "morning"


def test_next_slot_today_and_tomorrow() -> None:
    assert schedule.next_slot(CFG, TZ, at(30, 10, 30)).opens_at == at(30, 12, 30)
    assert schedule.next_slot(CFG, TZ, at(30, 7, 30)).name == "noon"
    late = schedule.next_slot(CFG, TZ, at(30, 20))
    assert late.local_date == "2026-12-01" and late.name == "morning"


def test_screen_replaces_mood_in_the_first_slot_of_the_weekday_only() -> None:
    # 2026-12-02 is a Wednesday, the default screen day.
    assert schedule.is_screen_slot(CFG, "2026-12-02", 0)
    assert not schedule.is_screen_slot(CFG, "2026-12-02", 1)
    assert not schedule.is_screen_slot(CFG, "2026-12-01", 0)


def test_configured_slots_and_a_window_past_midnight() -> None:
    cfg = dataclasses.replace(
        CFG, slots=(Slot("evening", time(22, 0)),), reminder_minutes=(15,), window_minutes=180
    )
    [evening] = schedule.slot_times(cfg, date(2026, 11, 30), TZ)
    assert evening.closes_at == epoch(datetime(2026, 12, 1, 1, 0, tzinfo=TZ))
    after_midnight = epoch(datetime(2026, 12, 1, 0, 30, tzinfo=TZ))
    assert [s.local_date for s in schedule.started_slots(cfg, TZ, after_midnight)] == [
        "2026-11-30"
    ]


def test_local_date_and_clock_time_follow_the_zone() -> None:
    # 23:30 UTC is 07:30 the next morning in Shanghai.
    seconds = epoch(datetime(2026, 11, 29, 23, 30, tzinfo=ZoneInfo("UTC")))
    assert schedule.local_date(seconds, TZ) == "2026-11-30"
    assert schedule.clock_time(seconds, TZ) == "07:30"
    assert schedule.same_day(seconds, at(30, 23, 59), TZ)
