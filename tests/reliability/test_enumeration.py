"""No enumeration: a student outside the sender's scope and a student who does not exist get the
same reply, with no name, from every command and button that takes a student."""

from __future__ import annotations

import pytest

from tests.fakeapi import FakeUser
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS

OTHER_SCHOOL = ("S901", "周小")
OTHER_CLASS = ("S005", "赵雷")


async def said(user: FakeUser, harness: Harness, text: str) -> str:
    mark = harness.api.mark()
    await user.send_text(text)
    message = await user.wait_for_message(since=mark)
    return str(message.get("text") or "")


async def pressed(user: FakeUser, harness: Harness, data: str) -> str:
    message = user.last_message
    assert message is not None
    answer = await user.answered(await user.press(message["message_id"], data))
    return str(answer.get("text") or "")


@pytest.mark.parametrize("command", ["/release", "/isolate", "/student", "/called"])
async def test_teacher_cannot_tell_outside_from_missing(harness: Harness, command: str) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    replies = {}
    for number, name in (OTHER_SCHOOL, OTHER_CLASS, ("S999", "")):
        text = await said(teacher, harness, f"{command} {number}")
        replies[number] = text.replace(number, "<id>")
        if name:
            assert name not in text, f"{command} {number} named the student: {text!r}"
    assert replies["S901"] == replies["S005"] == replies["S999"], replies


async def test_admin_audit_cannot_tell_outside_from_missing(harness: Harness) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    admin = await harness.onboard("A01", user_id=USER_IDS["A01"])
    replies = {}
    for number in ("S901", "S999", "T91", "T99"):
        text = await said(admin, harness, f"/audit {number}")
        assert "周小" not in text and "孙老师" not in text, text
        replies[number] = text.replace(number, "<id>")
    assert len(set(replies.values())) == 1, replies


async def test_forged_student_button_cannot_tell_outside_from_missing(harness: Harness) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    await said(teacher, harness, "/help")
    row = await harness.svc.db.fetchone("SELECT id FROM people WHERE number = 'S901'")
    assert row is not None
    outside = await pressed(teacher, harness, f"sv:{row[0]}")
    missing = await pressed(teacher, harness, "sv:99999")
    assert outside == missing and "周小" not in outside, (outside, missing)
