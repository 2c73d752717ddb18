"""Crisis repeats that notify, and handling that counts (issue 15 items 3 and 4), end to end
through the fake Bot API."""

from __future__ import annotations

import json
from typing import Any

from bot.alerts import evaluate
from bot.core.i18n import Catalog
from bot.retention import purge as retention
from tests.fakeapi import FakeUser
from tests.harness import Harness
from tests.steps import (
    alert_row,
    answer_checkin,
    button_data,
    column,
    events,
    ledger_of,
    person,
    rows,
    school,
)

CATALOG = Catalog.load()
FIRST = "我不想活了，活着没意思"
SECOND = "药我已经攒好了，今晚就吃。我想自杀"
FRIEND = "我同桌昨天跟我说，她想自杀"


def sends_to(harness: Harness, user: FakeUser, since: int) -> list[dict[str, Any]]:
    """The sendMessage calls that reached this user's chat since the mark."""
    return [
        call.params
        for call in harness.api.calls[since:]
        if call.method == "sendMessage" and call.ok and int(call.params["chat_id"]) == user.id
    ]


def replies_to(user: FakeUser, message_id: int) -> list[dict[str, Any]]:
    return [
        m
        for m in user.messages
        if (m.get("reply_to_message") or {}).get("message_id") == message_id
    ]


def card_now(user: FakeUser, card: dict[str, Any]) -> dict[str, Any]:
    """The card as it stands now, after its edits."""
    return next(m for m in user.messages if m["message_id"] == card["message_id"])


async def first_cards(harness: Harness, users: dict[str, FakeUser]) -> dict[str, Any]:
    await users["S001"].send_text(FIRST)
    await users["S001"].wait_for_message(contains="12356")
    await harness.delivered()
    return {
        number: await users[number].wait_for_message(contains="张小明")
        for number in ("C01", "T01")
    }


async def test_a_second_crisis_sentence_after_the_card_was_taken_notifies_its_owner(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "C01")
    cards = await first_cards(harness, users)
    alert = await alert_row(harness, "crisis")
    query = await users["C01"].press(cards["C01"]["message_id"], f"al:{alert['id']}:ack")
    await users["C01"].answered(query)
    await harness.delivered()
    harness.clock.advance(minutes=20)
    mark = harness.api.mark()
    await users["S001"].send_text(SECOND)
    await users["S001"].wait_for_message(contains="12356", since=mark)
    await harness.delivered()
    # A new message, not only an edit: Telegram makes a sound for it.
    [sent] = sends_to(harness, users["C01"], mark)
    assert "reply_parameters" in sent or "reply_to_message_id" in sent, sent
    [again] = replies_to(users["C01"], cards["C01"]["message_id"])
    assert "张小明" in again["text"] and "今晚就吃" in again["text"], again["text"]
    assert "已出现 2 次" in again["text"]
    # The owner has it; the teacher's card is brought up to date without a second alarm.
    assert not sends_to(harness, users["T01"], mark)
    assert "已出现 2 次" in card_now(users["T01"], cards["T01"])["text"]
    lanes = await harness.svc.db.fetchall(
        "SELECT lane FROM outbox WHERE dedup_key GLOB ? AND method = 'sendMessage'",
        (f"al:{alert['id']}:*:again:*",),
    )
    assert [r[0] for r in lanes] == [0], "an urgent repeat goes on the urgent lane"


async def test_while_nobody_took_it_every_recipient_hears_of_a_new_crisis_sentence(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "C01")
    cards = await first_cards(harness, users)
    harness.clock.advance(minutes=3)
    mark = harness.api.mark()
    await users["S001"].send_text(SECOND)
    await users["S001"].wait_for_message(contains="12356", since=mark)
    await harness.delivered()
    for number in ("C01", "T01"):
        assert len(sends_to(harness, users[number], mark)) == 1, number
        [again] = replies_to(users[number], cards[number]["message_id"])
        assert "今晚就吃" in again["text"]


