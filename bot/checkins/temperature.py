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
# Said in words: "三十七度五", "三十八度", "三十六点八", "九十八点六华氏度".
_ZH_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_ZH_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百]+")
_ZH_DECIMAL = re.compile(
    r"([\d零〇一二两三四五六七八九十百]+)\s*点\s*([\d零〇一二两三四五六七八九]+)"
)
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
    # Words are read as a temperature only where one is said ("度", "点", or a bare number) and
    # no digits say it already: "一百个问题" is not 100 °F; in "36.5度 一切正常" 一 is a word.
    if "度" in normal or "点" in normal or _ZH_NUMBER.fullmatch(normal):
        normal = _ZH_DECIMAL.sub(r"\1.\2", normal)
        if not re.search(r"\d", normal):
            normal = _ZH_NUMBER.sub(lambda m: str(_zh_integer(m.group())), normal)
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


def _zh_integer(word: str) -> int:
    """A number in Chinese characters: 三十七, 十, 一百零一; bare digits (三七) read as 37."""
    if not any(unit in word for unit in "十百"):
        return int("".join(str(_ZH_DIGITS[c]) for c in word))
    total = digit = 0
    for char in word:
        if char == "百":
            total += (digit or 1) * 100
            digit = 0
        elif char == "十":
            total += (digit or 1) * 10
            digit = 0
        else:
            digit = _ZH_DIGITS[char]
    return total + digit
