"""A check-in round under a 429 storm, failing and slow calls and blocked students: every answer
is stored, every outbox row ends in a final state, and nobody gets a prompt twice."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.storage import checkins, outbox, people
from bot.storage.people import select_people
from tests.conftest import SHANGHAI
from tests.fakeapi import FakeBotAPI
from tests.harness import Harness, make_config
from tests.seed import STAFF_CSV, STUDENTS_HEADER

STUDENTS = 60
FIRST_ID = 70_000
FINAL = {"sent", "failed", "unreachable", "unknown"}


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
    await stormy.seed(staff_csv=STAFF_CSV, students_csv=roster())
    users = await bind_everyone(stormy)
    blocked = users[:: len(users) // (len(users) // 10)][: len(users) // 10]
    for user_id in blocked:
        api.user(user_id).block()
    api.inject("429", probability=0.05, retry_after=1)
    api.inject("500", probability=0.1)
    api.inject("timeout", method="sendMessage", probability=0.1, delay=0.8)
    api.inject("latency", delay=0.2)

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


async def temperature_of(harness: Harness, user_id: int) -> float | None:
    person = await people.person_by_telegram(harness.svc.db, user_id)
    assert person is not None
    checkin = await checkins.latest_checkin(harness.svc.db, person.id)
    return None if checkin is None else checkin.temperature_c