async def test_a_friend_report_and_the_students_own_words_are_kept_apart(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "C01")
    cards = await first_cards(harness, users)
    harness.clock.advance(minutes=3)
    await users["S001"].send_text(FRIEND)
    await users["S001"].wait_for_message(contains="你做得对")
    await harness.delivered()
    facts = json.loads((await alert_row(harness, "crisis"))["facts"])
    assert facts["category"] == "passive_wish" and facts["message"] == FIRST
    assert facts["other"]["category"] == "ideation_other"
    assert facts["other"]["message"] == FRIEND
    card = card_now(users["C01"], cards["C01"])
    assert "不想活下去的念头" in card["text"] and f"「{FIRST}」" in card["text"]
    assert f"「{FRIEND}」" in card["text"]
    # The student's own words again: the friend's report stays on the card.
    mark = harness.api.mark()
    await users["S001"].send_text(SECOND)
    await users["S001"].wait_for_message(contains="12356", since=mark)
    await harness.delivered()
    facts = json.loads((await alert_row(harness, "crisis"))["facts"])
    assert facts["message"] == SECOND and facts["other"]["message"] == FRIEND


async def test_a_friend_report_first_keeps_its_place_when_the_student_speaks_of_themselves(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "C01")
    await users["S001"].send_text(FRIEND)
    await users["S001"].wait_for_message(contains="你做得对")
    await harness.delivered()
    card = await users["T01"].wait_for_message(contains="张小明")
    mark = harness.api.mark()
    await users["S001"].send_text(FIRST)
    await users["S001"].wait_for_message(contains="12356", since=mark)
    await harness.delivered()
    facts = json.loads((await alert_row(harness, "crisis"))["facts"])
    assert facts["category"] == "passive_wish"
    assert facts["other"]["category"] == "ideation_other"
    card = card_now(users["T01"], card)
    assert "不想活下去的念头" in card["text"]
    assert "提到同学、朋友或兄弟姐妹可能有轻生念头" in card["text"]


async def test_the_card_quotes_the_students_message_the_teacher_the_sentence(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "C01")
    text = "今天又被骂了。我不想活了，真的好累。明天还要上网课"
    await users["S001"].send_text(text)
    await harness.delivered()
    counselor = await users["C01"].wait_for_message(contains="张小明")
    assert f"「{text}」" in counselor["text"], counselor["text"]
    teacher = await users["T01"].wait_for_message(contains="张小明")
    assert "「我不想活了，真的好累。」" in teacher["text"], teacher["text"]
    assert "今天又被骂了" not in teacher["text"]
    assert button_data(teacher)


# --- handling counts (item 4) ------------------------------------------------------------


async def handling_call(harness: Harness, alert_id: int) -> tuple[int, int] | None:
    """(staff id, time) of the phone call recorded as the alert's handling, if any."""
    row = await harness.svc.db.fetchone(
        "SELECT c.staff_id, c.at FROM alerts a JOIN contacts c ON c.id = a.handled_call_id"
        " WHERE a.id = ?",
        (alert_id,),
    )
    return None if row is None else (row[0], row[1])


def answer_of(user: FakeUser) -> str:
    return str(user.callback_answers[-1].get("text", ""))


async def offer_after_call(users: dict[str, FakeUser], number: str = "S001") -> dict[str, Any]:
    """Log a call to the student as the class teacher; the reply with its buttons."""
    mark = users["T01"].api.mark()
    await users["T01"].send_text(f"/called {number}")
    return await users["T01"].wait_for_message(contains="已记录", since=mark)


