"""A guardians roster row and how a phone number is written down; pure, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class GuardianRow:
    """One guardian of one child; a guardian of siblings has a row per child."""

    line: int
    student_number: str
    school: str | None
    name: str
    relation: str
    phone: str
    language: str | None
    primary: bool | None


_PHONE_NOISE = re.compile(r"[\s\-().（）]+")
# Mainland mobile numbers, optionally with the country code; landlines with their area code;
# any other country's number written with its + prefix.
_MOBILE = re.compile(r"(?:\+?86)?(1\d{10})")
_LANDLINE = re.compile(r"0\d{9,11}")
_INTERNATIONAL = re.compile(r"\+[1-9]\d{6,14}")


def normalize_phone(text: str) -> str | None:
    """A phone number as stored (11 digits for a mainland mobile), or None if it is not one."""
    compact = _PHONE_NOISE.sub("", text)
    mobile = _MOBILE.fullmatch(compact)
    if mobile:
        return mobile.group(1)
    if _LANDLINE.fullmatch(compact) or _INTERNATIONAL.fullmatch(compact):
        return compact
    return None


def dialable(phone: str) -> str:
    """A stored number as Telegram shows it tappable: +86 138 0013 8000 for a mainland mobile."""
    if len(phone) == 11 and phone.isdigit() and phone.startswith("1"):
        return f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
    return phone
