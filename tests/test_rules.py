"""The alert rules: each at, below and above its threshold, what supersedes what, not-sent rounds,
and who hears of each signal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from datetime import date, timedelta
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.alerts.rules import (
    AlertKind,
    Audience,
    CheckinFacts,
    Level,
    Signal,
    Thresholds,
    crisis_signal,
    evaluate_checkin,
    evaluate_missed,
    route,
    unreachable_signal,
)
from bot.core.config import Alerts

T, D, C = Audience.TEACHER, Audience.DOCTOR, Audience.COUNSELOR
DAY = date(2026, 11, 30)
Status = Literal["answered", "missed", "not_sent"]


def answered(
    temp: float | None = 36.5,
    symptoms: frozenset[str] = frozenset(),
    mood: int | None = 4,
    screen: tuple[int, int, int, int] | None = None,
    day: int = 0,
    slot: int = 0,
) -> CheckinFacts:
    return CheckinFacts(
        0, DAY + timedelta(days=day), slot, "answered", temp, symptoms, mood, screen
    )


def other(status: Status, day: int = 0, slot: int = 0) -> CheckinFacts:
    return CheckinFacts(0, DAY + timedelta(days=day), slot, status, None, frozenset(), None, None)


def numbered(items: Sequence[CheckinFacts]) -> list[CheckinFacts]:
    """Ids in order, and distinct days unless a test set them, so that copying never fires."""
    return [replace(c, checkin_id=i + 1) for i, c in enumerate(items)]


def kinds(signals: list[Signal]) -> dict[AlertKind, Level]:
    return {s.kind: s.level for s in signals}


def check(current: CheckinFacts, *history: CheckinFacts) -> dict[AlertKind, Level]:
    return kinds(evaluate_checkin(current, list(history)))


# --- thresholds -------------------------------------------------------------------------------


def test_thresholds_come_from_the_same_named_config_fields() -> None:
    # Every number doubled: a field the rules took from anywhere but the config would differ.
    doubled: dict[str, Any] = {
        f.name: value * 2
        for f in fields(Alerts)
        if isinstance(value := getattr(Alerts(), f.name), int | float)
    }
    custom = replace(Alerts(), **doubled)
    thresholds = Thresholds.from_config(custom)
    for f in fields(Thresholds):
        assert getattr(thresholds, f.name) == getattr(custom, f.name)
    assert Thresholds.from_config(Alerts()) == Thresholds()


# --- fever and symptoms -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("temp", "level"),
    [
        (None, None),
        (36.5, None),
        (37.2, None),
        (37.3, Level.WARNING),
        (37.9, Level.WARNING),
        (38.0, Level.URGENT),
        (40.1, Level.URGENT),
    ],
)
def test_fever(temp: float | None, level: Level | None) -> None:
    signals = [s for s in evaluate_checkin(answered(temp=temp), []) if s.kind == AlertKind.FEVER]
    if level is None:
        assert signals == []
    else:
        assert [(s.level, dict(s.facts)) for s in signals] == [(level, {"temperature": temp})]


def test_symptoms_any_one_is_a_warning_with_the_codes_sorted() -> None:
    assert AlertKind.SYMPTOMS not in check(answered())
    (signal,) = evaluate_checkin(answered(symptoms=frozenset({"fever", "cough"})), [])
    assert (signal.kind, signal.level) == (AlertKind.SYMPTOMS, Level.WARNING)
    assert dict(signal.facts) == {"symptoms": ("cough", "fever")}


# --- mood -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mood", "low"), [(None, False), (1, True), (2, True), (3, False)])
def test_low_mood_alone(mood: int | None, low: bool) -> None:
    signals = evaluate_checkin(answered(mood=mood), [])
    expected = [(AlertKind.LOW_MOOD, Level.INFO, {"mood": mood})] if low else []
    assert [(s.kind, s.level, dict(s.facts)) for s in signals] == expected


@pytest.mark.parametrize(
    ("earlier", "current", "trend"),
    [
        ((2, 2), 2, True),
        ((1, 2), 1, True),
        ((2,), 2, False),
        ((3, 2), 2, False),
        ((2, 3), 2, False),
        ((2, 2, 3), 2, False),
    ],
)
def test_low_mood_run_of_three_replaces_low_mood(
    earlier: tuple[int, ...], current: int, trend: bool
) -> None:
    history = numbered([answered(mood=m, day=i - 9) for i, m in enumerate(earlier)])
    found = check(answered(mood=current), *history)
    if trend:
        assert found == {AlertKind.MOOD_TREND: Level.WARNING}
    else:
        assert found == {AlertKind.LOW_MOOD: Level.INFO}


def test_mood_run_skips_missed_and_not_sent_check_ins() -> None:
    history = numbered(
        [answered(mood=2, day=-5), other("missed", -4), other("not_sent", -3), answered(mood=2)]
    )
    (signal,) = evaluate_checkin(answered(mood=1, day=1), history)
    assert (signal.kind, signal.level) == (AlertKind.MOOD_TREND, Level.WARNING)
    assert dict(signal.facts) == {"moods": (2, 2, 1), "count": 3, "baseline": "–"}


@pytest.mark.parametrize(
    ("baseline", "recent", "trend"),
    [
        # Mean 4.5, then 3.0: exactly 1.5 lower.
        ((5, 4, 5, 4), (3, 3, 3), True),
        ((5, 5, 5, 5), (3, 3, 3), True),
        ((5, 4, 5, 4), (3, 3, 4), False),
        # Thirds: 4.17 - 2.67 is exactly 1.5, which floats alone would miss.
        ((5, 4, 4, 4, 4, 4), (3, 3, 2), True),
        # Three earlier moods are not yet a baseline.
        ((5, 5, 5), (3, 3, 3), False),
    ],
)
def test_mood_drop_below_own_baseline(
    baseline: tuple[int, ...], recent: tuple[int, ...], trend: bool
) -> None:
    moods = [*baseline, *recent]
    history = numbered([answered(mood=m, day=i - 20) for i, m in enumerate(moods[:-1])])
    found = check(answered(mood=moods[-1]), *history)
    if trend:
        assert found == {AlertKind.MOOD_TREND: Level.WARNING}
    else:
        assert AlertKind.MOOD_TREND not in found


def test_mood_drop_reports_the_baseline() -> None:
    history = numbered([answered(mood=m, day=i - 9) for i, m in enumerate((5, 5, 5, 5, 3, 3))])
    (signal,) = evaluate_checkin(answered(mood=3), history)
    assert dict(signal.facts) == {"moods": (3, 3, 3), "count": 3, "baseline": "5.0"}


# --- PHQ-4 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("screen", "level", "facts"),
    [
        (None, None, None),
        ((1, 1, 1, 1), None, None),
        ((1, 1, 2, 0), None, None),
        ((2, 1, 0, 0), Level.WARNING, (3, 3, 0)),
        ((0, 0, 0, 3), Level.WARNING, (3, 0, 3)),
        ((3, 3, 2, 0), Level.WARNING, (8, 6, 2)),
        ((3, 3, 3, 0), Level.URGENT, (9, 6, 3)),
        ((3, 3, 3, 3), Level.URGENT, (12, 6, 6)),
    ],
)
def test_screen_subscale_warning_and_severe_total_urgent(
    screen: tuple[int, int, int, int] | None,
    level: Level | None,
    facts: tuple[int, int, int] | None,
) -> None:
    signals = evaluate_checkin(answered(screen=screen), [])
    if level is None or facts is None:
        assert signals == []
        return
    (signal,) = signals
    assert (signal.kind, signal.level) == (AlertKind.SCREEN, level)
    total, anxiety, depression = facts
    assert dict(signal.facts) == {"total": total, "anxiety": anxiety, "depression": depression}


# --- missed check-ins -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earlier", "count"),
    [
        ((), None),
        (("answered",), None),
        (("missed",), 2),
        (("missed", "missed"), 3),
        (("missed", "answered"), None),
        # Rounds the bot never sent neither count nor break the run.
        (("missed", "not_sent"), 2),
        (("missed", "not_sent", "not_sent"), 2),
        (("not_sent",), None),
        (("answered", "not_sent"), None),
    ],
)
def test_missed_run(earlier: tuple[Status, ...], count: int | None) -> None:
    # One check-in a day, up to yesterday.
    back = len(earlier)
    history = numbered(
        [
            answered(day=i - back) if s == "answered" else other(s, i - back)
            for i, s in enumerate(earlier)
        ]
    )
    signals = evaluate_missed(other("missed"), history)
    expected = [] if count is None else [(AlertKind.MISSED_RUN, Level.WARNING, {"count": count})]
    assert [(s.kind, s.level, dict(s.facts)) for s in signals] == expected


def test_misses_on_either_side_of_days_without_check_ins_are_not_a_run() -> None:
    # The last check-in of an isolation that ended weeks ago, then the first of this one.
    assert evaluate_missed(other("missed"), numbered([other("missed", -20)])) == []
    # Released and isolated again the same day: the morning and noon misses are a run.
    run = evaluate_missed(other("missed", slot=1), numbered([other("missed", 0, 0)]))
    assert [dict(s.facts) for s in run] == [{"count": 2}]
    # Days the bot was down still hold their not-sent rows, so the run goes on.
    history = numbered([other("missed", -3), other("not_sent", -2), other("not_sent", -1)])
    assert [dict(s.facts) for s in evaluate_missed(other("missed"), history)] == [{"count": 2}]


def test_each_evaluation_looks_only_at_its_own_status() -> None:
    missed_history = numbered([other("missed", -1)])
    assert evaluate_missed(answered(temp=39.0), missed_history) == []
    assert evaluate_missed(other("not_sent"), missed_history) == []
    assert evaluate_checkin(other("missed"), missed_history) == []
    assert evaluate_checkin(other("not_sent"), []) == []


# --- rising temperature -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earlier", "current", "rising"),
    [
        ((36.6, 36.8), 37.0, True),
        ((36.9, 37.0), 37.2, True),
        ((36.6, 36.8), 36.9, False),
        ((36.8, 36.8), 37.0, False),
        ((36.9, 36.8), 37.0, False),
        ((36.8,), 37.0, False),
        # At the fever line the fever alert speaks instead.
        ((36.9, 37.1), 37.3, False),
        # Unmeasured check-ins are skipped, not counted as a break.
        ((36.6, None, 36.8), 37.0, True),
    ],
)
def test_temperature_rising(
    earlier: tuple[float | None, ...], current: float, rising: bool
) -> None:
    history = numbered([answered(temp=v, day=i - 9) for i, v in enumerate(earlier)])
    found = evaluate_checkin(answered(temp=current), history)
    signals = [s for s in found if s.kind == AlertKind.TEMP_RISING]
    if rising:
        (signal,) = signals
        assert signal.level == Level.INFO
        measured = tuple(v for v in earlier if v is not None)
        assert dict(signal.facts) == {"temperatures": (*measured[-2:], current)}
    else:
        assert signals == []


def test_temperature_rising_skips_missed_check_ins() -> None:
    history = numbered([answered(temp=36.7, day=-3), other("missed", -2), answered(temp=36.9)])
    assert check(answered(temp=37.1, day=1), *history) == {AlertKind.TEMP_RISING: Level.INFO}


# --- copied answers ---------------------------------------------------------------------------


def same(day: int, slot: int = 0, temp: float | None = 36.5, mood: int = 4) -> CheckinFacts:
    return answered(temp=temp, mood=mood, day=day, slot=slot)


@pytest.mark.parametrize(
    ("history", "copied"),
    [
        ((same(-2), same(-1)), True),
        ((same(-1),), False),
        # A day apart is not consecutive.
        ((same(-3), same(-1)), False),
        # Another slot of the same days is another question.
        ((same(-2, slot=1), same(-1, slot=1)), False),
        ((same(-2, slot=1), same(-2), same(-1, slot=1), same(-1)), True),
        ((same(-2), same(-1, mood=3)), False),
        ((same(-2, temp=36.6), same(-1)), False),
        ((same(-2), other("missed", -1)), False),
        # Without a thermometer, identical answers are no sign of copying.
        ((same(-2, temp=None), same(-1, temp=None)), False),
    ],
)
def test_copied_answers(history: tuple[CheckinFacts, ...], copied: bool) -> None:
    current = same(0, temp=history[-1].temperature_c)
    found = kinds(evaluate_checkin(current, numbered(history)))
    assert (AlertKind.COPIED_ANSWERS in found) is copied
    if copied:
        (signal,) = evaluate_checkin(current, numbered(history))
        assert (signal.level, dict(signal.facts)) == (Level.INFO, {"days": 3})


def test_copied_answers_compare_symptoms_too() -> None:
    cough = frozenset({"cough"})
    history = numbered([answered(day=-2, symptoms=cough), answered(day=-1, symptoms=cough)])
    assert AlertKind.COPIED_ANSWERS in check(answered(symptoms=cough), *history)
    history = numbered([answered(day=-2), answered(day=-1, symptoms=cough)])
    assert AlertKind.COPIED_ANSWERS not in check(answered(symptoms=cough), *history)


# --- several at once, and thresholds from config ----------------------------------------------


def test_one_check_in_can_raise_several_signals() -> None:
    current = answered(temp=38.2, symptoms=frozenset({"cough"}), mood=1, screen=(2, 2, 2, 2))
    assert check(current) == {
        AlertKind.FEVER: Level.URGENT,
        AlertKind.SYMPTOMS: Level.WARNING,
        AlertKind.LOW_MOOD: Level.INFO,
        AlertKind.SCREEN: Level.WARNING,
    }


def test_thresholds_are_honoured() -> None:
    strict = Thresholds(fever_warning_c=37.0, low_mood_max=3, missed_run=3)
    assert kinds(evaluate_checkin(answered(temp=37.0, mood=3), [], strict)) == {
        AlertKind.FEVER: Level.WARNING,
        AlertKind.LOW_MOOD: Level.INFO,
    }
    assert evaluate_missed(other("missed"), numbered([other("missed", -1)]), strict) == []


# --- routing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "level", "audience"),
    [
        (AlertKind.FEVER, Level.WARNING, {T, D}),
        (AlertKind.FEVER, Level.URGENT, {T, D}),
        (AlertKind.SYMPTOMS, Level.WARNING, {T, D}),
        (AlertKind.TEMP_RISING, Level.INFO, {T, D}),
        (AlertKind.LOW_MOOD, Level.INFO, {C}),
        (AlertKind.MOOD_TREND, Level.WARNING, {C, T}),
        (AlertKind.SCREEN, Level.WARNING, {C}),
        (AlertKind.SCREEN, Level.URGENT, {C, T}),
        (AlertKind.CRISIS, Level.URGENT, {C, T}),
        (AlertKind.MISSED_RUN, Level.WARNING, {T}),
        (AlertKind.UNREACHABLE, Level.WARNING, {T}),
        (AlertKind.COPIED_ANSWERS, Level.INFO, {T}),
    ],
)
def test_routing(kind: AlertKind, level: Level, audience: set[Audience]) -> None:
    assert route(kind, level) == audience


def test_every_kind_routes_at_every_level() -> None:
    for kind in AlertKind:
        for level in Level:
            assert route(kind, level)


def test_kind_codes_match_the_card_catalog() -> None:
    assert [k.value for k in AlertKind] == [
        "fever",
        "symptoms",
        "low_mood",
        "mood_trend",
        "screen",
        "crisis",
        "missed",
        "unreachable",
        "temp_rising",
        "copied",
    ]


def test_unreachable_and_crisis() -> None:
    unreachable = unreachable_signal()
    assert (unreachable.kind, unreachable.level, unreachable.audience) == (
        AlertKind.UNREACHABLE,
        Level.WARNING,
        {T},
    )
    crisis = crisis_signal("self_harm")
    assert (crisis.kind, crisis.level, crisis.audience) == (AlertKind.CRISIS, Level.URGENT, {C, T})
    assert dict(crisis.facts) == {"category": "self_harm"}


# --- any history ------------------------------------------------------------------------------

_item = st.integers(0, 3)
facts = st.builds(
    CheckinFacts,
    checkin_id=st.integers(1, 10_000),
    local_date=st.dates(date(2026, 11, 1), date(2026, 12, 31)),
    slot_index=st.integers(0, 2),
    status=st.sampled_from(["answered", "missed", "not_sent"]),
    temperature_c=st.none() | st.floats(34.0, 42.5).map(lambda v: round(v, 1)),
    symptoms=st.frozensets(st.sampled_from(["fever", "cough", "sore_throat"])),
    mood=st.none() | st.integers(1, 5),
    screen=st.none() | st.tuples(_item, _item, _item, _item),
)


@given(facts, st.lists(facts, max_size=30))
def test_any_history_evaluates_and_routes_by_the_table(
    current: CheckinFacts, history: list[CheckinFacts]
) -> None:
    signals = [*evaluate_checkin(current, history), *evaluate_missed(current, history)]
    for signal in signals:
        assert signal.audience == route(signal.kind, signal.level)
    found = kinds(signals)
    assert len(found) == len(signals)
    assert not {AlertKind.LOW_MOOD, AlertKind.MOOD_TREND} <= found.keys()
    assert not {AlertKind.FEVER, AlertKind.TEMP_RISING} <= found.keys()
