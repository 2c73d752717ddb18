"""Crisis care end to end through the fake Bot API: the two tiers, "Not a concern", /missed,
and the review export."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from bot.core.clock import FakeClock
from bot.core.config import Config
from bot.core.i18n import Catalog
from bot.safeguarding import student_text
from bot.safeguarding.screen import screen_text
from tests.conftest import SHANGHAI
from tests.fakeapi import FakeBotAPI, FakeUser
from tests.harness import Harness, make_config
from tests.steps import alert_row, button_data, person, school

REPO = Path(__file__).resolve().parent.parent
CATALOG = Catalog.load()
# One sentence per urgent warning sign. The screen is being rewritten alongside: a sentence it
# does not read as its category yet is skipped (and says so), never counted as passing.
URGENT_SENTENCES = {
    "ideation": "我想自杀",
    "passive_wish": "我不想活了",
    "plan": "我查了吃多少片安眠药会死，周末就吃",
    "self_harm": "I cut myself again",
    "overdose": "我把安眠药吃了一瓶",
    "finality": "这是我最后一条消息了，我的东西都送给同桌了，再见",
    "burden": "我就是家里的累赘，活着只会拖累大家",
}
CONCERN = "我想消失"
OFFER = CATALOG.t("zh-CN", "alerts.concern.offer")
NOT_ALLOWED = CATALOG.t("zh-CN", "common.not_allowed")


def category_words(category: str) -> str:
    return CATALOG.t("zh-CN", f"alerts.crisis_category.{category}")


async def recorded(harness: Harness, message_id: int) -> None:
    """Wait until the delivery worker has noted which message a sent row became."""
    sql = "SELECT 1 FROM outbox WHERE message_id = ?"
    for _ in range(250):
        if await harness.svc.db.scalar(sql, (message_id,)):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"no outbox row became message {message_id}")


def messages_since(user: FakeUser, mark: int) -> list[str]:
    return [str(m.get("text") or "") for m in user.messages if m["seq"] >= mark]


@pytest.mark.parametrize("category", list(URGENT_SENTENCES))
async def test_urgent_sentence_of_each_category_gets_hotlines_and_urgent_cards(
    harness: Harness, category: str
) -> None:
    sentence = URGENT_SENTENCES[category]
    hit = screen_text(sentence)
    if hit is None or hit.category != category:
        pytest.skip(f"today's screen reads {sentence!r} as {hit and hit.category}, not {category}")
    assert hit.tier == "urgent"
    users = await school(harness, "S001", "T01", "C01", "D01")
    mark = harness.api.mark()
    started = time.monotonic()
    await users["S001"].send_text(sentence)
    reply = await users["S001"].wait_for_message(contains="12356", since=mark)
    assert time.monotonic() - started < 2.0, "the hotlines took longer than 2 s"
    # The hotlines are the first answer the student sees.
    assert "12356" in messages_since(users["S001"], mark)[0]
    assert button_data(reply) == ["ct:counselor"]
    await harness.delivered()
    quote = f"「{hit.span}」"
    for number in ("C01", "T01"):
        card = await users[number].wait_for_message(contains=category_words(category))
        assert "紧急" in card["text"] and "张小明" in card["text"]
        assert quote in card["text"], card["text"]
        assert f"al:{(await alert_row(harness, 'crisis'))['id']}:not_concern" in button_data(card)
    assert not [m for m in users["D01"].messages if "张小明" in str(m.get("text"))]
    assert (await alert_row(harness, "crisis"))["level"] == "urgent"


async def test_a_concern_reaches_only_the_counselor_with_no_hotlines(harness: Harness) -> None:
    users = await school(harness, "S001", "T01", "C01")
    mark = harness.api.mark()
    await users["S001"].send_text(CONCERN)
    offer = await users["S001"].wait_for_message(contains=OFFER[:8], since=mark)
    assert button_data(offer) == ["ct:counselor"]
    await harness.delivered()
    card = await users["C01"].wait_for_message(contains=category_words("distress"))
    assert "注意" in card["text"] and "「想消失」" in card["text"]
    assert "al:" in button_data(card)[-1] and button_data(card)[-1].endswith(":not_concern")
    seen = messages_since(users["S001"], mark)
    assert not [text for text in seen if "12356" in text], seen
    assert not [m for m in users["T01"].messages if "张小明" in str(m.get("text"))]
    row = await alert_row(harness, "crisis")
    assert row["level"] == "warning"
    # A warning's deadline (60 minutes), not an urgent one's.
    assert row["next_escalation_at"] == harness.svc.now() + 60 * 60
    outbox_lanes = await harness.svc.db.fetchall(
        "SELECT lane FROM outbox WHERE dedup_key GLOB 'crisis:*'"
    )
    assert [r[0] for r in outbox_lanes] == [1], "the offer is not urgent"


async def test_a_concern_at_night_waits_out_quiet_hours(harness: Harness) -> None:
    users = await school(harness, "S001", "T01", "C01")
    harness.clock.set(datetime(2026, 11, 30, 23, 0, tzinfo=SHANGHAI))
    await users["S001"].send_text(CONCERN)
    await users["S001"].wait_for_message(contains=OFFER[:8])
    await harness.delivered()
    assert not [m for m in users["C01"].messages if "张小明" in str(m.get("text"))]
    harness.clock.set(datetime(2026, 12, 1, 7, 0, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()
    await users["C01"].wait_for_message(contains=category_words("distress"))


async def test_a_concern_then_an_urgent_hit_rises_and_reaches_the_teacher(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "C01")
    await users["S001"].send_text(CONCERN)
    await harness.delivered()
    await users["C01"].wait_for_message(contains=category_words("distress"))
    harness.clock.advance(minutes=5)
    await users["S001"].send_text("我不想活了")
    await users["S001"].wait_for_message(contains="12356")
    await harness.delivered()
    card = await users["T01"].wait_for_message(contains=category_words("passive_wish"))
    assert "紧急" in card["text"] and "「不想活」" in card["text"]
    urgent = await users["C01"].wait_for_message(contains="「不想活」")
    assert "紧急" in urgent["text"]
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM alerts WHERE kind = 'crisis'") == 1
    row = await alert_row(harness, "crisis")
    assert row["level"] == "urgent" and row["signals"] == 2
    # A later concern does not hide the urgent words from the card.
    await users["S001"].send_text("I want to disappear")
    await harness.delivered()
    facts = json.loads((await alert_row(harness, "crisis"))["facts"])
    assert (facts["category"], facts["span"]) == ("passive_wish", "不想活")


@pytest.fixture
async def quiet_offer(tmp_path: Path, api: FakeBotAPI, clock: FakeClock) -> AsyncIterator[Harness]:
    """The bot with [crisis] concern_offer_talk = false."""
    base = make_config(tmp_path, api)
    config: Config = make_config(
        tmp_path, api, crisis=dataclasses.replace(base.crisis, concern_offer_talk=False)
    )
    api.now = lambda: clock.now().timestamp()
    bot = Harness(config, api, clock)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


async def test_without_the_offer_a_concern_sends_the_student_nothing_of_it(
    quiet_offer: Harness,
) -> None:
    harness = quiet_offer
    users = await school(harness, "S001", "T01", "C01")
    mark = harness.api.mark()
    await users["S001"].send_text(CONCERN)
    # The usual "who is this for" hint, since nothing else answered the text.
    await users["S001"].wait_for_message(contains="/talk", since=mark)
    await harness.delivered()
    await users["C01"].wait_for_message(contains=category_words("distress"))
    seen = messages_since(users["S001"], mark)
    assert not [text for text in seen if "12356" in text or OFFER[:8] in text], seen
    assert not await harness.svc.db.scalar(
        "SELECT COUNT(*) FROM outbox WHERE dedup_key GLOB 'crisis:*'"
    )


async def test_not_a_concern_is_stored_resolves_and_shows_on_every_card(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "C01")
    await users["S001"].send_text("我不想活了，活着没意思")
    await harness.delivered()
    card = await users["C01"].wait_for_message(contains="「不想活」")
    await users["T01"].wait_for_message(contains="「不想活」")
    alert = await alert_row(harness, "crisis")
    assert "不需要关注" in str(card["reply_markup"])
    mark = harness.api.mark()
    query = await users["C01"].press(card["message_id"], f"al:{alert['id']}:not_concern")
    answer = await users["C01"].answered(query)
    assert "不需要关注" in answer["text"]
    mine = await users["C01"].wait_for_message(contains="陈老师标记为：不需要关注", since=mark)
    assert f"al:{alert['id']}:not_concern" not in button_data(mine)
    await harness.delivered()
    teachers = await users["T01"].wait_for_message(contains="陈老师标记为：不需要关注", since=mark)
    assert f"al:{alert['id']}:ack" not in button_data(teachers)
    row = await alert_row(harness, "crisis")
    counselor = await person(harness, "C01")
    assert row["label"] == "not_concern" and row["labelled_by"] == counselor.id
    assert row["labelled_at"] == harness.svc.now() and row["state"] == "resolved"
    example = await harness.svc.db.fetchone("SELECT * FROM crisis_examples")
    assert example is not None
    assert dict(example) | {"id": 0} == {
        "id": 0,
        "source": "not_concern",
        "text": "我不想活了，活着没意思",
        "label": "none",
        "labelled_by": counselor.id,
        "created_at": harness.svc.now(),
        "labelled_at": harness.svc.now(),
        "student_id": (await person(harness, "S001")).id,
        "alert_id": alert["id"],
    }
    # A second press changes nothing and says someone already did.
    query = await users["T01"].press(teachers["message_id"], f"al:{alert['id']}:not_concern")
    assert "已经有人标记过了" in (await users["T01"].answered(query))["text"]
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM crisis_examples") == 1


async def test_not_a_concern_is_refused_outside_scope_and_on_other_alerts(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "T01", "C01", "T91")
    await users["S001"].send_text("我想自杀")
    await users["S001"].wait_for_message(contains="12356")
    await harness.delivered()
    alert = await alert_row(harness, "crisis")
    for number in ("T91", "S001"):
        user = users[number]
        last = user.last_message
        assert last is not None
        query = await user.press(last["message_id"], f"al:{alert['id']}:not_concern")
        refused = await user.answered(query)
        assert refused["text"] == NOT_ALLOWED and refused.get("show_alert")
    assert (await alert_row(harness, "crisis"))["label"] is None
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM crisis_examples") == 0


async def test_missed_records_pasted_text_and_the_chosen_label(harness: Harness) -> None:
    users = await school(harness, "S001", "T01", "C01")
    counselor = users["C01"]
    mark = harness.api.mark()
    await counselor.send_text("/missed 好想睡着就再也不醒\n反正也没人在乎")
    ask = await counselor.wait_for_message(contains="谢谢你", since=mark)
    assert "不会通知任何人" in ask["text"]
    row = await harness.svc.db.fetchone("SELECT * FROM crisis_examples")
    assert row is not None
    assert row["text"] == "好想睡着就再也不醒\n反正也没人在乎"
    assert row["source"] == "missed" and row["label"] is None and row["student_id"] is None
    assert f"cm:{row['id']}:unsure" in button_data(ask)
    # Someone else's report is not theirs to label.
    teacher = users["T01"]
    await teacher.send_text("/missed 我想要消失")
    own = await teacher.wait_for_message(contains="谢谢你")
    query = await teacher.press(own["message_id"], f"cm:{row['id']}:plan")
    assert (await teacher.answered(query)).get("show_alert")
    mark = harness.api.mark()
    await counselor.press(ask["message_id"], f"cm:{row['id']}:passive_wish")
    thanks = await counselor.wait_for_message(contains="已记录为", since=mark)
    assert "不想活下去" in thanks["text"] and "保留期限" in thanks["text"]
    row = await harness.svc.db.fetchone(
        "SELECT label, labelled_by, labelled_at FROM crisis_examples WHERE id = ?", (row["id"],)
    )
    assert row is not None
    assert tuple(row) == ("passive_wish", (await person(harness, "C01")).id, harness.svc.now())


async def test_missed_as_a_reply_to_a_relayed_message_takes_the_students_words(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "C01")
    student, counselor = users["S001"], users["C01"]
    await student.send_text("/talk")
    offer = await student.wait_for_message(contains="发消息")
    await student.press(offer["message_id"], "ct:counselor")
    await student.wait_for_message(contains="陈老师")
    await student.send_text("我想回家了，想我妈")
    await harness.delivered()
    relayed = await counselor.wait_for_message(contains="我想回家了，想我妈")
    mark = harness.api.mark()
    await recorded(harness, relayed["message_id"])
    await counselor.send_text("/missed", reply_to_message_id=relayed["message_id"])
    await counselor.wait_for_message(contains="谢谢你", since=mark)
    row = await harness.svc.db.fetchone("SELECT text, student_id FROM crisis_examples")
    assert row is not None
    assert tuple(row) == ("我想回家了，想我妈", (await person(harness, "S001")).id)


async def test_missed_needs_words_and_is_for_staff(harness: Harness) -> None:
    users = await school(harness, "S001", "C01")
    mark = harness.api.mark()
    await users["C01"].send_text("/missed")
    await users["C01"].wait_for_message(contains="用法", since=mark)
    await users["S001"].send_text("/missed 我想死")
    await users["S001"].wait_for_message(contains=NOT_ALLOWED, since=mark)
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM crisis_examples") == 0


async def test_review_export_opens_in_openpyxl_without_names(
    harness: Harness, tmp_path: Path
) -> None:
    users = await school(harness, "S001", "T01", "C01")
    await users["S001"].send_text("我不想活了")
    await harness.delivered()
    card = await users["C01"].wait_for_message(contains="「不想活」")
    alert = await alert_row(harness, "crisis")
    query = await users["C01"].press(card["message_id"], f"al:{alert['id']}:not_concern")
    await users["C01"].answered(query)
    mark = harness.api.mark()
    await users["T01"].send_text('/missed =HYPERLINK("x") 我想消失在这个世界上')
    ask = await users["T01"].wait_for_message(contains="谢谢你", since=mark)
    example_id = int(button_data(ask)[0].split(":")[1])
    await users["T01"].press(ask["message_id"], f"cm:{example_id}:distress")
    await users["T01"].wait_for_message(contains="已记录为", since=mark)
    mark = harness.api.mark()
    await users["T01"].send_text("/missed 好累啊今天")
    await users["T01"].wait_for_message(contains="谢谢你", since=mark)
    await harness.delivered()

    settings = tmp_path / "review.toml"
    database = harness.config.general.database
    settings.write_text(f"[general]\ndatabase = '{database}'\n", encoding="utf-8")
    out = tmp_path / "review.xlsx"
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "crisis", "review", "--config", str(settings), "--out",
         str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "3 labelled examples" in done.stdout
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows[0] == (
        "原话",
        "老师的判断",
        "级别",
        "现在的筛查结果",
        "来源",
        "记录时间",
        "判断时间",
    )
    body = {row[0]: row[1:5] for row in rows[1:]}
    # The screen learns: what it says of a missed message today is whatever it says now.
    hyperlink = '=HYPERLINK("x") 我想消失在这个世界上'
    words = Catalog.load()

    def said(text: str) -> str:
        now = screen_text(text)
        if now is None:
            return "未检出"
        tier = "紧急" if now.tier == "urgent" else "需关注"
        return f"{tier} · {words.t('zh-CN', f'alerts.crisis_category.{now.category}')}"

    assert body == {
        "我不想活了": ("不需要关注", "不需要关注", "紧急 · 不想活下去的念头", "不需要关注"),
        hyperlink: ("绝望或想消失（需关注）", "需关注", said(hyperlink), "筛查漏掉"),
        "好累啊今天": ("（还没选）", None, said("好累啊今天"), "筛查漏掉"),
    }
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells), "a text became a formula"
    shown = " ".join(str(c.value) for c in cells)
    assert "张小明" not in shown and "S001" not in shown and "陈老师" not in shown
    audited = await harness.svc.db.scalar(
        "SELECT COUNT(*) FROM audit WHERE action = 'crisis_review_export'"
    )
    assert audited == 1


async def test_two_students_with_the_same_words_in_the_same_second_both_raise_alerts(
    harness: Harness,
) -> None:
    """Message ids are counted per chat: two students' message 7 may say the same thing."""
    await school(harness, "S001", "S002", "C01")
    for number in ("S001", "S002"):
        student = await person(harness, number)
        assert await student_text.screen_student_text(harness.svc, student, "我想自杀", "text:7")
    count = await harness.svc.db.scalar("SELECT COUNT(*) FROM alerts WHERE kind = 'crisis'")
    assert count == 2


async def test_missed_as_a_reply_to_a_photo_without_words_asks_for_them(harness: Harness) -> None:
    users = await school(harness, "S001", "C01")
    student, counselor = users["S001"], users["C01"]
    await student.send_text("/talk")
    offer = await student.wait_for_message(contains="发消息")
    await student.press(offer["message_id"], "ct:counselor")
    await student.wait_for_message(contains="陈老师")
    await student.send_photo()
    await harness.delivered()
    relayed = await counselor.wait_for_message(contains="张小明")
    await recorded(harness, relayed["message_id"])
    mark = harness.api.mark()
    await counselor.send_text("/missed", reply_to_message_id=relayed["message_id"])
    await counselor.wait_for_message(contains="用法", since=mark)
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM crisis_examples") == 0
