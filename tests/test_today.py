"""/today for every role, its remind button, the teachers' digest and the schools' daily
report with its zero report, through the fake Bot API with a controlled clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.conftest import SHANGHAI
from tests.fakeapi import FakeUser
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS
from tests.steps import at, received

# A doctor for the second school, so its report has a reader.
STAFF = STAFF_CSV + "D91,吴医生,实验小学,doctor,,zh-CN\n"
USER_IDS_HERE = {**USER_IDS, "D91": 1093}
STAFF_NUMBERS = ("T01", "T02", "D01", "C01", "A01", "B01", "T91", "D91")
STUDENT_NUMBERS = ("S001", "S002", "S003", "S005", "S901")


async def school(harness: Harness) -> dict[str, FakeUser]:
    await harness.seed(staff_csv=STAFF, students_csv=STUDENTS_CSV)
    users = {}
    for number in (*STAFF_NUMBERS, *STUDENT_NUMBERS):
        language = "en" if number in ("T02", "S003") else "zh"
        users[number] = await harness.onboard(
            number, user_id=USER_IDS_HERE[number], language_code=language
        )
    return users


async def answer(user: FakeUser, temperature: str, mood: str = "🙂") -> None:
    """Answer the open check-in in full, as a student taps through it."""
    mark = user.api.mark()
    await user.send_text(temperature)
    step = await user.wait_for_message(contains="没有不适", since=mark)
    for label in ("没有不适", mood, "跳过", "提交"):
        mark = user.api.mark()
        await user.press(step["message_id"], user.button(step, label))
        step = await user.wait_for_message(since=mark)
    assert "已提交" in step["text"]


async def command(user: FakeUser, text: str) -> dict[str, Any]:
    mark = user.api.mark()
    await user.send_text(text)
    return await user.wait_for_message(since=mark)


async def audit_rows(harness: Harness, action: str) -> list[tuple[Any, ...]]:
    rows = await harness.svc.db.fetchall(
        "SELECT p.number, s.number FROM audit a JOIN people p ON p.id = a.actor_id"
        " LEFT JOIN people s ON s.id = a.student_id WHERE a.action = ? ORDER BY a.id",
        (action,),
    )
    return [tuple(r) for r in rows]


async def test_teacher_sees_the_class_today_and_reminds_the_unfinished_once(
    harness: Harness,
) -> None:
    users = await school(harness)
    await at(harness, 7, 30)
    await answer(users["S001"], "38.6")
    mark = harness.api.mark()
    await users["S002"].send_text("36.6")
    await users["S002"].wait_for_message(contains="没有不适", since=mark)
    await harness.delivered()
    harness.clock.set(datetime(2026, 11, 30, 7, 50, tzinfo=SHANGHAI))

    view = await command(users["T01"], "/today")
    text = view["text"]
    assert "今日概况 · 11月30日（周一）" in text
    assert "隔离中的学生：3 人" in text
    assert "晨检 07:30：已完成 1 · 填写中 1 · 未作答 1（10:30 截止）" in text
    assert "午检 12:30：还没开始" in text
    assert "张小明（S001）：体温 38.6 °C" in text
    assert "今天还没联系过的学生（3 人）：张小明、李华、Tom Lee" in text
    # Another class's isolated student is not the teacher's to see.
    assert "赵雷" not in text and "S005" not in text
    assert await audit_rows(harness, "today") == [("T01", "S001")]

    remind = users["T01"].button(view, "提醒还没完成的 2 位同学")
    nudged = harness.api.mark()
    query = await users["T01"].press(view["message_id"], remind)
    assert (await users["T01"].answered(query))["text"] == "已提醒 2 位同学。"
    await harness.delivered()
    assert len(received(users["S002"], nudged, "老师提醒你：今天的晨检还没完成")) == 1
    assert len(received(users["S003"], nudged, "today's Morning check-in is not finished")) == 1
    assert not received(users["S001"], nudged, "老师提醒你")
    assert not received(users["S005"], nudged, "老师提醒你")

    again = await users["T01"].press(view["message_id"], remind)
    answer_again = await users["T01"].answered(again)
    assert answer_again["text"] == "这一轮已经提醒过这 2 位同学了，每轮只提醒一次。"
    await harness.delivered()
    assert len(received(users["S002"], nudged, "老师提醒你")) == 1
    assert [r[0] for r in await audit_rows(harness, "remind")] == ["T01", "T01"]

    # After the round closes, the old button says so instead of reminding.
    await at(harness, 10, 30)
    late = await users["T01"].press(view["message_id"], remind)
    assert (await users["T01"].answered(late))["text"] == "这一轮打卡已经结束，不能再提醒了。"


async def test_each_role_sees_its_own_scope_and_others_are_refused(harness: Harness) -> None:
    users = await school(harness)
    await at(harness, 7, 30)
    await answer(users["S005"], "37.5")
    await harness.delivered()

    english = (await command(users["T02"], "/today"))["text"]
    assert "Today · Mon 30 Nov" in english
    assert "Students in isolation: 1" in english
    assert "Morning check-in 07:30: 1 done · 0 filling in · 0 not started" in english
    assert "赵雷 (S005): 37.5 °C" in english
    assert "张小明" not in english

    doctor = (await command(users["D01"], "/today"))["text"]
    assert "隔离中的学生：4 人" in doctor
    assert "赵雷（S005）：体温 37.5 °C" in doctor
    assert "周小" not in doctor

    counselor = (await command(users["C01"], "/today"))["text"]
    assert "隔离中的学生：4 人" in counselor

    bureau = (await command(users["B01"], "/today"))["text"]
    assert "隔离中的学生：5 人" in bureau
    assert "· 城关一中：隔离 4 人，需关注 1 人" in bureau
    assert "· 实验小学：隔离 1 人，需关注 0 人" in bureau

    catalog = harness.svc.catalog
    refused = await command(users["S001"], "/today")
    assert refused["text"] == catalog.t("zh-CN", "common.not_allowed")
    stranger = harness.api.user(4242, "Nobody", language_code="zh-hans")
    assert (await command(stranger, "/today"))["text"] == catalog.t("zh-CN", "common.not_bound")

    # A forged remind button: a student, and a round that is not today's.
    last = users["S001"].last_message
    assert last is not None
    query = await users["S001"].press(last["message_id"], "td:1:remind")
    refusal = await users["S001"].answered(query)
    assert refusal["text"] == catalog.t("zh-CN", "common.not_allowed")
    mine = users["T01"].last_message
    assert mine is not None
    query = await users["T01"].press(mine["message_id"], "td:999:remind")
    assert (await users["T01"].answered(query))["text"] == catalog.t("zh-CN", "common.bad_button")
    rows = await harness.svc.db.fetchall("SELECT COUNT(*) FROM audit WHERE action = 'remind'")
    assert rows[0][0] == 0


async def test_digest_after_the_last_round_and_school_reports_with_a_zero_report(
    harness: Harness,
) -> None:
    users = await school(harness)
    await at(harness, 7, 30)
    await answer(users["S001"], "38.6")
    await answer(users["S901"], "36.5")
    await at(harness, 10, 30)
    await at(harness, 12, 30)
    await answer(users["S001"], "37.0")
    await answer(users["S901"], "36.6")
    mark = harness.api.mark()
    await at(harness, 15, 29)
    assert not received(users["T01"], mark, "今日汇总")

    await at(harness, 15, 30)
    digest = received(users["T01"], mark, "今日汇总")
    assert len(digest) == 1
    assert digest[0].startswith("📋 初二(3)班 今日汇总 · 11月30日（周一）")
    assert "晨检 07:30：已完成 1 · 未按时打卡 2" in digest[0]
    assert "午检 12:30：已完成 1 · 未按时打卡 2" in digest[0]
    assert "张小明（S001）：体温 38.6 °C" in digest[0]
    assert "李华（S002）：晨检未打卡、午检未打卡" in digest[0]
    assert len(received(users["T02"], mark, "today's summary")) == 1
    assert len(received(users["T91"], mark, "今日汇总")) == 1
    # The school report waits for its time; doctors and admins get no digest.
    assert not received(users["D01"], mark, "每日健康报告")
    assert not received(users["D01"], mark, "今日汇总")

    await at(harness, 16, 0)
    report = received(users["D01"], mark, "每日健康报告")
    assert len(report) == 1 and report[0].startswith("📋 城关一中 每日健康报告")
    assert "⚠️ 需要关注（4 人）：" in report[0]
    assert len(received(users["A01"], mark, "城关一中 每日健康报告")) == 1
    zero = received(users["D91"], mark, "每日健康报告")
    assert len(zero) == 1 and zero[0].startswith("📋 实验小学 每日健康报告")
    assert "✅ 异常情况：0 人（零报告）" in zero[0]
    county = received(users["B01"], mark, "全区 每日健康报告")
    assert len(county) == 1 and "· 实验小学：隔离 1 人，需关注 0 人" in county[0]
    assert not received(users["T01"], mark, "每日健康报告")
    assert not received(users["C01"], mark, "每日健康报告")

    # Once a day, across later runs of the job and a restart.
    await harness.restart()
    await at(harness, 16, 1)
    await at(harness, 18, 0)
    assert len(received(users["T01"], mark, "今日汇总")) == 1
    assert len(received(users["D91"], mark, "每日健康报告")) == 1
    shown = await audit_rows(harness, "school_report")
    assert ("D01", "S001") in shown and not any(r[0] == "D91" for r in shown)


async def test_a_doctors_today_shows_health_only(harness: Harness) -> None:
    users = await school(harness)
    await at(harness, 7, 30)
    await answer(users["S005"], "37.5")
    await answer(users["S001"], "36.6", mood="😣")
    await harness.delivered()

    teacher = (await command(users["T01"], "/today"))["text"]
    assert "张小明（S001）：心情" in teacher
    doctor = (await command(users["D01"], "/today"))["text"]
    assert "赵雷（S005）：体温 37.5 °C" in doctor
    # Mood is the counselor's, contacts the teacher's: neither is on the doctor's screen.
    assert "张小明" not in doctor and "心情" not in doctor and "情绪" not in doctor
    assert "联系" not in doctor
