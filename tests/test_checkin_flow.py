"""The check-in as students and staff expect it: alerts at the moment of the answer, red flags,
corrections, typing at a button step, named slots, Edit-and-walk-away and the planned end."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any

from bot.checkins import schedule
from bot.core.clock import FakeClock
from bot.core.config import Checkins, Isolation, Slot
from tests.conftest import SHANGHAI
from tests.fakeapi import FakeBotAPI, FakeUser
from tests.harness import Harness, make_config
from tests.steps import (
    alert_row,
    answer_checkin,
    at,
    button_data,
    data,
    received,
    school,
    status_of,
    view_of,
    with_evening_round,
)

# What the fake API must have shown within the 2 s (of wall time; the clock stands).
PROMPTLY = 2.0


async def morning(harness: Harness, *numbers: str) -> dict[str, FakeUser]:
    users = await school(harness, "S001", *numbers)
    await at(harness, 7, 30)
    await users["S001"].wait_for_message(contains="晨检")
    return users


async def tap(user: FakeUser, message: dict[str, Any], label: str) -> dict[str, Any]:
    """Press the button labelled `label` under message; the screen it leads to."""
    mark = user.api.mark()
    await user.press(message["message_id"], data(message, label))
    return await user.wait_for_message(since=mark)


async def type_text(user: FakeUser, text: str, contains: str | None = None) -> dict[str, Any]:
    mark = user.api.mark()
    await user.send_text(text)
    return await user.wait_for_message(contains=contains, since=mark)


async def test_a_fever_typed_and_left_alerts_teacher_and_doctor_at_once(harness: Harness) -> None:
    users = await morning(harness, "T01", "D01")
    before = harness.clock.now()
    await users["S001"].send_text("39.2")
    # No tick, no submit, no clock movement: the answer itself raised the card.
    for staff in ("T01", "D01"):
        card = await users[staff].wait_for_message(contains="39.2", timeout=PROMPTLY)
        assert "紧急" in card["text"] and "张小明" in card["text"]
    assert harness.clock.now() == before
    assert await status_of(harness, "S001") == "open"
    assert (await alert_row(harness, "fever"))["level"] == "urgent"


async def test_a_correction_after_edit_updates_the_card_and_resolves_in_one_tap(
    harness: Harness,
) -> None:
    users = await morning(harness, "T01", "D01")
    student = users["S001"]
    step = await type_text(student, "38.2", contains="没有不适")
    for label in ("没有不适", "🙂", "跳过"):
        step = await tap(student, step, label)
    step = await tap(student, step, "提交")
    # An abnormal answer says who will be in touch, not only "submitted".
    assert "已提交" in step["text"] and "班主任或校医" in step["text"]
    card = await users["T01"].wait_for_message(contains="38.2")
    alert = await alert_row(harness, "fever")

    step = await tap(student, step, "修改")
    step = await type_text(student, "36.8", contains="没有不适")
    step = await tap(student, step, "完成")
    step = await tap(student, step, "🙂")
    step = await tap(student, step, "跳过")
    step = await tap(student, step, "提交")
    assert "班主任或校医" not in step["text"]

    edited = await users["T01"].wait_for_message(contains="36.8 °C")
    assert "重新填写" in edited["text"] and "38.2" in edited["text"]
    assert edited["message_id"] == card["message_id"]
    assert f"al:{alert['id']}:resolve" in button_data(edited)
    assert (await alert_row(harness, "fever"))["signals"] == 1
    mark = harness.api.mark()
    await users["T01"].press(card["message_id"], f"al:{alert['id']}:done")
    await users["D01"].wait_for_message(contains="已于", since=mark)
    assert (await alert_row(harness, "fever"))["state"] == "resolved"


async def test_a_red_flag_symptom_is_urgent_and_tells_the_student_what_to_do(
    harness: Harness,
) -> None:
    users = await morning(harness, "T01", "D01")
    student = users["S001"]
    step = await type_text(student, "36.6", contains="没有不适")
    mark = harness.api.mark()
    await student.press(step["message_id"], data(step, "呼吸困难"))
    advice = await student.wait_for_message(contains="120", since=mark, timeout=PROMPTLY)
    assert "大人" in advice["text"]
    for staff in ("T01", "D01"):
        card = await users[staff].wait_for_message(contains="呼吸困难", timeout=PROMPTLY)
        assert "紧急" in card["text"]
    assert (await alert_row(harness, "symptoms"))["level"] == "urgent"


async def test_a_red_flag_at_night_is_not_held_by_quiet_hours(harness: Harness) -> None:
    await with_evening_round(harness)
    users = await school(harness, "S001", "T01")
    harness.clock.set(datetime(2026, 11, 30, 23, 0, tzinfo=SHANGHAI))
    await answer_checkin(harness, "S001", symptoms="chest_pain", slot_index=2)
    await harness.delivered()
    card = await users["T01"].wait_for_message(contains="胸口痛")
    assert "紧急" in card["text"]


async def test_an_ordinary_symptom_stays_a_warning(harness: Harness) -> None:
    await school(harness, "S001", "T01")
    await answer_checkin(harness, "S001", symptoms="cough")
    assert (await alert_row(harness, "symptoms"))["level"] == "warning"


async def test_typing_at_a_button_step_hints_and_corrects_the_temperature(
    harness: Harness,
) -> None:
    users = await morning(harness)
    student = users["S001"]
    await type_text(student, "36.6", contains="没有不适")
    hint = await type_text(student, "好的", contains="按钮")
    assert "36.8" in hint["text"]
    fixed = await type_text(student, "三十七度五", contains="37.5")
    assert "没有不适" in fixed["text"]
    # Implausible: asked once, then taken as typed.
    ask = await type_text(student, "42", contains="很少见")
    step = await tap(student, ask, "对")
    assert "没有不适" in step["text"]
    for label in ("没有不适", "🙂", "跳过"):
        step = await tap(student, step, label)
    assert "42.0 °C" in step["text"]


async def test_a_third_slot_named_in_config_works_through_a_restart_and_history(
    tmp_path: Path, api: FakeBotAPI, clock: FakeClock
) -> None:
    slots = (
        *Checkins().slots,
        Slot("evening", time(19, 0), label_zh_cn="晚检", label_en="Evening check-in"),
    )
    config = make_config(tmp_path, api, checkins=Checkins(slots=slots))
    api.now = lambda: clock.now().timestamp()
    harness = Harness(config, api, clock)
    await harness.start()
    try:
        users = await school(harness, "S001", "S003", "T01")
        harness.clock.set(datetime(2026, 11, 30, 19, 0, tzinfo=SHANGHAI))
        await harness.tick()
        await harness.delivered()
        await users["S001"].wait_for_message(contains="晚检 19:00")
        await users["S003"].wait_for_message(contains="Evening check-in 19:00")
        await harness.restart()
        await harness.tick()
        step = await type_text(users["S001"], "38.5", contains="晚检")
        for label in ("没有不适", "🙂", "跳过", "提交"):
            step = await tap(users["S001"], step, label)
        card = await users["T01"].wait_for_message(contains="38.5")
        alert = await alert_row(harness, "fever")
        mark = harness.api.mark()
        await users["T01"].press(card["message_id"], f"al:{alert['id']}:hist")
        history = await users["T01"].wait_for_message(contains="晚检", since=mark)
        assert "38.5" in history["text"] and "evening" not in history["text"]
    finally:
        await harness.stop()


async def test_a_slot_nobody_named_reads_as_a_check_in(harness: Harness) -> None:
    catalog = harness.svc.catalog
    assert schedule.slot_name(catalog, "zh-CN", "night") == "健康打卡"
    assert schedule.slot_name(catalog, "en", "night") == "Check-in"


async def test_edit_then_walk_away_keeps_the_answer_without_reminders(harness: Harness) -> None:
    users = await morning(harness, "T01")
    student = users["S001"]
    step = await type_text(student, "36.6", contains="没有不适")
    for label in ("没有不适", "🙂", "跳过", "提交"):
        step = await tap(student, step, label)
    await tap(student, step, "修改")

    mark = harness.api.mark()
    await at(harness, 8, 0)
    await at(harness, 8, 30)
    assert not [m for m in student.messages[-3:] if "还没有完成" in (m.get("text") or "")]
    assert not [
        c for c in harness.api.calls[mark:] if "还没有完成" in str(c.params.get("text", ""))
    ]
    today = await type_text(users["T01"], "/today", contains="已完成")
    assert "已完成 1 · 填写中 0 · 未作答 0" in today["text"]
    await at(harness, 10, 30)
    assert await status_of(harness, "S001") == "answered"


async def test_an_old_prompt_names_the_round_open_now(harness: Harness) -> None:
    users = await morning(harness)
    student = users["S001"]
    prompt = student.messages[-1]
    await at(harness, 12, 30)
    mark = harness.api.mark()
    await student.press(prompt["message_id"], data(prompt, "没有体温计"))
    answer = await harness.api.wait_for(
        lambda call: call.method == "answerCallbackQuery", since=mark
    )
    text = str(answer.params.get("text"))
    assert "午检" in text and "15:30" in text and "明天" not in text


NOTE = "我有点头晕，能不能请老师给我妈妈打个电话"


async def test_the_class_teacher_reads_the_note_on_student_and_in_the_digest(
    harness: Harness,
) -> None:
    users = await morning(harness, "T01", "D01")
    student = users["S001"]
    step = await type_text(student, "36.6", contains="没有不适")
    step = await tap(student, step, "没有不适")
    step = await tap(student, step, "🙂")
    step = await type_text(student, NOTE, contains="提交")
    await tap(student, step, "提交")

    text, _ = await view_of(users["T01"], "/student S001", contains="张小明")
    assert NOTE in text
    # The doctor was not written to: a mark, not the words.
    text, _ = await view_of(users["D01"], "/student S001", contains="张小明")
    assert NOTE not in text and "有留言" in text

    mark = harness.api.mark()
    await at(harness, 12, 30)
    await at(harness, 15, 30)
    [digest] = received(users["T01"], mark, "今日汇总")
    assert f"张小明（晨检）：{NOTE}" in digest


async def isolated(harness: Harness, number: str) -> bool:
    row = await harness.svc.db.fetchone(
        "SELECT 1 FROM isolations i JOIN people p ON p.id = i.student_id"
        " WHERE p.number = ? AND i.ended_at IS NULL",
        (number,),
    )
    return row is not None


async def test_due_for_release_today_is_one_tap_from_today(harness: Harness) -> None:
    users = await school(harness, "S001", "T01")
    view = await type_text(users["T01"], "/student S001", contains="张小明")
    assert "11月25日（周三）开始" in view["text"] and "计划12月5日（周六）结束" in view["text"]

    harness.clock.set(datetime(2026, 12, 4, 16, 0, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()
    before = await type_text(users["T01"], "/today", contains="今日")
    assert "隔离到期" not in before["text"]

    harness.clock.set(datetime(2026, 12, 5, 16, 0, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()
    today = await type_text(users["T01"], "/today", contains="隔离到期")
    assert "张小明（S001）：11月25日（周三）开始，计划12月5日（周六）结束" in today["text"]
    mark = harness.api.mark()
    query = await users["T01"].press(today["message_id"], data(today, "解除隔离：张小明"))
    answer = await users["T01"].answered(query)
    assert "已解除张小明的隔离" in str(answer.get("text"))
    assert not await isolated(harness, "S001")
    await users["S001"].wait_for_message(since=mark)
    again = await type_text(users["T01"], "/today", contains="今日")
    assert "隔离到期" not in again["text"]


async def test_auto_release_ends_isolation_on_the_planned_date(
    tmp_path: Path, api: FakeBotAPI, clock: FakeClock
) -> None:
    config = make_config(tmp_path, api, isolation=Isolation(auto_release=True))
    api.now = lambda: clock.now().timestamp()
    harness = Harness(config, api, clock)
    await harness.start()
    try:
        users = await school(harness, "S001", "S002")
        harness.clock.set(datetime(2026, 12, 4, 23, 59, tzinfo=SHANGHAI))
        await harness.tick()
        assert await isolated(harness, "S001")
        harness.clock.set(datetime(2026, 12, 5, 0, 0, tzinfo=SHANGHAI))
        await harness.tick()
        await harness.delivered()
        assert not await isolated(harness, "S001")
        assert await isolated(harness, "S002")  # no planned end date
        harness.clock.set(datetime(2026, 12, 5, 7, 30, tzinfo=SHANGHAI))
        await harness.tick()
        await harness.delivered()
        asked = await harness.svc.db.fetchall(
            "SELECT p.number FROM checkins c JOIN rounds r ON r.id = c.round_id"
            " JOIN people p ON p.id = c.student_id WHERE r.local_date = '2026-12-05'"
        )
        assert "S002" in {r[0] for r in asked} and "S001" not in {r[0] for r in asked}
        await users["S001"].wait_for_message(contains="返校")
    finally:
        await harness.stop()


async def test_screen_answers_alert_as_soon_as_they_cross_a_line(harness: Harness) -> None:
    users = await school(harness, "S001", "T01", "C01")
    # Wednesday: the wellbeing screen replaces the mood question.
    harness.clock.set(datetime(2026, 12, 2, 7, 30, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()
    student = users["S001"]
    step = await type_text(student, "36.6", contains="没有不适")
    step = await tap(student, step, "没有不适")
    step = await tap(student, step, "几乎每天")
    step = await tap(student, step, "几乎每天")
    # Anxiety 6 of 6 after two answers: the counselor hears now, not after the fourth.
    card = await users["C01"].wait_for_message(contains="焦虑", timeout=PROMPTLY)
    assert "注意" in card["text"]
    assert not [m for m in users["T01"].messages if "心理健康" in (m.get("text") or "")]
    await tap(student, step, "几乎每天")
    # Total 9: the severe band reaches the class teacher too, still before submitting.
    await users["T01"].wait_for_message(contains="紧急", timeout=PROMPTLY)
    assert await status_of(harness, "S001") == "open"
    assert (await alert_row(harness, "screen"))["level"] == "urgent"