async def test_called_offers_to_count_the_call_as_the_handling_and_escalation_stops(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "D01", "A01")
    await answer_checkin(harness, "S001", temperature=38.5)
    await harness.delivered()
    doctor_card = await users["D01"].wait_for_message(contains="38.5")
    alert = await alert_row(harness, "fever")
    harness.clock.advance(minutes=4)
    offer = await offer_after_call(users)
    assert "这通电话处理了：发热" in str(offer["reply_markup"])
    assert button_data(offer) == [f"al:{alert['id']}:call"]
    query = await users["T01"].press(offer["message_id"], f"al:{alert['id']}:call")
    answer = await users["T01"].answered(query)
    assert "由你负责" in answer["text"]
    await harness.delivered()
    row = await alert_row(harness, "fever")
    teacher = await person(harness, "T01")
    call = await harness.svc.db.scalar(
        "SELECT id FROM contacts WHERE direction = 'call' AND staff_id = ?", (teacher.id,)
    )
    assert (row["state"], row["owner_id"], row["handled_call_id"]) == (
        "acknowledged",
        teacher.id,
        call,
    )
    assert row["next_escalation_at"] is None
    assert "王老师打电话处理了（11-30 07:34）" in card_now(users["D01"], doctor_card)["text"]
    assert not button_data(card_now(users["T01"], offer)), "the used button is gone"
    # Past the urgent deadline: nobody further is told.
    harness.clock.advance(minutes=30)
    await harness.tick()
    await harness.delivered()
    assert not [m for m in users["A01"].messages if "38.5" in str(m.get("text"))]
    assert "escalated:1" not in await events(harness, alert["id"])


