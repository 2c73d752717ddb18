"""Reading a typed body temperature: forgiving about form, strict about plausibility."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

CELSIUS_RANGE = (34.0, 42.5)
FAHRENHEIT_RANGE = (93.0, 108.0)

_NUMBER = re.compile(r"\d{1,4}(?:[.,]\d{1,3})?")
_FAHRENHEIT_MARK = re.compile(r"°\s*f|℉|华氏|fahrenheit|(?<=\d)\s*f\b", re.IGNORECASE)
_CELSIUS_MARK = re.compile(r"°\s*c|℃|摄氏|度|(?<=\d)\s*c\b", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    celsius: float
    from_fahrenheit: bool
    original: float


class TempError(StrEnum):
    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    OUT_OF_RANGE = "out_of_range"
    TOO_MANY_NUMBERS = "too_many_numbers"

    @property
    def code(self) -> str:
        return self.value


def parse_temperature(text: str) -> Reading | TempError:
    """36.5, 36,5, 36.5°C, 36.5度, full-width forms; 93–108 is taken as °F and converted."""
    normal = unicodedata.normalize("NFKC", text or "").strip()
    if not normal:
        return TempError.EMPTY
    numbers = _NUMBER.findall(normal)
    if not numbers:
        return TempError.NOT_A_NUMBER
    if len(numbers) > 1:
        return TempError.TOO_MANY_NUMBERS
    value = float(numbers[0].replace(",", "."))
    says_f = bool(_FAHRENHEIT_MARK.search(normal))
    says_c = bool(_CELSIUS_MARK.search(normal))
    if says_f and says_c:
        return TempError.NOT_A_NUMBER
    if not says_f and CELSIUS_RANGE[0] <= value <= CELSIUS_RANGE[1]:
        return Reading(round(value, 1), False, value)
    if not says_c and FAHRENHEIT_RANGE[0] <= value <= FAHRENHEIT_RANGE[1]:
        celsius = round((value - 32) * 5 / 9, 1)
        if CELSIUS_RANGE[0] <= celsius <= CELSIUS_RANGE[1]:
            return Reading(celsius, True, value)
    return TempError.OUT_OF_RANGE
