"""Who answers a check-in: grades read from class names, rules, overrides, reachability."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.config import AnswererRule, ConfigError, Guardians, load_config
from bot.guardians.answerer import Targets, answerer_for, grade_of, targets


@pytest.mark.parametrize(
    ("name", "grade"),
    [
        ("三年级(1)班", 3),
        ("一年级2班", 1),
        ("5年级(2)班", 5),
        ("初二(3)班", 8),
        ("高一(1)班", 10),
        ("大班", 0),
        ("幼儿园小二班", 0),
        ("Grade 2B", 2),
        ("实验班", None),
    ],
)
def test_grades_from_class_names(name: str, grade: int | None) -> None:
    assert grade_of(name) == grade


def test_rules_first_match_then_default_and_override_wins() -> None:
    config = Guardians(
        default_answerer="student",
        answerer_rules=(
            AnswererRule("either", below_grade=7, school="实验小学"),
            AnswererRule("guardian", below_grade=4),
        ),
    )

    assert answerer_for(config, "实验小学", "五年级(2)班", None) == "either"
    assert answerer_for(config, "城关一中", "三年级(1)班", None) == "guardian"
    assert answerer_for(config, "城关一中", "初二(3)班", None) == "student"
    assert answerer_for(config, "城关一中", "实验班", None) == "student"
    assert answerer_for(config, "城关一中", "三年级(1)班", "student") == "student"


@pytest.mark.parametrize(
    ("answerer", "student", "guardian", "expected"),
    [
        ("student", True, True, Targets(True, False)),
        ("guardian", True, True, Targets(False, True)),
        ("either", True, True, Targets(True, True)),
        # Nobody to ask in the chosen chat: the other one is asked instead.
        ("student", False, True, Targets(False, True)),
        ("guardian", True, False, Targets(True, False)),
        ("either", False, False, Targets(False, False)),
    ],
)
def test_targets(answerer: str, student: bool, guardian: bool, expected: Targets) -> None:
    assert targets(answerer, student, guardian) == expected


def test_one_reminder_still_loads_and_bad_answerers_are_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[checkins]\nreminder_minutes = [30]\n", encoding="utf-8")
    assert load_config(path).guardians.nudge_at_reminder == 2
    path.write_text('[guardians]\ndefault_answerer = "parent"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="answerers in \\[guardians\\] must be one of"):
        load_config(path)
