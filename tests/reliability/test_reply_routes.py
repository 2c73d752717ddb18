"""Reply routes of relayed conversations follow the staff member's current scope and expire:
a teacher moved to another class, or replying weeks later, reaches the student no more."""

from __future__ import annotations

from datetime import timedelta

from tests.fakeapi import FakeUser
from tests.harness import Harness
from tests.seed import STAFF_CSV
from tests.steps import school


async def student_writes(harness: Harness, users: dict[str, FakeUser]) -> dict[str, object]:
    """S001 writes to the class teacher; returns the copy the teacher got."""
    student, teacher = users["S001"], users["T01"]
    await student.send_text("/talk")
    offer = await student.wait_for_message(contains="发消息")
    await student.press(offer["message_id"], "ct:teacher")
    await student.wait_for_message(contains="王老师")
    await student.send_text("老师，我今天有点头疼")
    await student.wait_for_message(contains="已发给")
    await harness.delivered()
    return await teacher.wait_for_message(contains="我今天有点头疼")


async def reply_goes_nowhere(
    harness: Harness, users: dict[str, FakeUser], relayed: dict[str, object], expect: str
) -> None:
    student, teacher = users["S001"], users["T01"]
    mark = harness.api.mark()
    await teacher.send_text(
        "下午我打电话给你", reply_to_message_id=int(str(relayed["message_id"]))
    )
    told = await teacher.wait_for_message(since=mark)
    assert told["text"] == expect
    await harness.delivered()
    assert not [m for m in student.messages if m["seq"] >= mark]
    rows = await harness.svc.db.fetchall("SELECT direction FROM contacts")
    assert [r[0] for r in rows] == ["in"]


async def test_teacher_moved_to_another_class_cannot_reply(harness: Harness) -> None:
    users = await school(harness, "S001", "T01")
    relayed = await student_writes(harness, users)
    moved = STAFF_CSV.replace(
        "T01,王老师,城关一中,teacher,初二(3)班", "T01,王老师,城关一中,teacher,初二(4)班"
    )
    await harness.seed(staff_csv=moved)
    expect = harness.svc.catalog.t("zh-CN", "contact.stale.out_of_scope_staff")
    await reply_goes_nowhere(harness, users, relayed, expect)


async def test_reply_route_expires(harness: Harness) -> None:
    users = await school(harness, "S001", "T01")
    relayed = await student_writes(harness, users)
    harness.clock.set(harness.clock.now() + timedelta(days=7, minutes=1))
    expect = harness.svc.catalog.t("zh-CN", "contact.stale.expired_staff", days=7)
    await reply_goes_nowhere(harness, users, relayed, expect)


async def test_reply_within_the_route_days_still_goes_back(harness: Harness) -> None:
    users = await school(harness, "S001", "T01")
    relayed = await student_writes(harness, users)
    harness.clock.set(harness.clock.now() + timedelta(days=6))
    teacher, student = users["T01"], users["S001"]
    await teacher.send_text("好好休息", reply_to_message_id=int(str(relayed["message_id"])))
    await harness.delivered()
    await student.wait_for_message(contains="好好休息")
