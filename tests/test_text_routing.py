"""Typed text reaches the flow that waits for it: a teacher's notice draft takes the next text."""

from __future__ import annotations

from typing import Any

from tests.fakeapi import FakeUser
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS
from tests.steps import at, data


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


async def morning(harness: Harness, *numbers: str) -> dict[str, FakeUser]:
    """The seed school with these people linked, at the morning round's prompt."""
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    users = {n: await harness.onboard(n, user_id=USER_IDS[n]) for n in numbers}
    await at(harness, 7, 30)
    await users["S001"].wait_for_message(contains="晨检")
    return users


async def checkin_of(harness: Harness, number: str) -> dict[str, Any]:
    row = await harness.svc.db.fetchone(
        "SELECT c.* FROM checkins c JOIN people p ON p.id = c.student_id"
        " WHERE p.number = ? ORDER BY c.id DESC LIMIT 1",
        (number,),
    )
    assert row is not None
    return dict(row)


async def test_a_reply_to_the_teacher_mid_check_in_reaches_the_teacher(harness: Harness) -> None:
    users = await morning(harness, "S001", "T01")
    student, teacher = users["S001"], users["T01"]
    await teacher.send_text("/contacts")
    card = await teacher.wait_for_message(contains="张小明")
    mark = harness.api.mark()
    await teacher.press(card["message_id"], data(card, "张小明"))
    await teacher.wait_for_message(since=mark)
    await teacher.send_text("小明，今天感觉怎么样？")
    await harness.delivered()
    relayed = await student.wait_for_message(contains="今天感觉怎么样")
    await harness.delivered()  # the relayed copy's message id is recorded

    mark = harness.api.mark()
    await student.send_text("老师我头好晕", reply_to_message_id=relayed["message_id"])
    await teacher.wait_for_message(contains="老师我头好晕", since=mark)
    await harness.delivered()
    seen = [m["text"] for m in student.messages if m["seq"] > relayed["seq"]]
    assert seen and not any("体温" in t for t in seen), seen
    assert (await checkin_of(harness, "S001"))["step"] == "temperature"


async def test_a_cry_for_help_where_a_temperature_is_asked_gets_only_the_hotlines(
    harness: Harness,
) -> None:
    student = (await morning(harness, "S001", "C01"))["S001"]
    since = student.messages[-1]["seq"] + 1
    await student.send_text("我不想活了")
    await student.wait_for_message(contains="12356", since=since)
    await harness.delivered()
    seen = [m["text"] for m in student.messages if m["seq"] >= since]
    assert not any("没看懂这个体温" in t for t in seen), seen

    # At the note step the same words are the note (and still get the hotlines).
    await student.send_text("36.6")
    step = await student.wait_for_message(contains="没有不适")
    for label in ("没有不适", "🙂"):
        mark = harness.api.mark()
        await student.press(step["message_id"], data(step, label))
        step = await student.wait_for_message(since=mark)
    await student.send_text("活着没意思")
    await student.wait_for_message(contains="提交")
    assert (await checkin_of(harness, "S001"))["note"] == "活着没意思"


async def test_a_forwarded_message_is_not_my_temperature_but_its_cry_is_a_report(
    harness: Harness,
) -> None:
    users = await morning(harness, "S001", "C01")
    student = users["S001"]
    friend = {"type": "user", "date": 0, "sender_user": {"id": 4242, "is_bot": False,
                                                        "first_name": "同桌"}}  # fmt: skip
    for text in ("我发烧了 38.9", "我不想活了"):
        mark = harness.api.mark()
        await harness.api.push_update(
            {
                "message": {
                    "message_id": 9000 + len(text),
                    "from": student.json,
                    "chat": student.chat.as_json(),
                    "date": int(harness.clock.now().timestamp()),
                    "text": text,
                    "forward_origin": friend,
                }
            }
        )
        await harness.api.wait_for(lambda c: c.method == "sendMessage", since=mark)
    await harness.delivered()
    assert (await checkin_of(harness, "S001"))["temperature_c"] is None
    await student.wait_for_message(contains="你做得对")
    card = await users["C01"].wait_for_message(contains="张小明")
    assert "提到同学、朋友或兄弟姐妹" in card["text"]


async def test_an_edited_command_does_nothing(harness: Harness) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    sent = await teacher.send_text("/release S001")
    await teacher.wait_for_message(contains="已解除张小明的隔离")
    mark = harness.api.mark()
    edited = dict(sent, text="/release S002", edit_date=sent["date"] + 30)
    await harness.api.push_update({"edited_message": edited})
    # Updates are handled in order: once /help is answered, the edit has been handled too.
    await teacher.send_text("/help")
    await teacher.wait_for_message(contains="/today", since=mark)
    ended = await harness.svc.db.fetchall(
        "SELECT p.number FROM isolations i JOIN people p ON p.id = i.student_id"
        " WHERE i.ended_at IS NOT NULL"
    )
    assert [r[0] for r in ended] == ["S001"]
    assert not [m for m in teacher.messages if m["seq"] >= mark and "李华" in m.get("text", "")]
