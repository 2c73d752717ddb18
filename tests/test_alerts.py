"""Alerts end to end through the fake Bot API: routing, ownership, escalation, quiet hours,
crisis care and scope."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import pytest

from bot.alerts import actions
from bot.alerts.evaluate import evaluate_checkin, on_unreachable
from bot.checkins.handoff import hand_on_unevaluated
from bot.core.services import Services
from bot.delivery import outbox
from bot.safeguarding import student_text
from tests.conftest import SHANGHAI
from tests.harness import Harness
from tests.seed import STUDENTS_CSV, USER_IDS
from tests.steps import (
    alert_row,
    answer_checkin,
    button_data,
    data,
    events,
    person,
    school,
    with_evening_round,
)


def _chat(call: Any) -> int:
    """The chat a recorded call went to (form-encoded params arrive as text)."""
    return int(call.params.get("chat_id", 0))


async def test_fever_reaches_teacher_and_doctor_as_urgent_and_ack_updates_the_other_card(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "D01", "C01", "T02")
    await answer_checkin(harness, "S001", temperature=38.2)
    await harness.delivered()
    teacher_card = await users["T01"].wait_for_message(contains="38.2")
    doctor_card = await users["D01"].wait_for_message(contains="38.2")
    for card in (teacher_card, doctor_card):
        assert "紧急" in card["text"] and "张小明" in card["text"] and "初二(3)班" in card["text"]
    alert = await alert_row(harness, "fever")
    assert alert["level"] == "urgent"
    assert button_data(teacher_card) == [
        f"al:{alert['id']}:ack",
        f"al:{alert['id']}:resolve",
        f"al:{alert['id']}:message",
        f"al:{alert['id']}:history",
    ]
    # Urgent goes on the urgent lane; nobody else (counselor, other class) gets a card.
    lanes = await harness.svc.db.fetchall(
        "SELECT o.lane, c.person_id FROM alert_cards c JOIN outbox o ON o.id = c.outbox_id"
    )
    assert {r[0] for r in lanes} == {0}
    assert len(lanes) == 2
    assert not [m for m in users["C01"].messages if "38.2" in (m.get("text") or "")]

    mark = harness.api.mark()
    await users["D01"].press(doctor_card["message_id"], f"al:{alert['id']}:ack")
    edited = await harness.api.wait_for(
        lambda call: (
            call.method == "editMessageText"
            and _chat(call) == USER_IDS["T01"]
            and "李医生" in call.params.get("text", "")
        ),
        since=mark,
    )
    assert f"al:{alert['id']}:ack" not in str(edited.params.get("reply_markup"))
    assert (await alert_row(harness, "fever"))["state"] == "acknowledged"
    # A second "I'm on it" does not take it over.
    await users["T01"].press(teacher_card["message_id"], f"al:{alert['id']}:ack")
    await harness.api.wait_for(
        lambda call: call.method == "answerCallbackQuery" and "已经有人" in str(call.params),
        since=mark,
    )
    row = await alert_row(harness, "fever")
    assert row["owner_id"] == (await person(harness, "D01")).id
    # Acknowledged in time: no escalation.
    harness.clock.advance(minutes=30)
    await harness.tick()
    assert "escalated:1" not in await events(harness, alert["id"])


async def test_unacknowledged_urgent_escalates_to_school_then_bureau(harness: Harness) -> None:
    users = await school(harness, "S001", "T01", "D01", "A01", "B01")
    await answer_checkin(harness, "S001", temperature=38.2)
    await harness.delivered()
    await users["T01"].wait_for_message(contains="38.2")
    alert = await alert_row(harness, "fever")

    harness.clock.advance(minutes=9)
    await harness.tick()
    await harness.delivered()
    assert not [m for m in users["A01"].messages if "38.2" in (m.get("text") or "")]

    harness.clock.advance(minutes=1)
    await harness.tick()
    await harness.delivered()
    school_card = await users["A01"].wait_for_message(contains="38.2")
    assert "学校管理员" in school_card["text"]
    assert not [m for m in users["B01"].messages if "38.2" in (m.get("text") or "")]

    harness.clock.advance(minutes=10)
    await harness.tick()
    await harness.delivered()
    bureau_card = await users["B01"].wait_for_message(contains="38.2")
    assert "教育局" in bureau_card["text"]
    assert await events(harness, alert["id"]) == ["raised:urgent", "escalated:1", "escalated:2"]

    # The bureau admin may take it; everyone's card then shows who did.
    mark = harness.api.mark()
    await users["B01"].press(bureau_card["message_id"], f"al:{alert['id']}:ack")
    await harness.api.wait_for(
        lambda call: (
            call.method == "editMessageText"
            and _chat(call) == USER_IDS["A01"]
            and "刘科长" in call.params.get("text", "")
        ),
        since=mark,
    )


async def test_warning_raised_at_23_arrives_at_7(harness: Harness) -> None:
    await with_evening_round(harness)
    users = await school(harness, "S001", "T01", "D01")
    # The student answers the evening check-in late, just before it closes.
    harness.clock.set(datetime(2026, 11, 30, 23, 0, tzinfo=SHANGHAI))
    await answer_checkin(harness, "S001", temperature=37.5, slot_index=2)
    await harness.delivered()
    alert = await alert_row(harness, "fever")
    assert alert["level"] == "warning"
    assert not [m for m in users["T01"].messages if "37.5" in (m.get("text") or "")]
    # Escalation counts from delivery, not from 23:00.
    assert alert["next_escalation_at"] == int(
        datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI).timestamp()
    )

    harness.clock.set(datetime(2026, 12, 1, 6, 59, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()
    assert not [m for m in users["T01"].messages if "37.5" in (m.get("text") or "")]

    harness.clock.set(datetime(2026, 12, 1, 7, 0, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()
    card = await users["T01"].wait_for_message(contains="37.5")
    assert "注意" in card["text"]
    await users["D01"].wait_for_message(contains="37.5")


async def test_a_held_warning_card_gives_way_when_the_alert_turns_urgent(
    harness: Harness,
) -> None:
    await with_evening_round(harness)
    users = await school(harness, "S001", "T01", "D01")
    harness.clock.set(datetime(2026, 11, 30, 23, 0, tzinfo=SHANGHAI))
    await answer_checkin(harness, "S001", temperature=37.5, slot_index=2)
    await harness.delivered()
    # A second reading (the student measures again and edits the answer) folds into the open
    # fever alert.
    harness.clock.set(datetime(2026, 11, 30, 23, 20, tzinfo=SHANGHAI))
    await answer_checkin(harness, "S001", temperature=38.6, slot_index=2)
    await harness.delivered()
    urgent = await users["T01"].wait_for_message(contains="38.6")
    assert "紧急" in urgent["text"]

    harness.clock.set(datetime(2026, 12, 1, 7, 0, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()
    for number in ("T01", "D01"):
        cards = [m for m in users[number].messages if "学生：张小明" in str(m.get("text"))]
        assert len(cards) == 1, [m.get("text") for m in cards]
        assert "紧急" in cards[0]["text"]
    statuses = await outbox_statuses(harness)
    assert statuses.get("failed", 0) == 0 and statuses.get("pending", 0) == 0
    assert statuses["cancelled"] == 2


async def test_same_open_alert_is_updated_not_repeated_and_evaluation_is_idempotent(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "D01")
    checkin_id = await answer_checkin(harness, "S001", temperature=37.5)
    await evaluate_checkin(harness.svc, checkin_id)
    await harness.delivered()
    await users["T01"].wait_for_message(contains="37.5")
    count = await harness.svc.db.scalar("SELECT COUNT(*) FROM alerts")
    assert count == 1
    cards = await harness.svc.db.scalar("SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE 'al:%'")
    assert cards == 2

    # The noon check-in is hotter: the same alert rises to urgent and the cards come again.
    harness.clock.advance(hours=5)
    await answer_checkin(harness, "S001", temperature=38.4, slot_index=1)
    await harness.delivered()
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM alerts") == 1
    row = await alert_row(harness, "fever")
    assert row["level"] == "urgent" and row["signals"] == 2
    card = await users["T01"].wait_for_message(contains="38.4")
    assert "2" in card["text"]


async def test_crisis_sentence_gets_hotlines_at_once_and_counselor_an_urgent_card(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    users = await school(harness, "S001", "T01", "C01", "D01")
    student = await person(harness, "S001")
    caplog.set_level(logging.INFO, logger="bot")
    hit = await student_text.screen_student_text(
        harness.svc, student, "我不想活了，活着没意思", "text"
    )
    assert hit
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("bot")]
    assert any("crisis" in line for line in logged)
    assert not [line for line in logged if "passive_wish" in line or "活" in line]
    await harness.delivered()
    reply = await users["S001"].wait_for_message(contains="12356")
    assert "12355" in reply["text"] and "120" in reply["text"]
    assert button_data(reply) == ["ct:counselor"]
    counselor_card = await users["C01"].wait_for_message(contains="张小明")
    assert "紧急" in counselor_card["text"]
    # The category in words: the screener's codes all have a catalog entry.
    assert "不想活下去的念头" in counselor_card["text"]
    assert "passive_wish" not in counselor_card["text"]
    await users["T01"].wait_for_message(contains="危机")
    assert not [m for m in users["D01"].messages if "张小明" in (m.get("text") or "")]
    row = await alert_row(harness, "crisis")
    assert row["level"] == "urgent"
    # The reply went on the urgent lane, ahead of any round.
    lane = await harness.svc.db.scalar("SELECT lane FROM outbox WHERE dedup_key LIKE 'crisis:%'")
    assert lane == 0
    assert not await student_text.screen_student_text(harness.svc, student, "今天作业好多", "text")


async def test_a_student_worried_about_a_friend_is_thanked_and_the_counselor_told(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "C01")
    student = await person(harness, "S001")
    text = "我同桌昨天跟我说，她不想活了"
    assert await student_text.screen_student_text(harness.svc, student, text, "text")
    await harness.delivered()
    reply = await users["S001"].wait_for_message(contains="你做得对")
    assert "12356" in reply["text"] and "告诉身边的大人" in reply["text"]
    assert "你的感受很重要" not in reply["text"]
    assert button_data(reply) == ["ct:counselor"]
    card = await users["C01"].wait_for_message(contains="张小明")
    assert "紧急" in card["text"]
    assert "提到同学、朋友或兄弟姐妹可能不想活下去" in card["text"]
    await users["T01"].wait_for_message(contains="提到同学、朋友或兄弟姐妹")
    assert (await alert_row(harness, "crisis"))["level"] == "urgent"


async def test_a_card_sent_before_the_verbs_were_spelled_out_still_acts(harness: Harness) -> None:
    """Cards stay in staff chats for days: the short verbs of cards sent before an upgrade
    (done, msg, hist, nc) must still do what their buttons said."""
    users = await school(harness, "S001", "T01", "D01")
    await answer_checkin(harness, "S001", temperature=38.2)
    await harness.delivered()
    card = await users["T01"].wait_for_message(contains="38.2")
    alert = await alert_row(harness, "fever")
    await users["T01"].press(card["message_id"], f"al:{alert['id']}:hist")
    table = await users["T01"].wait_for_message(contains="最近")
    assert "38.2" in table["text"]
    query = await users["T01"].press(card["message_id"], f"al:{alert['id']}:done")
    assert (await users["T01"].answered(query)).get("text") == "已标记为解决。"
    row = await alert_row(harness, "fever")
    assert row["state"] == "resolved" and row["owner_id"] is not None


async def test_teacher_cannot_see_or_act_on_another_classs_alert(harness: Harness) -> None:
    users = await school(harness, "S001", "T01", "T02", "D01")
    await answer_checkin(harness, "S001", temperature=38.2)
    await harness.delivered()
    await users["T01"].wait_for_message(contains="38.2")
    alert = await alert_row(harness, "fever")
    assert not [m for m in users["T02"].messages if "38.2" in (m.get("text") or "")]

    other = users["T02"]
    own = other.messages[-1]
    mark = harness.api.mark()
    for verb in ("ack", "done", "hist", "msg"):
        await other.press(own["message_id"], f"al:{alert['id']}:{verb}")
    await harness.api.wait_for(
        lambda call: call.method == "answerCallbackQuery" and "not allowed" in str(call.params),
        since=mark,
    )
    await harness.delivered()
    row = await alert_row(harness, "fever")
    assert row["state"] == "open" and row["owner_id"] is None
    assert not [m for m in other.messages if "张小明" in (m.get("text") or "")]


async def test_history_shows_scores_to_counselor_and_only_a_flag_to_teacher(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "D01")
    await answer_checkin(harness, "S001", temperature=38.2, symptoms="cough")
    await harness.delivered()
    card = await users["T01"].wait_for_message(contains="38.2")
    alert = await alert_row(harness, "fever")
    await users["T01"].press(card["message_id"], f"al:{alert['id']}:hist")
    table = await users["T01"].wait_for_message(contains="最近")
    assert "38.2" in table["text"] and "咳嗽" in table["text"]
    audited = await harness.svc.db.scalar(
        "SELECT COUNT(*) FROM audit WHERE action = 'alert_history'"
    )
    assert audited == 1


async def test_unreachable_student_alerts_the_class_teacher(harness: Harness) -> None:
    users = await school(harness, "S001", "T01", "D01")
    student = await person(harness, "S001")
    await on_unreachable(harness.svc, student.id)
    await on_unreachable(harness.svc, student.id)
    await harness.delivered()
    card = await users["T01"].wait_for_message(contains="联系不上")
    assert "张小明" in card["text"]
    assert not [m for m in users["D01"].messages if "张小明" in (m.get("text") or "")]
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM alerts") == 1
    await on_unreachable(harness.svc, (await person(harness, "T01")).id)
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM alerts") == 1


async def test_pending_evaluations_are_picked_up_by_the_job(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = await school(harness, "S001", "T01", "D01")
    # The answer is committed but evaluating it fails (the bot went down in between).

    async def fail(svc: Services, checkin_id: int) -> None:
        raise RuntimeError("the bot stopped before evaluating")

    monkeypatch.setattr(harness.svc, "on_checkin_answers", fail)
    monkeypatch.setattr(harness.svc, "on_checkin_settled", fail)
    await answer_checkin(harness, "S001", temperature=38.2)
    monkeypatch.undo()
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM alerts") == 0
    await harness.tick()
    await harness.delivered()
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM alerts") == 1
    await users["T01"].wait_for_message(contains="38.2")
    assert await hand_on_unevaluated(harness.svc) == 0


async def outbox_statuses(harness: Harness) -> dict[str, int]:
    rows = await harness.svc.db.fetchall("SELECT status, COUNT(*) FROM outbox GROUP BY status")
    return {str(r[0]): int(r[1]) for r in rows}


async def test_a_warning_at_the_bureau_that_turns_urgent_can_still_be_taken(
    harness: Harness,
) -> None:
    await school(harness, "S001", "T01", "D01", "A01", "B01")
    await answer_checkin(harness, "S001", temperature=37.5)
    for _ in range(2):  # an hour each: the school admins, then the bureau
        harness.clock.advance(minutes=60)
        await harness.tick()
    alert = await alert_row(harness, "fever")
    assert alert["escalation_step"] == 2
    harness.clock.advance(hours=3)
    await answer_checkin(harness, "S001", temperature=38.6, slot_index=1)
    harness.clock.advance(minutes=10)
    await harness.tick()
    row = await alert_row(harness, "fever")
    assert (row["level"], row["escalation_step"]) == ("urgent", 2)
    action = await actions.acknowledge(harness.svc, alert["id"], await person(harness, "D01"))
    assert action.done
    assert (await alert_row(harness, "fever"))["state"] == "acknowledged"


async def test_after_a_move_the_old_class_teacher_gets_nothing_new_and_cannot_act(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "T02", "D01")
    await answer_checkin(harness, "S001", temperature=37.5)
    await harness.delivered()
    await users["T01"].wait_for_message(contains="37.5")
    moved = STUDENTS_CSV.replace(
        "S001,张小明,城关一中,初二(3)班", "S001,张小明,城关一中,初二(4)班"
    )
    assert moved != STUDENTS_CSV
    await harness.seed(students_csv=moved)
    harness.clock.advance(hours=5)
    await answer_checkin(harness, "S001", temperature=38.4, slot_index=1)
    await harness.delivered()
    await users["T02"].wait_for_message(contains="38.4")  # the new class teacher
    await users["D01"].wait_for_message(contains="38.4")
    assert not [m for m in users["T01"].messages if "38.4" in (m.get("text") or "")]
    alert = await alert_row(harness, "fever")
    old_card = next(m for m in users["T01"].messages if "37.5" in (m.get("text") or ""))
    mark = harness.api.mark()
    for verb in ("hist", "done"):
        await users["T01"].press(old_card["message_id"], f"al:{alert['id']}:{verb}")
    await harness.api.wait_for(
        lambda call: call.method == "answerCallbackQuery" and "没有权限" in str(call.params),
        since=mark,
    )
    await harness.delivered()
    assert (await alert_row(harness, "fever"))["state"] == "open"
    assert not [m for m in users["T01"].messages if "最近" in (m.get("text") or "")]


async def test_a_student_who_blocks_again_after_unblocking_raises_a_new_alert(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01")
    student, teacher = users["S001"], users["T01"]
    student.block()
    await nudge(harness, "S001", "m1")
    await teacher.wait_for_message(contains="联系不上")
    first = await alert_row(harness, "unreachable")
    assert (await actions.resolve(harness.svc, first["id"], await person(harness, "T01"))).done

    student.unblock()
    harness.clock.advance(days=1)
    await nudge(harness, "S001", "m2")
    assert any(m.get("text") == "m2" for m in student.messages)
    assert (await person(harness, "S001")).unreachable_at is None

    student.block()
    harness.clock.advance(days=1)
    mark = harness.api.mark()
    await nudge(harness, "S001", "m3")
    await teacher.wait_for_message(contains="联系不上", since=mark)
    assert (
        await harness.svc.db.scalar("SELECT COUNT(*) FROM alerts WHERE kind = 'unreachable'") == 2
    )


async def nudge(harness: Harness, number: str, text: str) -> None:
    """Send the person a plain message through the outbox and wait until it is settled."""
    who = await person(harness, number)
    async with harness.svc.db.transaction() as tx:
        await outbox.enqueue(
            tx,
            outbox.Outgoing(text, outbox.Lane.ALERT, who.chat_id, "sendMessage", {"text": text},
                            who.id),
            now=harness.svc.now(),
        )  # fmt: skip
    harness.svc.wake_outbox()
    await harness.delivered()


async def test_every_card_shown_is_in_the_audit_trail(harness: Harness) -> None:
    users = await school(harness, "S001", "T01", "D01", "A01")
    await answer_checkin(harness, "S001", temperature=38.2)
    await harness.delivered()
    card = await users["T01"].wait_for_message(contains="38.2")
    student = await person(harness, "S001")
    readers = {(await person(harness, n)).id: n for n in ("T01", "D01", "A01")}

    async def shown() -> list[str]:
        rows = await harness.svc.db.fetchall(
            "SELECT actor_id FROM audit WHERE action = 'alert_card' AND student_id = ?"
            " ORDER BY id",
            (student.id,),
        )
        return [readers[r[0]] for r in rows]

    assert sorted(await shown()) == ["D01", "T01"]
    mark = harness.api.mark()
    await users["T01"].press(card["message_id"], data(card, "我来处理"))
    await harness.api.wait_for(lambda c: c.method == "editMessageText", since=mark)
    await harness.delivered()
    # The doctor's card now says who took it: shown again, recorded again.
    assert sorted(await shown()) == ["D01", "D01", "T01"]
    await users["A01"].send_text("/audit S001")
    trail = await users["A01"].wait_for_message(contains="收到提醒卡片")
    assert "张小明" in trail["text"]


async def test_a_warning_late_in_the_evening_escalates_after_waking_time_not_at_night(
    harness: Harness,
) -> None:
    await with_evening_round(harness)
    await school(harness, "S001", "T01", "D01", "A01")
    harness.clock.set(datetime(2026, 11, 30, 21, 30, tzinfo=SHANGHAI))
    await answer_checkin(harness, "S001", temperature=37.5, slot_index=2)
    harness.clock.set(datetime(2026, 11, 30, 22, 31, tzinfo=SHANGHAI))
    await harness.tick()
    assert (await alert_row(harness, "fever"))["escalation_step"] == 0
    harness.clock.set(datetime(2026, 12, 1, 7, 29, tzinfo=SHANGHAI))
    await harness.tick()
    assert (await alert_row(harness, "fever"))["escalation_step"] == 0
    harness.clock.set(datetime(2026, 12, 1, 7, 31, tzinfo=SHANGHAI))
    await harness.tick()
    assert (await alert_row(harness, "fever"))["escalation_step"] == 1


async def test_an_urgent_alert_nobody_routed_can_receive_goes_up_at_once(
    harness: Harness,
) -> None:
    # The counselor and class teacher have not linked Telegram; the school admin has.
    users = await school(harness, "S001", "A01")
    student = await person(harness, "S001")
    assert await student_text.screen_student_text(harness.svc, student, "我不想活了", "text")
    await harness.tick()
    await harness.delivered()
    await users["A01"].wait_for_message(contains="张小明")
    assert (await alert_row(harness, "crisis"))["escalation_step"] == 1
