"""Reading typed temperatures: every form students type, and nothing implausible let through."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.checkins.temperature import Reading, TempError, parse_temperature


@pytest.mark.parametrize(
    ("text", "celsius"),
    [
        ("36.5", 36.5),
        ("36,5", 36.5),
        ("36.5°C", 36.5),
        ("36.5 °C", 36.5),
        ("36.5℃", 36.5),
        ("36.5度", 36.5),
        ("36.5c", 36.5),
        ("36.5C", 36.5),
        ("３６．５", 36.5),
        ("３６，５", 36.5),
        ("３６．５℃", 36.5),
        ("36。5", 36.5),
        ("  36.5  ", 36.5),
        ("体温36.5", 36.5),
        ("体温：36.5度。", 36.5),
        ("37度5", 37.5),
        ("36", 36.0),
        ("37", 37.0),
        ("36.56", 36.6),
        ("34.0", 34.0),
        ("42.5", 42.5),
        ("34°C", 34.0),
        # Said in words, as a voice keyboard or a young student writes it.
        ("三十七度五", 37.5),
        ("三十八度", 38.0),
        ("三十六点八", 36.8),
        ("三十六点八度", 36.8),
        ("体温三十六度八", 36.8),
        ("37点5", 37.5),
        ("三七点五", 37.5),
        ("三十九", 39.0),
        # Digits say the number: the words around it are words ("一切", "一点", "八点").
        ("36.5度 一切正常", 36.5),
        ("36.8，有一点头疼", 36.8),
        ("体温36.6 早上八点量的", 36.6),
    ],
)
def test_celsius_forms(text: str, celsius: float) -> None:
    reading = parse_temperature(text)
    assert isinstance(reading, Reading)
    assert (reading.celsius, reading.from_fahrenheit) == (celsius, False)


@pytest.mark.parametrize(
    ("text", "original", "celsius"),
    [
        ("98.6", 98.6, 37.0),
        ("98.6°F", 98.6, 37.0),
        ("98.6 °F", 98.6, 37.0),
        ("98.6℉", 98.6, 37.0),
        ("98.6F", 98.6, 37.0),
        ("98.6f", 98.6, 37.0),
        ("华氏98.6", 98.6, 37.0),
        # 华氏度 is how °F is said in Chinese: its 度 is not a Celsius mark.
        ("98.6华氏度", 98.6, 37.0),
        ("华氏98.6度", 98.6, 37.0),
        ("华氏 100度4", 100.4, 38.0),
        ("１００.４", 100.4, 38.0),
        ("93.2", 93.2, 34.0),
        ("108", 108.0, 42.2),
        ("108°F", 108.0, 42.2),
    ],
)
def test_fahrenheit_is_converted_and_flagged(text: str, original: float, celsius: float) -> None:
    assert parse_temperature(text) == Reading(celsius, True, original)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", TempError.EMPTY),
        ("   ", TempError.EMPTY),
        ("abc", TempError.NOT_A_NUMBER),
        ("体温正常", TempError.NOT_A_NUMBER),
        ("36.5°C 97.7°F", TempError.TOO_MANY_NUMBERS),
        ("36.5 37", TempError.TOO_MANY_NUMBERS),
        ("36.5-37", TempError.TOO_MANY_NUMBERS),
        ("0", TempError.OUT_OF_RANGE),
        ("3", TempError.OUT_OF_RANGE),
        ("45", TempError.OUT_OF_RANGE),
        ("12345", TempError.OUT_OF_RANGE),
        ("-36.5", TempError.OUT_OF_RANGE),
        ("33.9", TempError.OUT_OF_RANGE),
        ("42.6", TempError.OUT_OF_RANGE),
        ("92.9", TempError.OUT_OF_RANGE),
        ("108.1", TempError.OUT_OF_RANGE),
        # 93 °F is 33.9 °C: below what is accepted in Celsius, so refused in Fahrenheit too.
        ("93", TempError.OUT_OF_RANGE),
        # A unit said out loud is believed: no guessing the other scale.
        ("36.5°F", TempError.OUT_OF_RANGE),
        ("36.5 f", TempError.OUT_OF_RANGE),
        ("110°F", TempError.OUT_OF_RANGE),
        ("98.6°C", TempError.OUT_OF_RANGE),
        ("100 celsius", TempError.OUT_OF_RANGE),
        ("45℃", TempError.OUT_OF_RANGE),
        ("36.5华氏度", TempError.OUT_OF_RANGE),
        # Two scales named at once: which one was meant is anyone's guess.
        ("98.6°F 摄氏度", TempError.NOT_A_NUMBER),
        ("36.5°C 华氏", TempError.NOT_A_NUMBER),
    ],
)
def test_refusals(text: str, error: TempError) -> None:
    assert parse_temperature(text) is error


def test_error_codes_are_the_catalog_keys() -> None:
    assert [e.code for e in TempError] == [
        "empty",
        "not_a_number",
        "out_of_range",
        "too_many_numbers",
    ]


def _valid(result: Reading | TempError) -> bool:
    return isinstance(result, Reading) and 34.0 <= result.celsius <= 42.5


@given(st.text())
def test_any_text_reads_or_is_refused(text: str) -> None:
    result = parse_temperature(text)
    assert isinstance(result, TempError) or _valid(result)


@given(st.floats(min_value=-1000, max_value=1000), st.sampled_from(["", "°C", "℃", "度", "°F"]))
def test_any_number_with_a_unit_reads_or_is_refused(value: float, unit: str) -> None:
    result = parse_temperature(f"{value}{unit}")
    assert isinstance(result, TempError) or _valid(result)


@given(st.decimals(min_value="34.0", max_value="42.5", places=1))
def test_every_plausible_celsius_reading_is_kept_as_typed(value: Decimal) -> None:
    reading = parse_temperature(str(value))
    assert isinstance(reading, Reading)
    assert reading.celsius == float(value)
    assert not reading.from_fahrenheit


@pytest.mark.parametrize(
    ("text", "original", "celsius"),
    [("九十八点六华氏度", 98.6, 37.0), ("华氏一百零一度", 101.0, 38.3)],
)
def test_fahrenheit_in_words(text: str, original: float, celsius: float) -> None:
    reading = parse_temperature(text)
    assert isinstance(reading, Reading)
    assert (reading.original, reading.celsius, reading.from_fahrenheit) == (
        original,
        celsius,
        True,
    )


@pytest.mark.parametrize("text", ["我有一百个问题", "好一点了", "十", "三十度"])
def test_words_that_are_no_temperature(text: str) -> None:
    assert not isinstance(parse_temperature(text), Reading)
