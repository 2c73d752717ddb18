"""A check-in round and a notice under a 429 storm, failing and slow calls and blocked students:
every answer is stored, every outbox row ends in a final state, and nobody gets a prompt or a
notice twice."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.checkins.store import checkins as checkin_store
from bot.core.clock import FakeClock
from bot.delivery import outbox
from bot.notices import receipts, sending
from bot.notices.audience import Audience
from bot.notices.store import notices as notice_store
from bot.notices.store import reports as report_store
from bot.storage import people
from bot.storage.people import select_people
from handlers.common import viewer_for
from tests.conftest import SHANGHAI
from tests.fakeapi import FakeBotAPI
from tests.harness import Harness, make_config
from tests.seed import STAFF_CSV, STUDENTS_HEADER

STUDENTS = 60
FIRST_ID = 70_000
FINAL = {"sent", "failed", "unreachable", "unknown"}


NOTICE = "明天上午8点复课，请带好口罩和体温记录。"


def roster() -> str:
    rows = [
        f"F{n:03d},学生{n},城关一中,初二(3)班,home,2026-11-25,,zh-CN,yes" for n in range(STUDENTS)
    ]
    return STUDENTS_HEADER + "\n".join(rows) + "\n"


@pytest.fixture
async def stormy(tmp_path: Path, api: FakeBotAPI, clock: FakeClock) -> AsyncIterator[Harness]:
    config = make_config(tmp_path, api)
    # Short client timeouts so an injected timeout costs a test well under a second.
    config = dataclasses.replace(
        config, telegram=dataclasses.replace(config.telegram, request_timeout_seconds=0.5)
    )
    harness = Harness(config, api, clock)
    api.now = lambda: clock.now().timestamp()
    await harness.start()
    try:
        yield harness
    finally:
        api.clear_faults()
        await harness.stop()


async def bind_everyone(harness: Harness) -> list[int]:
    """Link every student's account directly; onboarding is tested elsewhere."""
    ids = []
    pairs = [
        (p, n) for n, (p, _, _) in enumerate(await select_people(harness.svc.db)) if p.is_student
    ]
    async with harness.svc.db.transaction() as tx:
        for person, n in pairs:
            user_id = FIRST_ID + n
            await people.bind_account(tx, person.id, user_id, user_id, "zh-CN", harness.svc.now())
            harness.api.user(user_id).chat.started = True
            ids.append(user_id)
    return ids


async def settle(harness: Harness) -> dict[str, int]:
    """Let retries and backoff play out by moving the clock until nothing is left to send."""
    for _ in range(60):
        await harness.delivered(timeout=30)
        counts = await outbox.status_counts(harness.svc.db)
        if not counts.get("pending") and not counts.get("sending"):
            return counts
        harness.clock.advance(seconds=30)
        harness.svc.wake_outbox()
    raise AssertionError(f"outbox never settled: {counts}")


async def test_round_under_faults_loses_nothing_and_repeats_nothing(stormy: Harness) -> None:
    api = stormy.api
    blocked = await stormy_school(stormy)

    stormy.clock.set(datetime(2026, 11, 30, 7, 30, tzinfo=SHANGHAI))
    await stormy.tick()
    counts = await settle(stormy)
    assert set(counts) <= FINAL | {"cancelled"}, counts
    assert counts.get("unreachable", 0) >= len(blocked)

    prompts = Counter(
        int(c.params["chat_id"])
        for c in api.calls
        if c.method == "sendMessage" and c.status == 200 and "晨检" in str(c.params.get("text"))
    )
    assert max(prompts.values()) == 1, "a student got the prompt twice"
    assert not set(prompts) & set(blocked)

    # Students answer while the faults go on; their answers are stored whatever the replies do.
    answering = [u for u in prompts][:20]
    await asyncio.gather(*(api.user(u).send_text("36.8") for u in answering))
    stored: list[float | None] = []
    async with asyncio.timeout(30):
        while len(stored) < len(answering):
            await asyncio.sleep(0.05)
            stored = [await temperature_of(stormy, u) for u in answering]
            stored = [t for t in stored if t is not None]
    assert stored == [36.8] * len(answering)


async def stormy_school(stormy: Harness) -> list[int]:
    """The roster, every student bound, one in ten of them blocking the bot, and the storm
    on; returns the blocked students' user ids."""
    await stormy.seed(staff_csv=STAFF_CSV, students_csv=roster())
    users = await bind_everyone(stormy)
    blocked = users[:: len(users) // (len(users) // 10)][: len(users) // 10]
    for user_id in blocked:
        stormy.api.user(user_id).block()
    storm(stormy.api)
    return blocked


def storm(api: FakeBotAPI) -> None:
    """The round's faults: a 429 storm, 5xx and timeouts, and 200 ms on every call."""
    api.inject("429", probability=0.05, retry_after=1)
    api.inject("500", probability=0.1)
    api.inject("timeout", method="sendMessage", probability=0.1, delay=0.8)
    api.inject("latency", delay=0.2)


async def test_notice_under_faults_loses_nothing_and_repeats_nothing(stormy: Harness) -> None:
    api = stormy.api
    blocked = await stormy_school(stormy)
    admin = next(p for p, _, _ in await select_people(stormy.svc.db) if p.number == "A01")
    queued = await sending.queue_notice(
        stormy.svc,
        Audience("students"),
        NOTICE,
        needs_confirmation=True,
        author=await viewer_for(stormy.svc, admin),
    )
    assert queued.queued == STUDENTS
    await settle(stormy)

    rows = await stormy.svc.db.fetchall(
        "SELECT o.chat_id, o.status, o.error FROM notice_recipients r"
        " JOIN outbox o ON o.id = r.outbox_id WHERE r.notice_id = ?",
        (queued.notice_id,),
    )
    assert len(rows) == STUDENTS
    statuses = Counter(str(r["status"]) for r in rows)
    assert set(statuses) <= FINAL, statuses
    assert all(r["error"] for r in rows if r["status"] == "failed"), "a failure without why"
    unreachable = {int(r["chat_id"]) for r in rows if r["status"] == "unreachable"}
    assert set(blocked) <= unreachable

    copies = Counter(
        int(c.params["chat_id"])
        for c in api.calls
        if c.method == "sendMessage" and c.status == 200 and NOTICE in str(c.params.get("text"))
    )
    assert max(copies.values()) == 1, "a student got the notice twice"
    assert not set(copies) & set(blocked)
    sent = {int(r["chat_id"]) for r in rows if r["status"] == "sent"}
    assert sent <= set(copies), "a copy counted as sent never reached the student"

    counts = await report_store.copy_counts(stormy.svc.db, queued.notice_id)
    assert counts == dict(statuses)
    notice = await notice_store.notice_by_id(stormy.svc.db, queued.notice_id)
    assert notice is not None
    report = await receipts.report_text(stormy.svc, "zh-CN", notice)
    expected = stormy.svc.catalog.t(
        "zh-CN",
        "notices.report.counts",
        targeted=STUDENTS,
        waiting=0,
        sent=statuses["sent"],
        failed=statuses["failed"],
        unreachable=statuses["unreachable"],
        unknown=statuses["unknown"],
        no_account=0,
    )
    assert expected in report, report


async def temperature_of(harness: Harness, user_id: int) -> float | None:
    person = await people.person_by_telegram(harness.svc.db, user_id)
    assert person is not None
    checkin = await checkin_store.latest_checkin(harness.svc.db, person.id)
    return None if checkin is None else checkin.temperature_c
