"""The alert rules: pure functions from a check-in and the student's history to signals.

Sources of the defaults: 37.3 °C is the Chinese school screening line, 38.0 °C the common
clinical fever line; PHQ-4 subscales (GAD-2, PHQ-2) flag at 3 and the total's severe band is 9-12.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from statistics import mean
from typing import Literal

from bot.core.config import Alerts


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    URGENT = "urgent"


class Audience(StrEnum):
    TEACHER = "teacher"
    DOCTOR = "doctor"
    COUNSELOR = "counselor"


class AlertKind(StrEnum):
    FEVER = "fever"
    SYMPTOMS = "symptoms"
    LOW_MOOD = "low_mood"
    MOOD_TREND = "mood_trend"
    # One kind for both screen levels, so a severe result updates the open subscale alert.
    SCREEN = "screen"
    CRISIS = "crisis"
    MISSED_RUN = "missed"
    UNREACHABLE = "unreachable"
    TEMP_RISING = "temp_rising"
    COPIED_ANSWERS = "copied"


@dataclass(frozen=True)
class CheckinFacts:
    """One check-in as the rules see it."""

    checkin_id: int
    local_date: date
    slot_index: int
    status: Literal["answered", "missed", "not_sent"]
    temperature_c: float | None
    symptoms: frozenset[str]
    mood: int | None
    screen: tuple[int, int, int, int] | None


@dataclass(frozen=True)
class Thresholds(Alerts):
    """The [alerts] settings the rules read: the config's own fields and defaults, so a new
    threshold is declared once, in bot.core.config."""

    @classmethod
    def from_config(cls, alerts: Alerts) -> Thresholds:
        return cls(**{f.name: getattr(alerts, f.name) for f in fields(Alerts)})


# A fact is what the card's wording shows; a tuple is drawn as a list (codes) or a sequence.
Fact = str | int | float | tuple[str, ...] | tuple[int, ...] | tuple[float, ...]


@dataclass(frozen=True)
class Signal:
    kind: AlertKind
    level: Level
    audience: frozenset[Audience]
    facts: Mapping[str, Fact] = field(default_factory=dict)


_T, _D, _C = Audience.TEACHER, Audience.DOCTOR, Audience.COUNSELOR

# Who hears of what (the product's alert table), by kind, whatever the level ...
_ROUTES: dict[AlertKind, frozenset[Audience]] = {
    AlertKind.FEVER: frozenset({_T, _D}),
    AlertKind.SYMPTOMS: frozenset({_T, _D}),
    AlertKind.TEMP_RISING: frozenset({_T, _D}),
    AlertKind.LOW_MOOD: frozenset({_C}),
    AlertKind.MOOD_TREND: frozenset({_C, _T}),
    AlertKind.SCREEN: frozenset({_C}),
    AlertKind.CRISIS: frozenset({_C, _T}),
    AlertKind.MISSED_RUN: frozenset({_T}),
    AlertKind.UNREACHABLE: frozenset({_T}),
    AlertKind.COPIED_ANSWERS: frozenset({_T}),
}
# ... except where the level widens it: a severe screen result reaches the class teacher too.
_LEVEL_ROUTES: dict[tuple[AlertKind, Level], frozenset[Audience]] = {
    (AlertKind.SCREEN, Level.URGENT): frozenset({_C, _T}),
    # ... or narrows it: a concern (the screen's lower tier) is for the counselor to read today.
    (AlertKind.CRISIS, Level.WARNING): frozenset({_C}),
}


def route(kind: AlertKind, level: Level) -> frozenset[Audience]:
    return _LEVEL_ROUTES.get((kind, level), _ROUTES[kind])


def _signal(kind: AlertKind, level: Level, **facts: Fact) -> Signal:
    return Signal(kind, level, route(kind, level), facts)


def evaluate_checkin(
    current: CheckinFacts, history: Sequence[CheckinFacts], t: Thresholds = Thresholds()
) -> list[Signal]:
    """Signals for an answered check-in; history holds the earlier ones, oldest first."""
    if current.status != "answered":
        return []
    return [
        *_fever(current, t),
        *_symptoms(current, t),
        *_mood(current, history, t),
        *_screen(current, t),
        *_rising(current, history, t),
        *_copied(current, history, t),
    ]


def evaluate_answers(current: CheckinFacts, t: Thresholds = Thresholds()) -> list[Signal]:
    """Signals an answer raises the moment it is stored, before the check-in is submitted:
    a fever, a symptom, a screen whose answers so far already cross a line (sums only grow)."""
    return [*_fever(current, t), *_symptoms(current, t), *_screen(current, t)]


def partial_screen(
    answers: tuple[int | None, int | None, int | None, int | None],
) -> tuple[int, int, int, int] | None:
    """A screen being answered, unanswered items counted as 0; None before the first answer."""
    if all(a is None for a in answers):
        return None
    a, b, c, d = (0 if x is None else x for x in answers)
    return a, b, c, d


def red_flags(symptoms: frozenset[str], t: Thresholds) -> tuple[str, ...]:
    """The ticked symptoms that call for emergency help, in a stable order."""
    return tuple(sorted(symptoms & set(t.red_flag_symptoms)))


def evaluate_missed(
    current: CheckinFacts, history: Sequence[CheckinFacts], t: Thresholds = Thresholds()
) -> list[Signal]:
    """A missed check-in alerts once it completes a run of misses.

    Rounds the bot never sent (it was down) neither count nor break the run. A whole day with
    no check-in at all does: the student was not isolated then, so a miss before it and one
    after it (an earlier isolation, weeks ago) are not in a row.
    """
    if current.status != "missed":
        return []
    run = 1
    later = current.local_date
    for item in reversed(history):
        if (later - item.local_date).days > 1:
            break
        later = item.local_date
        if item.status == "not_sent":
            continue
        if item.status != "missed":
            break
        run += 1
    if run >= t.missed_run:
        return [_signal(AlertKind.MISSED_RUN, Level.WARNING, count=run)]
    return []


def unreachable_signal() -> Signal:
    return _signal(AlertKind.UNREACHABLE, Level.WARNING)


def crisis_signal(category: str, tier: str = "urgent", span: str = "") -> Signal:
    """Crisis language: an urgent tier is urgent, a concern a warning; `span` is the words
    that matched, quoted on the card."""
    level = Level.URGENT if tier == "urgent" else Level.WARNING
    if span:
        return _signal(AlertKind.CRISIS, level, category=category, span=span)
    return _signal(AlertKind.CRISIS, level, category=category)


def temperature_level(celsius: float, t: Thresholds) -> Level | None:
    """A reading's alert level, or None below the screening line."""
    if celsius >= t.fever_urgent_c:
        return Level.URGENT
    if celsius >= t.fever_warning_c:
        return Level.WARNING
    return None


