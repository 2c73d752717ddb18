"""Relayed conversations through the fake Bot API, both ways, and the contact log."""

from __future__ import annotations

from typing import Any

from bot.storage import people
from tests.harness import Harness
from tests.seed import USER_IDS
from tests.steps import school


def _chat(call: Any) -> int:
    """The chat a recorded call went to (form-encoded params arrive as text)."""
    return int(call.params.get("chat_id", 0))


async def contacts(harness: Harness) -> list[dict[str, Any]]:
    rows = await harness.svc.db.fetchall(
        "SELECT student_id, staff_id, direction, channel FROM contacts ORDER BY id"
    )
    return [dict(r) for r in rows]


async def person_id(harness: Harness, number: str) -> int:
    found = await people.person_by_telegram(harness.svc.db, USER_IDS[number])
    assert found is not None
    return found.id


async def test_student_writes_to_teacher_and_the_answer_comes_back(harness: Harness) -> None:
    users = await school(harness, "S001", "T01", "C01")
    student, teacher = users["S001"], users["T01"]

    await student.send_text("/talk")
    offer = await student.wait_for_message(contains="发消息")
    await student.press(offer["message_id"], "ct:teacher")
    await student.wait_for_message(contains="王老师")
    await student.send_text("老师，我今天有点头疼")
    await student.wait_for_message(contains="已发给")
    await harness.delivered()
    relayed = await teacher.wait_for_message(contains="我今天有点头疼")
    assert "张小明" in relayed["text"] and "初二(3)班" in relayed["text"]
    assert not [m for m in users["C01"].messages if "头疼" in (m.get("text") or "")]

    # The teacher answers by replying to the relayed message.
    await teacher.send_text(
        "多喝水，好好休息，下午我打电话给你", reply_to_message_id=relayed["message_id"]
    )
    await teacher.wait_for_message(contains="已发给")
    await harness.delivered()
    answer = await student.wait_for_message(contains="多喝水")
    assert "王老师" in answer["text"]

    # The student's next plain text goes back to the same teacher.
    await student.send_text("好的，谢谢老师")
    await harness.delivered()
    await teacher.wait_for_message(contains="谢谢老师")

    student_id, teacher_id = await person_id(harness, "S001"), await person_id(harness, "T01")
    assert await contacts(harness) == [
        {"student_id": student_id, "staff_id": teacher_id, "direction": "in", "channel": "text"},
        {"student_id": student_id, "staff_id": teacher_id, "direction": "out", "channel": "text"},
        {"student_id": student_id, "staff_id": teacher_id, "direction": "in", "channel": "text"},
    ]
    # No message text is kept in the contact log.
    columns = await harness.svc.db.fetchall("PRAGMA table_info(contacts)")
    assert "text" not in {c["name"] for c in columns}


async def test_counselor_writes_first_through_contacts_and_photos_go_both_ways(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "C01", "T01")
    student, counselor = users["S001"], users["C01"]

    await student.send_text("/talk")
    offer = await student.wait_for_message(contains="发消息")
    await student.press(offer["message_id"], "ct:counselor")
    await student.wait_for_message(contains="陈老师")
    await student.send_photo(caption="我画的画")
    await harness.delivered()
    photo = await harness.api.wait_for(
        lambda call: call.method == "sendPhoto" and _chat(call) == USER_IDS["C01"]
    )
    assert "张小明" in photo.params["caption"] and "我画的画" in photo.params["caption"]
    await harness.delivered()
    relayed = counselor.messages[-1]
    await counselor.send_photo(caption="画得真好", reply_to_message_id=relayed["message_id"])
    await harness.delivered()
    await harness.api.wait_for(
        lambda call: (
            call.method == "sendPhoto"
            and _chat(call) == USER_IDS["S001"]
            and "画得真好" in call.params.get("caption", "")
        )
    )
    assert [c["channel"] for c in await contacts(harness)] == ["photo", "photo"]


async def test_texts_outside_a_conversation_are_not_relayed(harness: Harness) -> None:
    users = await school(harness, "S001", "T01")
    await users["S001"].send_photo(caption="")
    await users["S001"].wait_for_message(contains="/talk")
    await harness.delivered()
    assert await contacts(harness) == []


async def test_called_logs_a_phone_call_and_the_not_contacted_list_shrinks(
    harness: Harness,
) -> None:
    users = await school(harness, "T01", "T02", "S001")
    teacher = users["T01"]
    await teacher.send_text("/contacts")
    listing = await teacher.wait_for_message(contains="没有联系")
    assert "S001" in listing["text"] and "S002" in listing["text"]
    # S004 is not isolated; S005 is in another class.
    assert "S004" not in listing["text"] and "S005" not in listing["text"]

    await teacher.send_text("/called S002")
    await teacher.wait_for_message(contains="已记录")
    mark = harness.api.mark()
    await teacher.send_text("/contacts")
    again = await teacher.wait_for_message(contains="没有联系", since=mark)
    assert "S002" not in again["text"] and "S001" in again["text"]

    # Another class's teacher can neither log a call for nor see S001.
    await users["T02"].send_text("/called S001")
    await users["T02"].wait_for_message(contains="No student of yours")
    calls = [c for c in await contacts(harness) if c["direction"] == "call"]
    assert len(calls) == 1


