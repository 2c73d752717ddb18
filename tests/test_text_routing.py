"""Typed text reaches the flow that waits for it: a teacher's notice draft takes the next text."""

from __future__ import annotations

from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS


async def test_a_notice_draft_takes_the_teachers_next_text(harness: Harness) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    await teacher.send_text("/notice")
    await teacher.wait_for_message(contains="请发来通知的正文")
    mark = harness.api.mark()
    await teacher.send_text("明天上午九点线上班会，请准时参加。")
    await teacher.wait_for_message(contains="通知发给谁", since=mark)
    hints = [m for m in teacher.messages if "这条消息没有发给任何人" in str(m.get("text"))]
    assert hints == []
