"""Check-ins: rounds to exactly the isolated students, the answer flow, reminders, closing,
restarts and reconciliation, driven by a controlled clock.

The core tests drive bot.checkins directly on a real SQLite file and read what went into the
outbox; the end-to-end tests at the bottom go through the real Application and the fake Bot API.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.checkins import flow, typed_text
from bot.checkins.flow import Reply
from bot.checkins.store import checkins as checkin_store
from bot.isolation import periods as isolation
from tests.conftest import SHANGHAI
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS
from tests.steps import BOUND, School, open_school


def data_of(reply: Reply | None, label: str) -> str:
    """The callback data of the button whose label contains `label` (a typed text's reply may
    be None: then there is no such button)."""
    assert reply is not None and reply.screen is not None
    for row in reply.screen.keyboard.rows:
        for b in row:
            if label in b.label and b.data is not None:
                return b.data
    raise AssertionError(f"no button {label!r} in {reply.screen.keyboard}")


# --- rounds -------------------------------------------------------------------------------


async def test_two_rounds_a_day_go_to_exactly_the_isolated_students(school: School) -> None:
    school.at(7, 29)
    await school.rounds()
    assert await school.outbox("ci:%:prompt") == []

    school.at(7, 30)
    report = await school.rounds()
    assert report.opened == 1
    prompts = await school.outbox("ci:%:prompt")
    # S001, S003, S005 are isolated and bound; S004 is not isolated; S002 and S901 have no
    # account, so theirs is recorded as not sent.
    assert sorted(p["chat_id"] for p in prompts) == sorted(
        USER_IDS[n] for n in ("S001", "S003", "S005")
    )
    assert "晨检 07:30" in prompts[0]["text"]
    statuses = await school.svc.db.fetchall("SELECT status, COUNT(*) FROM checkins GROUP BY 1")
    assert dict((r[0], r[1]) for r in statuses) == {"open": 3, "not_sent": 2}

    # Running again, or later in the window, changes nothing.
    await school.rounds()
    school.at(7, 45)
    await school.rounds()
    assert len(await school.outbox("ci:%:prompt")) == 3

    school.at(12, 30)
    await school.rounds()
    noon = [p for p in await school.outbox("ci:%:prompt") if "12:30" in p["text"]]
    assert len(noon) == 3
    # Each in the student's language: S003 chose English.
    by_chat = {p["chat_id"]: p["text"] for p in noon}
    assert by_chat[USER_IDS["S003"]].startswith("Noon check-in 12:30")
    assert by_chat[USER_IDS["S001"]].startswith("午检 12:30")


async def test_reminders_only_to_the_unfinished_then_missed_at_closing(school: School) -> None:
    school.at(7, 30)
    await school.rounds()
    # S001 finishes; S003 starts but stops at symptoms; S005 does nothing.
    await finish(school, "S001")
    await school.type("S003", "36.8")
    school.at(8, 0)
    await school.rounds()
    reminded = {r["chat_id"] for r in await school.outbox("ci:%:remind:1")}
    assert reminded == {USER_IDS["S003"], USER_IDS["S005"]}
    texts = {r["chat_id"]: r["text"] for r in await school.outbox("ci:%:remind:1")}
    assert texts[USER_IDS["S005"]] == "晨检还没有完成哦，花半分钟填一下吧。10:30 截止。"
    assert texts[USER_IDS["S003"]] == (
        "Morning check-in: you haven't finished yet. It only takes half a minute,"
        " and it closes at 10:30."
    )
    await school.rounds()
    assert len(await school.outbox("ci:%:remind:%")) == 2

    school.at(10, 30)
    report = await school.rounds()
    assert report.closed == 2
    s003, s005, s001 = (
        await school.checkin_of("S003"),
        await school.checkin_of("S005"),
        await school.checkin_of("S001"),
    )
    assert (s001.status, s003.status, s005.status) == ("answered", "missed", "missed")
    # A missed check-in keeps what was answered.
    assert s003.temperature_c == 36.8 and s003.step == "symptoms"
    assert await checkin_store.pending_evaluations(school.svc.db, 10) == []


async def test_a_reminder_wave_missed_while_down_is_not_sent_late(school: School) -> None:
    school.at(7, 30)
    await school.rounds()
    school.at(8, 45)  # both reminder times passed: only the latest wave goes out
    await school.rounds()
    assert await school.outbox("ci:%:remind:1") == []
    assert len(await school.outbox("ci:%:remind:2")) == 3


async def test_restart_across_0730_opens_the_round_once(school: School, tmp_path: Path) -> None:
    school.at(7, 0)
    await school.rounds()
    await school.svc.db.close()
    # Down from 07:00 to 08:10: the window is still open, so the round opens on start-up.
    restarted = await open_school(school.path, school.clock)
    school.svc = restarted.svc
    school.at(8, 10)
    report = await school.rounds()
    assert report.opened == 1 and report.not_sent == 0
    await school.rounds()
    assert len(await school.outbox("ci:%:prompt")) == 3
    assert len(await school.outbox("ci:%:remind:1")) == 3


async def test_a_window_closed_while_down_is_recorded_as_not_sent(school: School) -> None:
    school.at(7, 30)
    await school.rounds()
    # Down from 07:31 until 11:00 the next day: noon and the next morning passed unseen.
    school.at(11, 0, days=1)
    report = await school.rounds()
    assert (report.not_sent, report.opened, report.closed) == (2, 0, 3)
    rows = await school.svc.db.fetchall("SELECT local_date, slot, state FROM rounds ORDER BY id")
    assert [tuple(r) for r in rows] == [
        ("2026-11-30", "morning", "opened"),
        ("2026-11-30", "noon", "not_sent"),
        ("2026-12-01", "morning", "not_sent"),
    ]
    assert len(await school.outbox("ci:%:prompt")) == 3
    assert (await school.checkin_of("S001")).status == "not_sent"
    await school.rounds()
    assert await school.svc.db.scalar("SELECT COUNT(*) FROM rounds") == 3
    # Never blamed on the student: the not-sent ones are not handed to the alert rules.
    missed = await school.svc.db.scalar("SELECT COUNT(*) FROM checkins WHERE status = 'missed'")
    assert missed == 3
    not_sent = await school.svc.db.fetchall(
        "SELECT evaluated_at FROM checkins WHERE status = 'not_sent' AND closed_at IS NOT NULL"
    )
    assert not_sent and all(r[0] is None for r in not_sent)
    student = await school.student("S001")
    history = await checkin_store.checkin_history(school.svc.db, student.id)
    assert [h.status for h in history][-1] == "not_sent"


# --- the flow -----------------------------------------------------------------------------


async def finish(school: School, number: str) -> checkin_store.Checkin:
    """One typed number and four taps: None, a mood, Skip, Send."""
    first = await school.type(number, "36.6")
    assert first is not None and first.new_message
    mood = await school.press(number, data_of(first, "没有不适"))
    note = await school.press(number, data_of(mood, "🙂"))
    summary = await school.press(number, data_of(note, "跳过"))
    assert summary.screen is not None and "36.6 °C" in summary.screen.text
    done = await school.press(number, data_of(summary, "提交"))
    assert done.toast is not None and done.screen is not None
    assert "已提交" in done.screen.text
    return await school.checkin_of(number)


async def test_a_student_finishes_in_four_taps_and_one_number(school: School) -> None:
    school.at(7, 30)
    await school.rounds()
    checkin = await finish(school, "S001")
    assert checkin.status == "answered"
    assert (checkin.temperature_c, checkin.symptoms, checkin.mood) == (36.6, (), 4)
    assert checkin.note is None and checkin.answered_at is not None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("36.5", 36.5),
        ("36,5", 36.5),
        ("36.5°C", 36.5),
        ("36.5度", 36.5),
        ("３６．５", 36.5),
    ],
)
async def test_accepted_temperature_forms(school: School, typed: str, expected: float) -> None:
    school.at(7, 30)
    await school.rounds()
    reply = await school.type("S001", typed)
    assert reply is not None and reply.screen is not None
    checkin = await school.checkin_of("S001")
    assert (checkin.temperature_c, checkin.step) == (expected, "symptoms")


@pytest.mark.parametrize(
    ("typed", "wording"),
    [
        ("abc", "没看懂这个体温"),
        ("12", "34.0 到 42.5"),
        ("45", "34.0 到 42.5"),
        ("36.5 37.0", "只输入一个体温"),
    ],
)
async def test_bad_temperatures_are_refused_with_what_is_expected(
    school: School, typed: str, wording: str
) -> None:
    school.at(7, 30)
    await school.rounds()
    reply = await school.type("S001", typed)
    assert reply is not None and reply.screen is not None
    assert wording in reply.screen.text
    assert data_of(reply, "没有体温计").endswith(":no_thermometer")
    checkin = await school.checkin_of("S001")
    assert (checkin.temperature_c, checkin.step) == (None, "temperature")


async def test_fahrenheit_is_converted_and_confirmed(school: School) -> None:
    school.at(7, 30)
    await school.rounds()
    reply = await school.type("S001", "99.5")
    assert reply is not None and reply.screen is not None
    assert "99.5" in reply.screen.text and "37.5 °C" in reply.screen.text
    retype = await school.press("S001", data_of(reply, "重新输入"))
    assert (await school.checkin_of("S001")).step == "temperature"
    assert retype.screen is not None
    again = await school.type("S001", "99.5")
    assert again is not None
    await school.press("S001", data_of(again, "对"))
    checkin = await school.checkin_of("S001")
    assert (checkin.temperature_c, checkin.fahrenheit_original, checkin.step) == (
        37.5,
        99.5,
        "symptoms",
    )


async def test_no_thermometer_symptoms_and_a_note(school: School) -> None:
    school.at(7, 30)
    await school.rounds()
    prompt = (await school.outbox("ci:%:prompt"))[0]
    [[nt]] = prompt["reply_markup"]["inline_keyboard"]
    number = next(n for n in BOUND if USER_IDS[n] == prompt["chat_id"])
    symptoms = await school.press(number, nt["callback_data"])
    cough = data_of(symptoms, "咳嗽")
    ticked = await school.press(number, cough)
    assert ticked.screen is not None and "✅ 咳嗽" in str(ticked.screen.keyboard)
    await school.press(number, data_of(ticked, "头痛"))
    mood = await school.press(number, data_of(ticked, "完成"))
    note = await school.press(number, data_of(mood, "😣"))
    summary = await school.type(number, "晚上睡不好")
    assert summary is not None and summary.new_message and summary.screen is not None
    assert "咳嗽、头痛" in summary.screen.text and "晚上睡不好" in summary.screen.text
    checkin = await school.checkin_of(number)
    assert checkin.temperature_status == "not_measured" and checkin.symptoms == (
        "cough",
        "headache",
    )
    assert note.screen is not None


@pytest.mark.parametrize(
    ("typed", "cut"),
    # The longest a Telegram message can be is 4096 UTF-16 units: 2048 emoji.
    [("我" * 1000, False), ("我" * 1500, True), ("😣" * 2048, True)],
    ids=["at_the_limit", "over_it", "longest_message"],
)
async def test_a_note_too_long_is_cut_and_the_student_told(
    school: School, typed: str, cut: bool
) -> None:
    school.at(7, 30)
    await school.rounds()
    first = await school.type("S001", "36.6")
    mood = await school.press("S001", data_of(first, "没有不适"))
    await school.press("S001", data_of(mood, "🙂"))
    summary = await school.type("S001", typed)
    assert summary is not None and summary.screen is not None
    told = "留言太长了，只保存了前 1000 个字" in summary.screen.text
    assert told is cut
    assert (await school.checkin_of("S001")).note == typed[: typed_text.NOTE_MAX]
    # The summary, note and all, still fits in one Telegram message.
    assert len(summary.screen.text.encode("utf-16-le")) // 2 <= 4096


async def test_stale_foreign_and_late_buttons_change_nothing(school: School) -> None:
    school.at(7, 30)
    await school.rounds()
    first = await school.type("S001", "36.6")
    assert first is not None
    none = data_of(first, "没有不适")
    await school.press("S001", none)
    again = await school.press("S001", none)
    assert again.alert and again.toast is not None and "已经填过" in again.toast
    foreign = await school.press("S003", none)
    assert foreign.alert and foreign.toast is not None and foreign.screen is None
    missing = await school.press("S001", "ci:999999:no_thermometer")
    assert missing.alert and missing.screen is None
    # The window closed but the job has not run yet: the handler refuses on its own.
    school.at(10, 31)
    mood = (await school.checkin_of("S001")).id
    late = await school.press("S001", f"ci:{mood}:mood:4")
    assert late.alert and late.toast is not None and "10:30" in late.toast
    assert (await school.checkin_of("S001")).mood is None


async def test_a_button_from_before_an_upgrade_shows_the_current_step(school: School) -> None:
    # Buttons keep their callback data in students' chats: after the verbs were renamed, an
    # old prompt's 😄 (ci:<id>:md:5) or any verb the bot does not know answers with the step
    # the check-in is at, in that message, and changes nothing.
    school.at(7, 30)
    await school.rounds()
    first = await school.type("S001", "36.6")
    cid = data_of(first, "没有不适").split(":")[1]
    for old in (f"ci:{cid}:md:5", f"ci:{cid}:sn", f"ci:{cid}:zz"):
        reply = await school.press("S001", old)
        assert reply.screen is not None and not reply.new_message
        assert "不舒服吗" in reply.screen.text, reply.screen.text
        assert data_of(reply, "没有不适") == data_of(first, "没有不适")
    checkin = await school.checkin_of("S001")
    assert (checkin.step, checkin.symptoms, checkin.mood) == ("symptoms", None, None)


@pytest.mark.parametrize("forged", ["²", "٣"], ids=["superscript", "arabic_indic"])
async def test_a_forged_non_ascii_digit_is_refused(school: School, forged: str) -> None:
    # str.isdigit() takes "²" (int() then raises) and "٣" (int() reads it as 3).
    school.at(7, 30)
    await school.rounds()
    first = await school.type("S001", "36.6")
    cid = data_of(first, "没有不适").split(":")[1]
    await school.press("S001", f"ci:{cid}:no_symptoms")
    reply = await school.press("S001", f"ci:{cid}:mood:{forged}")
    assert reply.alert and reply.screen is None
    checkin = await school.checkin_of("S001")
    assert (checkin.mood, checkin.step) == (None, "mood")


async def test_edit_keeps_answers_until_given_again(school: School) -> None:
    school.at(7, 30)
    await school.rounds()
    await finish(school, "S001")
    checkin = await school.checkin_of("S001")
    edit = await school.press("S001", f"ci:{checkin.id}:edit")
    assert edit.screen is not None and "36.6 °C" in str(edit.screen.keyboard)
    reopened = await school.checkin_of("S001")
    assert (reopened.status, reopened.step, reopened.temperature_c) == (
        "open",
        "temperature",
        36.6,
    )
    symptoms = await school.press("S001", data_of(edit, "36.6"))
    assert symptoms.screen is not None
    # The window closes mid-edit: the earlier submission still counts as answered.
    school.at(10, 30)
    await school.rounds()
    assert (await school.checkin_of("S001")).status == "answered"


NOTE = "晚上一直头晕，躺下就好一点，早上起来又晕"


@pytest.mark.parametrize(
    ("tap", "note"),
    [("不变", NOTE), ("old_skip", NOTE), ("删除留言", None)],
    ids=["keep", "skip_from_before", "delete"],
)
async def test_editing_keeps_the_note_unless_asked_to_delete_it(
    school: School, tap: str, note: str | None
) -> None:
    school.at(7, 30)
    await school.rounds()
    first = await school.type("S001", "38.6")
    mood = await school.press("S001", data_of(first, "没有不适"))
    ask = await school.press("S001", data_of(mood, "🙂"))
    summary = await school.type("S001", NOTE)
    await school.press("S001", data_of(summary, "提交"))
    # Only the temperature needs fixing; the later steps are tapped through.
    await school.press("S001", data_of(summary, "修改"))
    again = await school.type("S001", "36.6")
    mood = await school.press("S001", data_of(again, "没有不适"))
    asked = await school.press("S001", data_of(mood, "🙂"))
    assert asked.screen is not None
    # The note, shortened to fit a phone, on a button of its own.
    assert [[b.label for b in row] for row in asked.screen.keyboard.rows] == [
        ["不变：晚上一直头晕，躺下就好一点，早上…"],
        ["删除留言"],
    ]
    data = data_of(ask, "跳过") if tap == "old_skip" else data_of(asked, tap)
    summary = await school.press("S001", data)
    await school.press("S001", data_of(summary, "提交"))
    checkin = await school.checkin_of("S001")
    assert (checkin.status, checkin.temperature_c, checkin.note) == ("answered", 36.6, note)


async def test_release_while_editing_keeps_the_submitted_checkin(school: School) -> None:
    school.at(7, 30)
    await school.rounds()
    submitted = await finish(school, "S001")
    await school.press("S001", f"ci:{submitted.id}:edit")  # opens the edit, changes nothing yet
    await school.type("S003", "36.8")  # started, never submitted
    school.at(8, 0)
    for number in ("S001", "S003"):
        student = await school.student(number)
        await isolation.end_isolation(school.svc, student, actor_id=None, now=school.svc.now())
    kept = await school.checkin_of("S001")
    assert (kept.status, kept.step, kept.answered_at) == (
        "answered",
        "summary",
        submitted.answered_at,
    )
    assert (kept.temperature_c, kept.symptoms, kept.mood) == (36.6, (), 4)
    assert (await school.checkin_of("S003")).status == "cancelled"


async def test_a_student_isolated_again_in_the_same_round_can_check_in(school: School) -> None:
    school.at(7, 30)
    await school.rounds()
    await school.type("S001", "38.6")
    student = await school.student("S001")
    school.at(8, 0)
    await isolation.end_isolation(school.svc, student, actor_id=None, now=school.svc.now())
    school.at(8, 5)  # the teacher released the wrong student and isolates them again
    again = await isolation.start_isolation(
        school.svc, student, "home", actor_id=None, now=school.svc.now()
    )
    assert again.episode is not None
    reply = await flow.resume(school.svc, student, "zh-CN", school.svc.now())
    assert reply.screen is not None and "请输入你现在的体温" in reply.screen.text
    # The same row, now the new episode's, starts afresh: nothing typed in the ended one is
    # kept under it (retention blanks check-ins by episode).
    revived = await school.checkin_of("S001")
    assert (
        await school.svc.db.scalar("SELECT isolation_id FROM checkins WHERE id = ?", (revived.id,))
        == again.episode.id
    )
    assert (revived.status, revived.step, revived.temperature_c) == ("open", "temperature", None)
    # Its prompt went out at 07:30 and is still linked: the round does not send it twice.
    await school.rounds()
    assert [p["chat_id"] for p in await school.outbox(f"ci:{revived.id}:prompt")] == [
        USER_IDS["S001"]
    ]
    done = await finish(school, "S001")
    assert (done.id, done.status) == (revived.id, "answered")


async def test_an_answer_after_closing_is_kindly_refused(school: School) -> None:
    school.at(7, 30)
    await school.rounds()
    checkin = await school.checkin_of("S001")
    school.at(10, 30)
    await school.rounds()
    late = await school.press("S001", f"ci:{checkin.id}:no_thermometer")
    assert late.toast == "这次打卡已在 10:30 截止，下一次打卡是今天 12:30。"
    typed = await school.type("S001", "36.6")
    assert typed is not None and typed.screen is not None
    assert typed.screen.text == late.toast
    assert (await school.checkin_of("S001")).temperature_status is None


async def test_a_student_not_in_isolation_has_nothing_to_answer(school: School) -> None:
    school.at(7, 30)
    await school.rounds()
    student = await school.student("S004")
    reply = await flow.resume(school.svc, student, "en", school.svc.now())
    assert reply.screen is not None
    assert reply.screen.text == "You are not in isolation, so there is nothing to answer today."
    assert await school.type("S004", "36.6") is None


# --- end to end through the fake Bot API ----------------------------------------------------


def button(message: dict[str, Any], label: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for key in row:
            if label in key["text"]:
                return str(key["callback_data"])
    raise AssertionError(f"no button {label!r}")


async def test_end_to_end_round_restart_mid_flow_and_release(harness: Any) -> None:
    from tests.harness import Harness

    h: Harness = harness
    await h.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    student = await h.onboard("S001", user_id=USER_IDS["S001"])
    free = await h.onboard("S004", user_id=USER_IDS["S004"])
    teacher = await h.onboard("T01", user_id=USER_IDS["T01"])
    h.clock.set(datetime(2026, 11, 30, 7, 30, tzinfo=SHANGHAI))
    await h.tick()
    await h.delivered()
    prompt = await student.wait_for_message(contains="晨检 07:30")
    assert not [
        c
        for c in h.api.calls
        if c.params.get("chat_id") == USER_IDS["S004"] and "晨检" in str(c.params.get("text", ""))
    ]

    await student.send_text("36.6")
    symptoms = await student.wait_for_message(contains="没有不适")
    # Restart mid-flow: the answer is in the database and the next tap carries on.
    await h.restart()
    mark = h.api.mark()
    answered_before = sum(c.method == "answerCallbackQuery" for c in h.api.calls)
    await student.press(symptoms["message_id"], button(symptoms, "没有不适"))
    await h.api.wait_for(
        lambda c: c.method == "editMessageText" and "心情" in str(c.params.get("text")),
        since=mark,
    )
    cid = button(symptoms, "完成").split(":")[1]
    for data in (f"ci:{cid}:mood:4", f"ci:{cid}:keep_note", f"ci:{cid}:submit"):
        await student.press(symptoms["message_id"], data)
    await h.api.wait_for(
        lambda c: c.method == "editMessageText" and "已提交" in str(c.params.get("text")),
        since=mark,
    )
    assert button(prompt, "没有体温计") == f"ci:{cid}:no_thermometer"
    status = await h.svc.db.scalar("SELECT status FROM checkins WHERE id = ?", (int(cid),))
    assert status == "answered"
    # Every tap was answered (no spinning button).
    answers = sum(c.method == "answerCallbackQuery" for c in h.api.calls) - answered_before
    assert answers == 4

    await free.send_text("/checkin")
    await free.wait_for_message(contains="不在隔离中")

    await teacher.send_text("/release S001")
    await teacher.wait_for_message(contains="已解除张小明的隔离")
    await h.delivered()
    await student.wait_for_message(contains="隔离已经结束")
    h.clock.set(datetime(2026, 11, 30, 12, 30, tzinfo=SHANGHAI))
    await h.tick()
    await h.delivered()
    assert not [m for m in student.messages if "午检" in str(m.get("text"))]