async def test_a_call_settles_an_unreachable_alert_and_the_line_on_what_was_done_is_kept(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01")
    student = await person(harness, "S001")
    await evaluate.on_unreachable(harness.svc, student.id)
    await harness.delivered()
    card = await users["T01"].wait_for_message(contains="联系不上")
    alert = await alert_row(harness, "unreachable")
    offer = await offer_after_call(users)
    mark = harness.api.mark()
    await users["T01"].press(offer["message_id"], f"al:{alert['id']}:call")
    ask = await users["T01"].wait_for_message(contains="处置情况（可跳过）", since=mark)
    assert button_data(ask) == [f"rs:{alert['id']}:skip"]
    assert "提醒已关闭" in answer_of(users["T01"])
    row = await alert_row(harness, "unreachable")
    assert row["state"] == "resolved" and row["handled_call_id"] is not None
    line = "已联系家长：孩子手机坏了，\n明天换新手机"
    await users["T01"].send_text(line)
    await users["T01"].wait_for_message(contains="已记下处置情况", since=mark)
    await harness.delivered()
    row = await alert_row(harness, "unreachable")
    assert row["resolution"] == "已联系家长：孩子手机坏了， 明天换新手机"
    assert row["resolution_by"] == (await person(harness, "T01")).id
    shown = card_now(users["T01"], card)["text"]
    assert f"📝 处置情况：{row['resolution']}" in shown
    # What the ledger reads for its 处置情况 column.
    call = await handling_call(harness, alert["id"])
    assert call == ((await person(harness, "T01")).id, harness.svc.now())
    # Answered once: the next text is not taken as the line again.
    await users["T01"].send_text("谢谢")
    await users["T01"].wait_for_message(contains=CATALOG.t("zh-CN", "text.hint_staff")[:6])
    assert (await alert_row(harness, "unreachable"))["resolution"] == row["resolution"]


async def test_the_line_after_resolved_is_not_relayed_nor_read_as_a_temperature(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "D01")
    await answer_checkin(harness, "S001", temperature=38.5)
    await harness.delivered()
    card = await users["T01"].wait_for_message(contains="38.5")
    alert = await alert_row(harness, "fever")
    # The teacher had started writing to the student before resolving.
    query = await users["T01"].press(card["message_id"], f"al:{alert['id']}:msg")
    await users["T01"].answered(query)
    await users["T01"].wait_for_message(contains="张小明")
    harness.clock.advance(minutes=1)
    mark = harness.api.mark()
    await users["T01"].press(card["message_id"], f"al:{alert['id']}:done")
    await users["T01"].wait_for_message(contains="处置情况（可跳过）", since=mark)
    await users["T01"].send_text("36.8")
    await users["T01"].wait_for_message(contains="已记下处置情况", since=mark)
    await harness.delivered()
    assert (await alert_row(harness, "fever"))["resolution"] == "36.8"
    assert not [m for m in users["S001"].messages if "36.8" in str(m.get("text"))]
    doctor = await users["D01"].wait_for_message(contains="处置情况：36.8")
    assert "38.5" in doctor["text"]
    # The conversation is still there for the next text.
    await users["T01"].send_text("记得多喝水")
    await harness.delivered()
    await users["S001"].wait_for_message(contains="记得多喝水")


async def test_skip_leaves_no_line_and_a_long_line_is_asked_again(harness: Harness) -> None:
    users = await school(harness, "S001", "T01", "D01")
    await answer_checkin(harness, "S001", temperature=38.5)
    await harness.delivered()
    card = await users["T01"].wait_for_message(contains="38.5")
    alert = await alert_row(harness, "fever")
    mark = harness.api.mark()
    await users["T01"].press(card["message_id"], f"al:{alert['id']}:done")
    ask = await users["T01"].wait_for_message(contains="处置情况（可跳过）", since=mark)
    await users["T01"].send_text("很长" * 101)
    await users["T01"].wait_for_message(contains="200 字以内", since=mark)
    assert (await alert_row(harness, "fever"))["resolution"] is None
    query = await users["T01"].press(ask["message_id"], f"rs:{alert['id']}:skip")
    assert "不写" in (await users["T01"].answered(query))["text"]
    mark = harness.api.mark()
    await users["T01"].send_text("已处理")
    await users["T01"].wait_for_message(contains=CATALOG.t("zh-CN", "text.hint_staff")[:6])
    assert (await alert_row(harness, "fever"))["resolution"] is None
    # A student cannot press it.
    student = users["S001"]
    last = student.last_message
    assert last is not None
    query = await student.press(last["message_id"], f"rs:{alert['id']}:skip")
    assert (await student.answered(query))["text"] == CATALOG.t("zh-CN", "common.not_allowed")


async def test_the_line_is_forgotten_with_the_alerts_facts(harness: Harness) -> None:
    users = await school(harness, "S001", "T01", "D01")
    checkin_id = await answer_checkin(harness, "S001", temperature=38.5)
    await harness.delivered()
    card = await users["T01"].wait_for_message(contains="38.5")
    alert = await alert_row(harness, "fever")
    mark = harness.api.mark()
    await users["T01"].press(card["message_id"], f"al:{alert['id']}:done")
    await users["T01"].wait_for_message(contains="处置情况（可跳过）", since=mark)
    await users["T01"].send_text("已让家长带去医院")
    await users["T01"].wait_for_message(contains="已记下处置情况", since=mark)
    student = await person(harness, "S001")
    row = await alert_row(harness, "fever")
    assert row["student_id"] == student.id and row["resolution"] == "已让家长带去医院"
    assert await handling_call(harness, alert["id"]) is None
    signals = await harness.svc.db.fetchall(
        "SELECT key FROM alert_signals WHERE alert_id = ?", (alert["id"],)
    )
    assert [s[0].split(":")[2] for s in signals] == [str(checkin_id)]
    harness.clock.advance(days=harness.config.retention.days_after_isolation + 1)
    await retention.purge_due(harness.svc)
    row = await alert_row(harness, "fever")
    assert row["resolution"] is None and row["facts"] == "{}"
    assert row["state"] == "resolved" and row["resolution_by"] is not None


async def test_the_line_on_what_was_done_reaches_the_ledger(harness: Harness) -> None:
    users = await school(harness, "S001", "T01")
    await answer_checkin(harness, "S001", temperature=38.5)
    await harness.delivered()
    card = await users["T01"].wait_for_message(contains="38.5")
    alert = await alert_row(harness, "fever")
    mark = harness.api.mark()
    await users["T01"].press(card["message_id"], f"al:{alert['id']}:done")
    await users["T01"].wait_for_message(contains="处置情况（可跳过）", since=mark)
    await users["T01"].send_text("已通知家长带去发热门诊")
    await users["T01"].wait_for_message(contains="已记下处置情况", since=mark)
    book = await ledger_of(users["T01"], "/ledger")
    sheet = book.worksheets[1]
    row = next(r for r in rows(sheet) if r[1] == "S001")
    assert "已通知家长带去发热门诊" in str(row[column(sheet, "处置情况")])
