"""The outbox worker through the fake Bot API: budget, priority, failures, crash and resume."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram.ext import ExtBot

from bot.core.clock import FakeClock, epoch
from bot.core.config import Delivery
from bot.delivery import outbox
from bot.delivery.httprequest import AiohttpRequest
from bot.delivery.outbox import Lane, Outgoing
from bot.delivery.ratelimit import SharedBudget
from bot.delivery.worker import DeliveryWorker
from bot.storage.db import Database
from tests.fakeapi import TOKEN, FakeBotAPI

FAST = Delivery(rate_per_second=1000, per_chat_per_second=1000, backoff_base_seconds=0)


class Rig:
    """A worker, its bot and a database, as the application wires them."""

    def __init__(self, api: FakeBotAPI, db: Database, settings: Delivery, timeout: float) -> None:
        self.api = api
        self.db = db
        self.settings = settings
        self.clock = FakeClock(datetime(2026, 11, 30, tzinfo=UTC))
        self.limiter = SharedBudget(settings)
        self.bot = ExtBot(
            TOKEN,
            base_url=api.base_url,
            rate_limiter=self.limiter,
            request=AiohttpRequest(timeout=timeout),
        )
        self.worker = DeliveryWorker(db, self.bot, settings, self.clock, self.limiter)
        self.unreachable: list[int] = []

        async def note(person_id: int) -> None:
            self.unreachable.append(person_id)

        self.worker.on_unreachable = note

    async def start(self) -> None:
        await self.bot.initialize()
        await self.worker.start()

    async def stop(self) -> None:
        await self.worker.stop()
        await self.bot.shutdown()

    async def enqueue(self, items: list[Outgoing], batch: str | None = None) -> None:
        now = epoch(self.clock.now())
        async with self.db.transaction() as tx:
            batch_id = await outbox.ensure_batch(tx, "test", batch, now) if batch else None
            await outbox.enqueue_many(tx, items, now=now, batch_id=batch_id)
        self.worker.wake()

    async def settled(self, timeout: float = 15.0) -> dict[str, int]:
        async with asyncio.timeout(timeout):
            while True:
                counts = await outbox.status_counts(self.db)
                if not counts.get("pending") and not counts.get("sending"):
                    return counts
                self.worker.wake()
                await asyncio.sleep(0.02)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "outbox.db")
    yield database
    await database.close()


def messages(
    users: list[int], lane: Lane = Lane.CHECKIN, prefix: str = "m", text: str = "hello"
) -> list[Outgoing]:
    return [
        Outgoing(f"{prefix}:{u}", lane, u, "sendMessage", {"text": f"{text} {u}"}) for u in users
    ]


def started_users(api: FakeBotAPI, first: int, count: int) -> list[int]:
    ids = list(range(first, first + count))
    for user_id in ids:
        api.user(user_id).chat.started = True
    return ids


def deliveries(api: FakeBotAPI) -> Counter[int]:
    return Counter(
        int(c.params["chat_id"])
        for c in api.calls
        if c.method == "sendMessage" and c.status == 200
    )


async def test_enqueue_is_exactly_once(db: Database) -> None:
    item = messages([1])[0]
    async with db.transaction() as tx:
        first = await outbox.enqueue(tx, item, now=1)
        again = await outbox.enqueue(tx, item, now=2)
        many = await outbox.enqueue_many(tx, messages([1, 2, 3]), now=3)
    assert first is not None and again is None and many == 2


async def test_budget_holds_under_a_429_storm(db: Database) -> None:
    api = FakeBotAPI(token=TOKEN, enforce_limits=True, global_rate=30)
    await api.start()
    rig = Rig(api, db, Delivery(), timeout=5)
    try:
        users = started_users(api, 10_000, 60)
        api.inject("429", method="sendMessage", count=3, retry_after=1)
        await rig.start()
        await rig.enqueue(messages(users), batch="storm")
        counts = await rig.settled(timeout=20)
        assert counts == {"sent": 60}
        assert deliveries(api) == Counter({u: 1 for u in users})
        # Only the three injected 429s: the worker itself never broke the limit.
        assert api.counters.get("429") == 3
    finally:
        await rig.stop()
        await api.stop()


async def test_urgent_alert_overtakes_a_running_round(db: Database, api: FakeBotAPI) -> None:
    rig = Rig(api, db, dataclasses.replace(FAST, rate_per_second=50), timeout=5)
    users = started_users(api, 20_000, 150)
    await rig.start()
    try:
        await rig.enqueue(messages(users, Lane.BULK, text="notice"))
        await api.wait_for(lambda c: c.method == "sendMessage", timeout=5)
        teacher = started_users(api, 30_000, 1)[0]
        await rig.enqueue(messages([teacher], Lane.URGENT, prefix="alert", text="urgent"))
        urgent = await api.wait_for(
            lambda c: c.method == "sendMessage" and "urgent" in c.params["text"], timeout=5
        )
        before = [c for c in api.calls[: urgent.index] if c.method == "sendMessage"]
        assert len(before) < 75, "the urgent alert waited behind most of the notice"
        await rig.settled()
    finally:
        await rig.stop()


async def test_forbidden_marks_unreachable_and_is_not_retried(
    db: Database, api: FakeBotAPI
) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO schools (id, name) VALUES (1, 's')")
        await tx.execute("INSERT INTO classes (id, school_id, name) VALUES (1, 1, 'c')")
        await tx.execute(
            "INSERT INTO people (id, role, number, name, school_id, class_id, chat_id,"
            " created_at, updated_at) VALUES (7, 'student', 'S7', 'x', 1, 1, 4242, 0, 0)"
        )
    user = api.user(4242)
    user.chat.started = True
    user.block()
    rig = Rig(api, db, FAST, timeout=5)
    await rig.start()
    try:
        await rig.enqueue([dataclasses.replace(messages([4242])[0], person_id=7)])
        assert await rig.settled() == {"unreachable": 1}
        assert rig.unreachable == [7]
        assert await db.scalar("SELECT unreachable_at IS NOT NULL FROM people WHERE id = 7")
        assert sum(1 for c in api.calls if c.method == "sendMessage") == 1
    finally:
        await rig.stop()


async def test_timeout_after_sending_is_unknown_and_not_resent(
    db: Database, api: FakeBotAPI
) -> None:
    users = started_users(api, 500, 2)
    api.inject("timeout", method="sendMessage", chat_id=users[0], count=1, delay=1.0)
    rig = Rig(api, db, FAST, timeout=0.3)
    await rig.start()
    try:
        await rig.enqueue(messages(users))
        counts = await rig.settled()
        assert counts == {"unknown": 1, "sent": 1}
        assert deliveries(api)[users[0]] == 1
        rows = await db.fetchall(
            "SELECT status, attempts FROM outbox WHERE chat_id = ?", users[:1]
        )
        assert [tuple(r) for r in rows] == [("unknown", 1)]
    finally:
        await rig.stop()


async def test_server_errors_back_off_then_succeed(db: Database, api: FakeBotAPI) -> None:
    users = started_users(api, 600, 3)
    api.inject("500", method="sendMessage", count=2)
    api.inject("400", method="sendMessage", chat_id=users[2], count=1)
    rig = Rig(api, db, FAST, timeout=5)
    await rig.start()
    try:
        await rig.enqueue(messages(users))
        counts = await rig.settled()
        assert counts == {"sent": 2, "failed": 1}
        reason = await db.scalar("SELECT error FROM outbox WHERE status = 'failed'")
        assert "injected fault" in reason.lower()
    finally:
        await rig.stop()


async def test_edit_waits_for_the_message_it_edits(db: Database, api: FakeBotAPI) -> None:
    user, other = started_users(api, 700, 2)
    rig = Rig(api, db, FAST, timeout=5)
    now = epoch(rig.clock.now())
    async with db.transaction() as tx:
        first = await outbox.enqueue(
            tx,
            Outgoing(
                "card", Lane.BULK, user, "sendMessage", {"text": "card v1"}, not_before=now + 60
            ),
            now=now,
        )
        await outbox.enqueue(
            tx,
            Outgoing(
                "edit", Lane.URGENT, user, "editMessageText", {"edit_of": first, "text": "v2"}
            ),
            now=now,
        )
    await rig.start()
    try:
        # A message due now, on a lower lane than the edit: once it is out, the worker has
        # claimed everything due, and an edit taken too early would have gone first.
        await rig.enqueue(messages([other], lane=Lane.BULK, prefix="later"))
        await api.wait_for(lambda c: c.method == "sendMessage", timeout=5)
        assert api.count("editMessageText") == 0
        rig.clock.advance(seconds=61)
        rig.worker.wake()
        assert await rig.settled() == {"sent": 3}
        assert api.user(user).messages[0]["text"] == "v2"
    finally:
        await rig.stop()


# The simulated kill abandons HTTP connections mid-request on purpose; their sockets are
# collected here rather than blamed on a later test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_worker_killed_mid_batch_resumes_every_row_once(
    db: Database, api: FakeBotAPI
) -> None:
    users = started_users(api, 800, 120)
    settings = dataclasses.replace(FAST, rate_per_second=100)
    first = Rig(api, db, settings, timeout=5)
    await first.start()
    await first.enqueue(messages(users), batch="round")
    # Kill once a tenth of the batch is out: well inside it, whatever the machine's speed.
    await api.until(
        lambda: True if api.count("sendMessage") >= len(users) // 10 else None,
        timeout=10,
        explain=lambda: "the worker never got a tenth of the batch out",
    )
    # A kill: tasks vanish without recording anything further.
    assert first.worker._task is not None and first.worker._flusher is not None
    first.worker._task.cancel()
    first.worker._flusher.cancel()
    for task in list(first.worker._sending):
        task.cancel()
    await asyncio.sleep(0)
    await first.bot.shutdown()
    gc.collect()
    sent_before = sum(deliveries(api).values())
    assert 0 < sent_before < len(users)

    second = Rig(api, db, settings, timeout=5)
    await second.start()
    try:
        assert await second.settled() == {"sent": len(users)}
        got = deliveries(api)
        assert set(got) == set(users)
        duplicates = sum(n - 1 for n in got.values())
        assert duplicates <= second.worker.resent_after_crash
        report = await outbox.batch_report(db, 1)
        assert report.finished and report.count("sent") == len(users)
    finally:
        await second.stop()
