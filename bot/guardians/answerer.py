"""Who answers a student's check-in, and whose chats its prompt goes to; pure, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.config import Guardians

_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_STAGES = {"初": 6, "高": 9}
_KINDERGARTEN = re.compile(r"幼|小班|中班|大班|kindergarten|pre-?k", re.IGNORECASE)
_PRIMARY = re.compile(r"([一二三四五六七八九]|\d{1,2})\s*(?:年级|grade)", re.IGNORECASE)
_ENGLISH = re.compile(r"grade\s*(\d{1,2})", re.IGNORECASE)
_SECONDARY = re.compile(r"([初高])([一二三])")


def grade_of(class_name: str) -> int | None:
    """The grade a class name shows (三年级(1)班 3, 初二 8, 高一 10, 大班 0), or None."""
    if _KINDERGARTEN.search(class_name):
        return 0
    for pattern in (_ENGLISH, _PRIMARY):
        match = pattern.search(class_name)
        if match:
            value = match.group(1)
            return int(value) if value.isdigit() else _NUMERALS[value]
    match = _SECONDARY.search(class_name)
    if match:
        return _STAGES[match.group(1)] + _NUMERALS[match.group(2)]
    return None


def answerer_for(config: Guardians, school: str, class_name: str, override: str | None) -> str:
    """The roster's or /answerer's choice, else the first rule for the school and grade."""
    if override is not None:
        return override
    grade = grade_of(class_name)
    for rule in config.answerer_rules:
        if rule.school not in ("", school):
            continue
        if grade is not None and grade < rule.below_grade:
            return rule.answerer
    return config.default_answerer


@dataclass(frozen=True)
class Targets:
    student: bool
    guardian: bool


def targets(answerer: str, student_reachable: bool, guardian_reachable: bool) -> Targets:
    """Whose chats get the prompt: the chosen answerer, or whoever can be reached instead, so
    a child without an account is asked through a parent and the other way round."""
    to_student = student_reachable and (answerer != "guardian" or not guardian_reachable)
    to_guardian = guardian_reachable and (answerer != "student" or not student_reachable)
    return Targets(to_student, to_guardian)
