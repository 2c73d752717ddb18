"""One account must not stall everyone: a chat's flood waits behind its own chat, holds no
processing slot while it waits, is capped, and an unbound flooder is told once a minute."""

from __future__ import annotations

import time

from bot.core.clock import FakeClock
from tests.fakeapi import FakeBotAPI
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS

FLOODER_ID = 4343
FLOOD = 500


async def test_a_crisis_reply_is_not_held_up_by_another_chats_flood(
    harness: Harness, api: FakeBotAPI
) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    student = await harness.onboard("S001", user_id=USER_IDS["S001"])
    flooder = api.user(FLOODER_ID, "Spam", language_code="zh-hans")
    not_bound = harness.svc.catalog.t("zh-CN", "common.not_bound")
    mark = api.mark()
    for n in range(FLOOD):
        await flooder.send_text(f"转发的第 {n} 条消息")
    asked = time.monotonic()
    await student.send_text("我不想活了")
    call = await api.wait_for(
        lambda c: (
            c.method == "sendMessage"
            and c.chat_id == student.id
            and "12356" in str(c.params.get("text"))
        ),
        since=mark,
        timeout=30,
    )
    latency = call.at - asked
    assert latency <= 2.0, f"the hotline reply took {latency:.1f} s behind a {FLOOD}-update flood"
    # The flood was cut short (how much depends on how fast each batch of 100 drains) and
    # answered once.
    assert harness.app is not None
    assert getattr(harness.app.update_processor, "dropped", 0) > 0
    told = [m for m in flooder.messages if m.get("text") == not_bound]
    assert len(told) == 1


async def test_an_unbound_chat_is_told_at_most_once_a_minute(
    harness: Harness, api: FakeBotAPI, clock: FakeClock
) -> None:
    user = api.user(FLOODER_ID, "Nobody", language_code="zh-hans")
    not_bound = harness.svc.catalog.t("zh-CN", "common.not_bound")

    async def texts_then_help(count: int) -> int:
        """Send texts and a barrier /help (handled after them); how many were told."""
        mark = api.mark()
        for n in range(count):
            await user.send_text(f"你好 {n}")
        await user.send_text("/help")
        help_text = harness.svc.catalog.t("zh-CN", "help.unbound")
        await user.wait_for_message(contains=help_text, since=mark)
        return sum(1 for m in user.messages if m["seq"] >= mark and m.get("text") == not_bound)

    assert await texts_then_help(5) == 1
    clock.advance(seconds=30)
    assert await texts_then_help(3) == 0
    clock.advance(seconds=31)
    assert await texts_then_help(3) == 1
    # A typed command is a question and is always answered.
    mark = api.mark()
    await user.send_text("/today")
    await user.wait_for_message(contains=not_bound, since=mark)
