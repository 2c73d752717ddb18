"""Pure check-in timetable: when each slot of a day opens, reminds and closes, and its name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.clock import epoch
from bot.core.config import WEEKDAYS, Checkins, Config
from bot.core.i18n import Catalog


@dataclass(frozen=True)
class SlotTimes:
    """One slot of one local day, as epoch seconds."""

    local_date: str
    index: int
    name: str
    opens_at: int
    reminders_at: tuple[int, ...]
    closes_at: int


def plans(config: Config) -> list[tuple[str, Checkins]]:
    """Every timetable the bot runs: the county's (plan '') and each school's own (一校一策)."""
    return [("", config.checkins)] + [
        (p.name, p.checkins(config.checkins)) for p in config.schools
    ]


def plan_name(config: Config, school: str | None) -> str:
    """The plan a school's people follow: the school's name if it has one, else ''."""
    return school if school and config.plan(school) is not None else ""


def plans_in_view(config: Config, schools: Iterable[str], round_plans: Iterable[str]) -> list[str]:
    """The timetables a view over several schools shows, county first: those the schools of
    its isolated people follow and those of the rounds they were asked in today; the county's
    when there is none."""
    wanted = {plan_name(config, school) for school in schools} | set(round_plans)
    return [name for name, _ in plans(config) if name in wanted] or [""]


def local_date(seconds: int, tz: ZoneInfo) -> str:
    """The 'YYYY-MM-DD' day an epoch second falls on in the configured zone."""
    return datetime.fromtimestamp(seconds, tz).date().isoformat()


def slot_times(checkins: Checkins, day: date, tz: ZoneInfo) -> list[SlotTimes]:
    """Every slot of a local day; wall-clock times, so a DST change keeps 07:30 at 07:30."""
    slots = []
    for index, slot in enumerate(checkins.slots):
        opens = datetime.combine(day, slot.time, tzinfo=tz)
        opens_at = epoch(opens)
        slots.append(
            SlotTimes(
                local_date=day.isoformat(),
                index=index,
                name=slot.name,
                opens_at=opens_at,
                reminders_at=tuple(opens_at + m * 60 for m in checkins.reminder_minutes),
                closes_at=opens_at + checkins.window_minutes * 60,
            )
        )
    return slots


def started_slots(checkins: Checkins, tz: ZoneInfo, now: int) -> list[SlotTimes]:
    """Slots of yesterday and today whose time has come, oldest first.

    Yesterday counts because a late slot's window may run past midnight, and a bot that was
    down overnight must still record yesterday's last round.
    """
    today = datetime.fromtimestamp(now, tz).date()
    days = (today - timedelta(days=1), today)
    return [s for d in days for s in slot_times(checkins, d, tz) if s.opens_at <= now]


def next_slot(checkins: Checkins, tz: ZoneInfo, now: int) -> SlotTimes:
    """The first slot opening strictly after now."""
    today = datetime.fromtimestamp(now, tz).date()
    for day in (today, today + timedelta(days=1)):
        for slot in slot_times(checkins, day, tz):
            if slot.opens_at > now:
                return slot
    raise AssertionError("a day always has at least one slot")  # config guarantees it


def is_screen_slot(checkins: Checkins, day: str, index: int) -> bool:
    """The weekly wellbeing screen replaces mood in the first slot of the configured weekday."""
    weekday = WEEKDAYS[date.fromisoformat(day).weekday()]
    return index == 0 and weekday == checkins.screen_weekday


def clock_time(seconds: int, tz: ZoneInfo) -> str:
    """'HH:MM' in the configured zone, as students read it."""
    return datetime.fromtimestamp(seconds, tz).strftime("%H:%M")


def same_day(a: int, b: int, tz: ZoneInfo) -> bool:
    return local_date(a, tz) == local_date(b, tz)


def slot_name(catalog: Catalog, language: str, slot: str) -> str:
    """A slot as people read it (晨检, or its label in config); a slot named nowhere (a config
    edited since) reads as a check-in, never as its code."""
    return catalog.t_or(language, f"checkin.slot.{slot}", catalog.t(language, "checkin.slot_any"))
