"""Guardians end to end: binding and greeting, answering for children, nudges, privacy."""

from __future__ import annotations

from tests.harness import Harness
from tests.seed import GUARDIANS_CSV, STAFF_CSV, STUDENTS_CSV, USER_IDS

MOTHER = "13800000001"
FATHER = "13800000002"


async def seeded(harness: Harness) -> Harness:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV, guardians_csv=GUARDIANS_CSV)
    return harness


async def test_guardian_binds_and_the_greeting_names_both_children(harness: Harness) -> None:
    await seeded(harness)

    mother = await harness.onboard(MOTHER, user_id=USER_IDS[MOTHER])

    greeting = await mother.wait_for_message(contains="你好，赵妈妈")
    assert "赵雷（城关一中 初二(4)班）、周小（实验小学 三年级(1)班）的家长" in greeting["text"]
    assert "看不到其他同学" in greeting["text"]
    menu = next(
        c
        for c in harness.api.calls
        if c.method == "setMyCommands" and c.params["scope"]["chat_id"] == USER_IDS[MOTHER]
    )
    assert [c["command"] for c in menu.params["commands"]] == ["checkin", "help", "language"]


async def test_guardian_greeting_in_english(harness: Harness) -> None:
    await seeded(harness)

    father = await harness.onboard(FATHER, user_id=USER_IDS[FATHER], language_code="en")

    greeting = await father.wait_for_message(contains="Hello, 张爸爸")
    assert "parent or guardian of 张小明 (城关一中, 初二(3)班)" in greeting["text"]