def screen_level(screen: tuple[int, int, int, int], t: Thresholds) -> Level | None:
    """A complete PHQ-4's alert level: the severe total, or either subscale from its line."""
    anxiety, depression = screen[0] + screen[1], screen[2] + screen[3]
    if anxiety + depression >= t.screen_total_urgent:
        return Level.URGENT
    if max(anxiety, depression) >= t.screen_subscale_warning:
        return Level.WARNING
    return None


def _fever(current: CheckinFacts, t: Thresholds) -> list[Signal]:
    value = current.temperature_c
    level = None if value is None else temperature_level(value, t)
    if value is None or level is None:
        return []
    return [_signal(AlertKind.FEVER, level, temperature=value)]


def _symptoms(current: CheckinFacts, t: Thresholds) -> list[Signal]:
    if not current.symptoms:
        return []
    level = Level.URGENT if red_flags(current.symptoms, t) else Level.WARNING
    return [_signal(AlertKind.SYMPTOMS, level, symptoms=tuple(sorted(current.symptoms)))]


def _mood(current: CheckinFacts, history: Sequence[CheckinFacts], t: Thresholds) -> list[Signal]:
    """Low mood, or a trend, which says more and replaces it.

    Runs and the baseline count answered moods only: a missed check-in (or one without a mood)
    is skipped, neither breaking a run nor counting in it, since it says nothing about mood.
    """
    if current.mood is None:
        return []
    moods = [h.mood for h in history if h.status == "answered" and h.mood is not None]
    moods.append(current.mood)
    recent = moods[-t.mood_run :]
    before = moods[: -t.mood_run]
    if len(recent) == t.mood_run:
        baseline = mean(before) if len(before) >= t.baseline_min_checks else None
        low_run = all(m <= t.low_mood_max for m in recent)
        # Rounded, so that a drop of exactly the threshold (4.17 - 2.67) is not lost to floats.
        dropped = baseline is not None and round(baseline - mean(recent), 9) >= t.baseline_drop
        if low_run or dropped:
            usual = f"{baseline:.1f}" if baseline is not None else "–"
            return [
                _signal(
                    AlertKind.MOOD_TREND,
                    Level.WARNING,
                    moods=tuple(recent),
                    count=len(recent),
                    baseline=usual,
                )
            ]
    if current.mood <= t.low_mood_max:
        return [_signal(AlertKind.LOW_MOOD, Level.INFO, mood=current.mood)]
    return []


def _screen(current: CheckinFacts, t: Thresholds) -> list[Signal]:
    if current.screen is None:
        return []
    level = screen_level(current.screen, t)
    if level is None:
        return []
    anxiety = current.screen[0] + current.screen[1]
    depression = current.screen[2] + current.screen[3]
    total = anxiety + depression
    return [_signal(AlertKind.SCREEN, level, total=total, anxiety=anxiety, depression=depression)]


def _rising(current: CheckinFacts, history: Sequence[CheckinFacts], t: Thresholds) -> list[Signal]:
    """The last three measured readings each higher, ending at or above the info line but below
    fever (which alerts on its own); check-ins without a reading are skipped, like moods."""
    if current.temperature_c is None:
        return []
    measured = [
        h.temperature_c for h in history if h.status == "answered" and h.temperature_c is not None
    ]
    values = (*measured[-2:], current.temperature_c)
    if len(values) < 3 or not values[0] < values[1] < values[2]:
        return []
    if t.rising_info_c <= values[2] < t.fever_warning_c:
        return [_signal(AlertKind.TEMP_RISING, Level.INFO, temperatures=values)]
    return []


def _copied(current: CheckinFacts, history: Sequence[CheckinFacts], t: Thresholds) -> list[Signal]:
    """The same answers in the same slot on consecutive days suggest auto-filling."""
    if current.temperature_c is None or current.mood is None:
        return []
    by_day = {
        h.local_date: h
        for h in history
        if h.slot_index == current.slot_index and h.status == "answered"
    }
    days = 1
    day = current.local_date
    while days < t.copied_days:
        day = date.fromordinal(day.toordinal() - 1)
        earlier = by_day.get(day)
        if earlier is None or _answers(earlier) != _answers(current):
            return []
        days += 1
    return [_signal(AlertKind.COPIED_ANSWERS, Level.INFO, days=days)]


def _answers(item: CheckinFacts) -> tuple[float | None, frozenset[str], int | None]:
    return item.temperature_c, item.symptoms, item.mood


# What a call that handled an alert means: reaching the family settles a missed or unreachable
# alert; for anything else (a fever, a crisis) it means "I'm on it".
SETTLED_BY_CALL = frozenset({"missed", "unreachable"})
