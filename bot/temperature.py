"""Reading a typed body temperature: forgiving about form, strict about plausibility."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

CELSIUS_RANGE = (34.0, 42.5)
# 93.0-93.1 °F convert to 33.9 °C and are refused with the rest of what lies below 34.0 °C.
FAHRENHEIT_RANGE = (93.0, 108.0)

# A sign is read so that "-36.5" is refused rather than taken for 36.5; "。" is the decimal point
# a Chinese keyboard offers first.
_NUMBER = re.compile(r"-?\d+(?:[.,。]\d+)?")
# "37度5" is how 37.5 degrees is said in Chinese.
_DU_DECIMAL = re.compile(r"(\d+)\s*度\s*(\d)(?!\d)")
_FAHRENHEIT_MARK = re.compile(r"°\s*f|华氏|fahrenheit|(?<=\d)\s*f\b", re.IGNORECASE)
_CELSIUS_MARK = re.compile(r"°\s*c|摄氏|celsius|(?<=\d)\s*c\b", re.IGNORECASE)
# A bare 度 ("degrees") means Celsius unless a Fahrenheit mark says otherwise: °F is 华氏度.
_DEGREES = "度"


@dataclass(frozen=True)
class Reading:
    celsius: float  # rounded to 0.1
    from_fahrenheit: bool
    original: float  # the number as typed


class TempError(StrEnum):
    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    OUT_OF_RANGE = "out_of_range"
    TOO_MANY_NUMBERS = "too_many_numbers"

    @property
    def code(self) -> str:
        """The key of the reply in the checkin.temp_error catalog."""
        return self.value


def parse_temperature(text: str) -> Reading | TempError:
    """36.5, 36,5, 36.5°C, 36.5度, full-width forms; 93–108 (or 98.6华氏度) is °F, converted."""
    # NFKC turns full-width digits and punctuation into ASCII, and ℃ / ℉ into °C / °F.
    normal = unicodedata.normalize("NFKC", text).strip()
    if not normal:
        return TempError.EMPTY
    normal = _DU_DECIMAL.sub(r"\1.\2度", normal)
    numbers = _NUMBER.findall(normal)
    if not numbers:
        return TempError.NOT_A_NUMBER
    if len(numbers) > 1:
        return TempError.TOO_MANY_NUMBERS
    value = float(numbers[0].replace(",", ".").replace("。", "."))
    says_f = bool(_FAHRENHEIT_MARK.search(normal))
    says_c = bool(_CELSIUS_MARK.search(normal)) or (_DEGREES in normal and not says_f)
    if says_f and says_c:
        return TempError.NOT_A_NUMBER
    if not says_f and CELSIUS_RANGE[0] <= value <= CELSIUS_RANGE[1]:
        return Reading(round(value, 1), False, value)
    if not says_c and FAHRENHEIT_RANGE[0] <= value <= FAHRENHEIT_RANGE[1]:
        celsius = round((value - 32) * 5 / 9, 1)
        if CELSIUS_RANGE[0] <= celsius <= CELSIUS_RANGE[1]:
            return Reading(celsius, True, value)
    return TempError.OUT_OF_RANGE
