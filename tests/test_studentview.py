"""/student end to end: the table and the chart for every staff role, the choice between
several matches, and refusals outside the viewer's scope."""

from __future__ import annotations

from tests.harness import Harness
from tests.steps import onboard, seed_fortnight, view_after, view_of


async def viewed(harness: Harness) -> list[tuple[int, int]]:
    rows = await harness.svc.db.fetchall(
        "SELECT actor_id, student_id FROM audit WHERE action = 'student_view' ORDER BY id"
    )
    return [(r["actor_id"], r["student_id"]) for r in rows]


async def test_teacher_sees_a_student_of_their_class(harness: Harness) -> None:
    seeded = await seed_fortnight(harness)
    teacher = await onboard(harness, "T01")
    text, chart = await view_of(teacher, "/student S001", contains="张小明")
    lines = text.splitlines()
    assert lines[0] == "张小明（S001）· 初二(3)班"
    # The seeded check-ins were stored directly: the student never opened an invite.
    assert "未绑定" in lines[1]
    assert lines[2].startswith("居家隔离，11月25日（周三）开始，")
    assert lines[2].endswith("，计划12月5日（周六）结束")
    # The last ten check-ins, newest last, and a count of the earlier ones.
    assert "更早的 18 次打卡" in lines[3]
    assert len(lines) == 4 + 10
    assert lines[-1].startswith("12月13日（周日）午检 · ")
    assert "心情 4" in lines[-1]
    assert chart["caption"] == lines[0]
    assert await viewed(harness) == [(seeded.people["T01"], seeded.people["S001"])]


async def test_screen_scores_only_for_the_counselor(harness: Harness) -> None:
    await seed_fortnight(harness)
    counselor = await onboard(harness, "C01")
    doctor = await onboard(harness, "D01")
    # Move back so the screen day is among the last ten check-ins.
    harness.clock.advance(days=-8)
    text, _ = await view_of(counselor, "/student 张小明", contains="张小明")
    assert "12月2日（周三）午检" in text and "PHQ-4 6（焦虑 4，抑郁 2）" in text
    text, _ = await view_of(doctor, "/student S001", contains="张小明")
    assert "已做心理筛查 · 心理关注标记" in text and "PHQ" not in text
    assert "12月2日（周三）晨检 · 38.2°C ⚠️" in text
    assert "11月30日" not in text


async def test_english_teacher_reads_english(harness: Harness) -> None:
    await seed_fortnight(harness)
    teacher = await onboard(harness, "T02")
    text, _ = await view_of(teacher, "/student S005", contains="赵雷")
    assert "home isolation since Sat 28 Nov, day 16" in text
    assert "Noon check-in" in text and "mood" in text


async def test_several_matches_offer_a_choice_within_scope(harness: Harness) -> None:
    seeded = await seed_fortnight(harness)
    bureau = await onboard(harness, "B01")
    mark = harness.api.mark()
    await bureau.send_text("/student 小")
    choice = await bureau.wait_for_message(contains="请选择", since=mark)
    buttons = [b for row in choice["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == [
        f"sv:{seeded.people['S001']}",
        f"sv:{seeded.people['S901']}",
    ]
    assert buttons[1]["text"] == "S901 周小 · 三年级(1)班"
    mark = harness.api.mark()
    query = await bureau.press(choice["message_id"], buttons[1]["callback_data"])
    assert (await bureau.answered(query)).get("show_alert") in (None, False)
    text, _ = await view_after(bureau, mark, "周小")
    assert "三年级(1)班" in text

    # A school admin searching the same finds only their school's student, shown at once.
    school_admin = await onboard(harness, "A01")
    text, _ = await view_of(school_admin, "/student 小", contains="张小明")
    assert "周小" not in text


async def test_out_of_scope_students_and_non_staff_are_refused(harness: Harness) -> None:
    seeded = await seed_fortnight(harness)
    teacher = await onboard(harness, "T01")
    await teacher.send_text("/student S005")
    await teacher.wait_for_message(contains="没有找到你负责范围内学号或姓名为“S005”的学生")
    await teacher.send_text("/student 周小")
    await teacher.wait_for_message(contains="没有找到你负责范围内学号或姓名为“周小”的学生")
    await teacher.send_text("/student 没这个人")
    await teacher.wait_for_message(contains="没有找到你负责范围内学号或姓名为“没这个人”的学生")
    await teacher.send_text("/student")
    await teacher.wait_for_message(contains="请在命令后写学生的学号或姓名")
    # A forged button for another class's student is refused too.
    message = teacher.last_message
    assert message is not None
    query = await teacher.press(message["message_id"], f"sv:{seeded.people['S005']}")
    answer = await teacher.answered(query)
    assert answer["show_alert"] and answer["text"] == "没有找到你负责范围内的这位学生。"

    student = await onboard(harness, "S001")
    await student.send_text("/student S001")
    await student.wait_for_message(contains="没有权限")
    query = await student.press(student.messages[-1]["message_id"], f"sv:{seeded.people['S001']}")
    assert (await student.answered(query))["show_alert"]
    stranger = harness.api.user(4343, "Nobody", language_code="zh-hans")
    await stranger.send_text("/student S001")
    await stranger.wait_for_message(contains="还没有绑定")

    assert harness.api.count("sendPhoto") == 0
    assert await viewed(harness) == []


async def test_a_student_never_isolated_has_no_chart(harness: Harness) -> None:
    await seed_fortnight(harness)
    teacher = await onboard(harness, "T01")
    await teacher.send_text("/student S004")
    await teacher.wait_for_message(contains="没有隔离记录")
    assert harness.api.count("sendPhoto") == 0
