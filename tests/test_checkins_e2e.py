"""A day of check-ins as students and teachers see it in Telegram, with a controlled clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.checkins import rounds
from bot.checkins.store import checkins as checkin_store
from bot.isolation.store import open_isolation
from bot.storage import people
from tests.conftest import SHANGHAI
from tests.fakeapi import FakeUser
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS
from tests.steps import at, data, status_of


async def students(harness: Harness) -> dict[str, FakeUser]:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    return {
        number: await harness.onboard(
            number, user_id=USER_IDS[number], language_code="en" if number == "S003" else "zh"
        )
        for number in ("S001", "S003", "S004")
    }


def prompts(harness: Harness, slot: str) -> list[int]:
    return sorted(
        int(c.params["chat_id"])
        for c in harness.api.calls
        if c.method == "sendMessage" and slot in str(c.params.get("text"))
    )


async def test_a_day_bad_temperatures_reminders_missed_and_noon(harness: Harness) -> None:
    users = await students(harness)
    catalog = harness.svc.catalog
    await at(harness, 7, 30)
    # S004 is not isolated; S002 and S005 never linked an account.
    assert prompts(harness, "晨检") == [USER_IDS["S001"]]
    assert prompts(harness, "Morning") == [USER_IDS["S003"]]

    student = users["S001"]
    for typed, code in (
        ("abc", "not_a_number"),
        ("45", "out_of_range"),
        ("36.5 37", "too_many_numbers"),
    ):
        mark = harness.api.mark()
        await student.send_text(typed)
        await student.wait_for_message(
            contains=catalog.t("zh-CN", f"checkin.temp_error.{code}"), since=mark
        )
    await student.send_text("３６，６")
    step = await student.wait_for_message(contains="没有不适")
    for label in ("没有不适", "🙂", "跳过", "提交"):
        mark = harness.api.mark()
        await student.press(step["message_id"], data(step, label))
        step = await student.wait_for_message(since=mark)
    assert "已提交" in step["text"]
    assert await status_of(harness, "S001") == "answered"

    mark = harness.api.mark()
    await at(harness, 8, 0)
    reminded = sorted(
        int(c.params["chat_id"])
        for c in harness.api.calls[mark:]
        if c.method == "sendMessage" and "10:30" in str(c.params.get("text"))
    )
    assert reminded == [USER_IDS["S003"]]

    await at(harness, 10, 30)
    assert await status_of(harness, "S003") == "missed"
    mark = harness.api.mark()
    await users["S003"].send_text("36.6")
    await users["S003"].wait_for_message(contains="10:30", since=mark)

    await at(harness, 12, 30)
    assert prompts(harness, "午检") == [USER_IDS["S001"]]
    assert prompts(harness, "Noon") == [USER_IDS["S003"]]


async def test_restart_across_0730_opens_the_round_once(harness: Harness) -> None:
    users = await students(harness)
    await harness.stop()
    harness.clock.set(datetime(2026, 11, 30, 7, 45, tzinfo=SHANGHAI))
    await harness.start()
    await harness.tick()
    await harness.tick()
    await harness.delivered()
    await users["S001"].wait_for_message(contains="晨检")
    await harness.restart()
    await harness.tick()
    await harness.delivered()
    assert prompts(harness, "晨检") == [USER_IDS["S001"]]


async def test_the_rounds_job_runs_as_the_bot_starts(harness: Harness) -> None:
    """A round that fell due while the bot was down opens at start-up, not an interval later:
    APScheduler puts the first run of a job whose start date passed before the scheduler
    started (the migrations run in between) a whole interval on (it opened 15 s late)."""
    await harness.restart()
    assert harness.app is not None and harness.app.job_queue is not None
    [job] = harness.app.job_queue.get_jobs_by_name("rounds")
    assert job.next_t is not None
    assert job.next_t <= datetime.now(UTC)


async def test_a_window_closed_while_down_is_not_blamed_on_students(harness: Harness) -> None:
    users = await students(harness)
    # A round the bot did run earlier, so it knows the day had started before it went down.
    await at(harness, 7, 30)
    await at(harness, 10, 30)
    await harness.stop()
    harness.clock.set(datetime(2026, 11, 30, 16, 0, tzinfo=SHANGHAI))
    await harness.start()
    await harness.tick()
    await harness.delivered()
    assert prompts(harness, "午检") == []
    rounds = await harness.svc.db.fetchall("SELECT slot, state FROM rounds ORDER BY id")
    assert [tuple(r) for r in rounds] == [("morning", "opened"), ("noon", "not_sent")]
    # The noon check-in exists only as a record that it was never sent: not a miss.
    assert await status_of(harness, "S001") == "not_sent"
    assert not any("午检" in str(m.get("text")) for m in users["S001"].messages)


async def test_teacher_isolates_with_the_chinese_kind_and_the_next_slot_includes_them(
    harness: Harness,
) -> None:
    await students(harness)
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    harness.clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI))
    await teacher.send_text("/isolate S004 在校")
    await teacher.wait_for_message(contains="已为王芳登记")
    person = await people.person_by_telegram(harness.svc.db, USER_IDS["S004"])
    assert person is not None
    episode = await open_isolation(harness.svc.db, person.id)
    assert episode is not None and episode.kind == "on_campus"
    await at(harness, 12, 30)
    assert USER_IDS["S004"] in prompts(harness, "午检")
    assert USER_IDS["S004"] not in prompts(harness, "晨检")


async def test_weekly_screen_replaces_mood_and_routes_scores_by_role(harness: Harness) -> None:
    users = await students(harness)
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    counselor = await harness.onboard("C01", user_id=USER_IDS["C01"])
    # Wednesday, the configured screen day.
    harness.clock.set(datetime(2026, 12, 2, 7, 30, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()
    student = users["S001"]
    await student.wait_for_message(contains="晨检")
    await student.send_text("36.7")
    step = await student.wait_for_message(contains="没有不适")
    mark = harness.api.mark()
    await student.press(step["message_id"], data(step, "没有不适"))
    step = await student.wait_for_message(contains="1/4", since=mark)
    assert "心情怎么样" not in step["text"]
    # The published Chinese PHQ-4 wording, after one plain line a 12-year-old can follow.
    assert "没有对错" in step["text"]
    assert "在过去两周里" in step["text"] and "感觉紧张、焦虑或急切" in step["text"]
    options = [row[0]["text"] for row in step["reply_markup"]["inline_keyboard"]]
    assert options == ["完全不会", "有几天", "一半以上的日子", "几乎每天"]
    for item in range(1, 5):
        mark = harness.api.mark()
        await student.press(step["message_id"], data(step, "几乎每天"))
        step = await student.wait_for_message(since=mark)
        if item < 4:
            assert f"{item + 1}/4" in step["text"] and "没有对错" not in step["text"]
    for label in ("跳过", "提交"):
        mark = harness.api.mark()
        await student.press(step["message_id"], data(step, label))
        step = await student.wait_for_message(since=mark)
    await harness.delivered()
    card = await counselor.wait_for_message(contains="PHQ-4 总分 12")
    assert "焦虑 6" in card["text"] and "抑郁 6" in card["text"]
    flagged = await teacher.wait_for_message(contains="心理关注标记")
    assert "PHQ-4" not in flagged["text"] and "焦虑" not in flagged["text"]


async def test_a_round_larger_than_a_page_prompts_everyone_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rounds, "PROMPT_PAGE", 1)
    await students(harness)
    await at(harness, 7, 30)
    await at(harness, 7, 31)
    assert prompts(harness, "晨检") == [USER_IDS["S001"]]
    assert prompts(harness, "Morning") == [USER_IDS["S003"]]
    rows = await harness.svc.db.fetchall(
        "SELECT c.prompt_outbox_id, o.dedup_key FROM checkins c"
        " LEFT JOIN outbox o ON o.id = c.prompt_outbox_id WHERE c.status = 'open'"
    )
    assert len(rows) == 2
    assert all(r["dedup_key"] and r["dedup_key"].endswith(":prompt") for r in rows)


async def test_an_edited_message_changes_no_answer(harness: Harness) -> None:
    users = await students(harness)
    await at(harness, 7, 30)
    student = users["S001"]
    sent = await student.send_text("38.6")
    step = await student.wait_for_message(contains="没有不适")
    for label in ("没有不适", "🙂"):
        mark = harness.api.mark()
        await student.press(step["message_id"], data(step, label))
        step = await student.wait_for_message(since=mark)
    # The check-in now waits for the note; the student corrects the old temperature message
    # instead (Telegram sends that as edited_message).
    await harness.api.push_update(
        {"edited_message": dict(sent, text="36.6", edit_date=sent["date"] + 60)}
    )
    # One chat's updates run in order: once /checkin is answered, the edit was handled.
    last = student.last_message
    assert last is not None
    since = last["seq"] + 1
    await student.send_text("/checkin")
    await student.wait_for_message(since=since)
    person = await people.person_by_telegram(harness.svc.db, USER_IDS["S001"])
    assert person is not None
    checkin = await checkin_store.latest_checkin(harness.svc.db, person.id)
    assert checkin is not None
    assert (checkin.temperature_c, checkin.note, checkin.step) == (38.6, None, "note")


async def test_no_thermometer_is_worded_for_where_the_student_is(harness: Harness) -> None:
    users = await students(harness)
    users["S002"] = await harness.onboard("S002", user_id=USER_IDS["S002"], language_code="zh")
    await at(harness, 7, 30)
    expected = {
        "S001": ("家里没有体温计", "如果家里没有体温计"),
        "S002": ("没有体温计", "隔离点的工作人员"),
        "S003": ("No thermometer in the dorm", "No thermometer in your dorm?"),
    }
    for number, (label, wording) in expected.items():
        prompt = await users[number].wait_for_message(contains=wording)
        labels = [b["text"] for row in prompt["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == [label], number
    # A typing mistake offers the same button, in the same words.
    mark = harness.api.mark()
    await users["S003"].send_text("abc")
    error = await users["S003"].wait_for_message(contains="couldn't read", since=mark)
    assert data(error, "No thermometer in the dorm").endswith(":no_thermometer")
    await users["S003"].press(error["message_id"], data(error, "No thermometer in the dorm"))
    step = await users["S003"].wait_for_message(contains="No symptoms", since=mark)
    assert "Do you have any of these" in step["text"]
