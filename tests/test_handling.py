"""Crisis repeats that notify, and handling that counts (issue 15 items 3 and 4), end to end
through the fake Bot API."""

from __future__ import annotations

import json
from typing import Any

from bot.i18n import Catalog
from tests.fakeapi import FakeUser
from tests.harness import Harness
from tests.test_alerts import alert_row, button_data, school

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