async def test_a_voice_note_and_a_sticker_reach_the_teacher_and_the_reply_comes_back(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01")
    student, teacher = users["S001"], users["T01"]
    await student.send_text("/talk")
    offer = await student.wait_for_message(contains="发消息")
    await student.press(offer["message_id"], "ct:teacher")
    await student.wait_for_message(contains="王老师")

    mark = harness.api.mark()
    await student.send_voice()
    confirm = await student.wait_for_message(contains="已发给", since=mark)
    assert "王老师" in confirm["text"]
    assert not [m for m in student.messages if "没看懂" in (m.get("text") or "")]
    await harness.delivered()
    voice = next(m for m in teacher.messages if "voice" in m)
    assert "张小明" in voice["caption"] and "初二(3)班" in voice["caption"]
    assert voice["voice"]["file_id"].startswith("uservoice")

    mark = harness.api.mark()
    await student.send_sticker()
    await student.wait_for_message(contains="已发给", since=mark)
    await harness.delivered()
    [sticker] = [m for m in teacher.messages if "sticker" in m]
    # A sticker carries no caption: the line before it says who sent it.
    header = teacher.messages[teacher.messages.index(sticker) - 1]
    assert "张小明" in header["text"]

    # The teacher answers the voice note with a voice note of their own.
    await teacher.api.post_message(
        teacher.chat, teacher.json, {"voice": voice["voice"]}, voice["message_id"]
    )
    await harness.delivered()
    answer = await harness.api.wait_for(
        lambda call: call.method == "copyMessage" and _chat(call) == USER_IDS["S001"]
    )
    assert "王老师" in answer.params["caption"]
    assert [c["channel"] for c in await contacts(harness)] == ["voice", "sticker", "voice"]


async def test_isolating_an_unlinked_student_warns_and_views_say_not_linked(
    harness: Harness,
) -> None:
    users = await school(harness, "T01", "S001")
    teacher = users["T01"]
    mark = harness.api.mark()
    await teacher.send_text("/isolate S004")
    started = await teacher.wait_for_message(contains="王芳", since=mark)
    assert "未绑定" in started["text"]

    mark = harness.api.mark()
    await teacher.send_text("/today")
    today = await teacher.wait_for_message(contains="未绑定", since=mark)
    # S001 opened the link; S002, S003 and S004 did not.
    line = next(x for x in today["text"].splitlines() if "未绑定" in x)
    assert "王芳" in line and "李华" in line and "张小明" not in line

    mark = harness.api.mark()
    await teacher.send_text("/student S004")
    view = await teacher.wait_for_message(contains="王芳", since=mark)
    assert "未绑定" in view["text"]
    mark = harness.api.mark()
    await teacher.send_text("/student S001")
    view = await teacher.wait_for_message(contains="张小明", since=mark)
    assert "未绑定" not in view["text"]


async def test_a_teacher_writes_to_a_student_with_msg_or_from_student(harness: Harness) -> None:
    users = await school(harness, "T01", "S001", "S005")
    teacher, student = users["T01"], users["S001"]

    mark = harness.api.mark()
    await teacher.send_text("/msg S001 明天上午九点网课，记得提前进教室")
    confirm = await teacher.wait_for_message(contains="已发给", since=mark)
    assert "张小明" in confirm["text"]
    await harness.delivered()
    relayed = await student.wait_for_message(contains="九点网课")
    assert "王老师" in relayed["text"]
    # The student's plain answer goes back to the teacher.
    await student.send_text("收到，谢谢老师")
    await harness.delivered()
    await teacher.wait_for_message(contains="收到，谢谢老师")

    # Another class's student and a student who does not exist get the same answer.
    mark = harness.api.mark()
    await teacher.send_text("/msg S005 外班消息")
    outside = await teacher.wait_for_message(since=mark)
    mark = harness.api.mark()
    await teacher.send_text("/msg S999 外班消息")
    missing = await teacher.wait_for_message(since=mark)
    assert outside["text"] == missing["text"]
    assert "赵雷" not in outside["text"] and "S005" not in outside["text"]
    await harness.delivered()
    assert not [m for m in users["S005"].messages if "外班消息" in (m.get("text") or "")]

    # /student offers the same: a button opens a conversation with the student.
    mark = harness.api.mark()
    await teacher.send_text("/student S001")
    view = await teacher.wait_for_message(contains="张小明（S001）", since=mark)
    await teacher.press(view["message_id"], teacher.button(view, "张小明"))
    await teacher.wait_for_message(contains="给张小明的消息", since=mark)
    await teacher.send_text("作业收到了吗？")
    await harness.delivered()
    await student.wait_for_message(contains="作业收到了吗")
