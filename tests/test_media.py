"""Photos, files and stickers reach the flow that takes them, or get a hint that says what to
do: a thermometer photo at the temperature step, a notice's attachment, a sticker."""

from __future__ import annotations

from typing import Any

from tests.fakeapi import FakeUser
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS
from tests.steps import at, choose, copies, school, tap

STICKER = {"file_id": "stk1", "file_unique_id": "stk1", "type": "regular", "width": 512,
           "height": 512, "is_animated": False, "is_video": False}  # fmt: skip


async def send_sticker(user: FakeUser) -> dict[str, Any]:
    return await user.api.post_message(user.chat, user.json, {"sticker": STICKER}, None)


async def test_a_photo_or_sticker_where_a_temperature_is_asked_asks_for_the_number(
    harness: Harness,
) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    student = await harness.onboard("S001", user_id=USER_IDS["S001"])
    await at(harness, 7, 30)
    prompt = await student.wait_for_message(contains="晨检")
    await student.send_photo()
    await student.wait_for_message(contains="体温计上的数字", since=prompt["seq"] + 1)
    mark = harness.api.mark()
    await send_sticker(student)
    await student.wait_for_message(contains="体温计上的数字", since=mark)

    # Once the check-in is done, a sticker gets the everyday hint.
    await student.send_text("36.6")
    await student.wait_for_message(contains="没有不适")
    seen = [m["text"] for m in student.messages if m["seq"] > prompt["seq"]]
    assert not any("/talk" in t for t in seen), seen


async def test_a_photo_sent_while_writing_a_notice_goes_with_it(harness: Harness) -> None:
    users = await school(harness, "T01", "S001")
    teacher = users["T01"]
    mark = harness.api.mark()
    await teacher.send_text("/notice")
    await teacher.wait_for_message(contains="正文", since=mark)
    await teacher.send_photo()
    await teacher.wait_for_message(contains="附件已收到", since=mark)
    await teacher.send_text("明天的网课表见图。")
    menu = await teacher.wait_for_message(contains="发给谁", since=mark)
    summary = await choose(harness, teacher, menu, "初二(3)班")
    await tap(teacher, summary, "发送")
    await harness.delivered()
    [copy] = copies(users["S001"], "明天的网课表见图")
    assert "photo" in copy and "明天的网课表见图" in copy.get("caption", "")


async def test_a_cry_for_help_in_a_caption_gets_the_hotlines_and_no_hint(
    harness: Harness,
) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    student = await harness.onboard("S001", user_id=USER_IDS["S001"])
    mark = harness.api.mark()
    await student.send_photo(caption="我不想活了")
    await student.wait_for_message(contains="12356", since=mark)
    await harness.delivered()
    seen = [m.get("text") or "" for m in student.messages if m["seq"] >= mark]
    # The hotlines are the answer, as they are to the same words typed: no "use /talk" after.
    assert not any("请先点 /talk" in t for t in seen), seen

    # Where the check-in asks for a temperature, not "type the number" either.
    await at(harness, 7, 30)
    prompt = await student.wait_for_message(contains="晨检")
    await student.send_photo(caption="活着没意思")
    await student.wait_for_message(contains="12356", since=prompt["seq"] + 1)
    await harness.delivered()
    seen = [m.get("text") or "" for m in student.messages if m["seq"] > prompt["seq"]]
    assert not any("体温计上的数字" in t for t in seen), seen
