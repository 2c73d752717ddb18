"""Fan-out benchmark: the delivery worker against a fake Bot API that enforces Telegram's limits.

Run from the repository root: `.venv/bin/python -m bench.fanout` (about four minutes).
The fake API runs in its own process and answers 429 whenever a limit is broken. Printed as one
table, with a baseline measured in the same run: python-telegram-bot's AIORateLimiter
(max_retries=3) sending through the same fake API.

With `--guardians G` (and `--students N`, default 60,000) a fourth run (d) builds the district
of bench.population with G children answered by a guardian (家长代答), opens the morning round
with the real rounds job (`bot.checkins.rounds.run_rounds`: one prompt per student, the
guardian-answered ones in their guardian's chat) and delivers it at `--round-rate` per second
(the budget a 60,000 round at 30/s would take 33 minutes to show), with urgent alerts raised
meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bench import population
from bot.checkins.rounds import run_rounds
from bot.core.clock import FakeClock, epoch
from bot.core.config import Config, Delivery
from bot.core.i18n import Catalog
from bot.core.services import Services
from bot.delivery import outbox
from bot.delivery.httprequest import AiohttpRequest
from bot.delivery.outbox import Lane, Outgoing
from bot.delivery.ratelimit import SharedBudget
from bot.delivery.worker import MAX_CONCURRENCY, DeliveryWorker
from bot.notices import sending
from bot.notices.audience import Audience
from bot.people.roster import parse_roster
from bot.people.store.roster import apply_roster
from bot.storage import people
from bot.storage.db import Database
from tests.fakeapi import TOKEN
from tests.seed import STUDENTS_HEADER

FIRST_USER = 1_000_000
POOL = MAX_CONCURRENCY + 8


@dataclasses.dataclass
class Run:
    label: str
    budget: float
    sent: int = 0
    lost: int = 0
    rate: float = 0.0
    got_429: int = 0
    cpu_per_1000: float = 0.0
    alert_p50: float | None = None
    alert_p99: float | None = None
    note: str = ""


@asynccontextmanager
async def fake_api(
    global_rate: float, users: int, first_user: int = FIRST_USER
) -> AsyncIterator[str]:
    """Start `python -m tests.fakeapi` enforcing limits; yield its base URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakeapi",
        "--enforce-limits",
        "--global-rate",
        str(global_rate),
        "--first-user",
        str(first_user),
        "--users",
        str(users),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await process.stdout.readline()).decode().split()
    port = int(line[1])
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        await process.wait()


def server_stats(root: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{root}/_control/stats") as response:
        stats: dict[str, int] = json.loads(response.read())
    return stats


async def enroll(db: Database, folder: Path, students: int, now: int, config: Config) -> None:
    """Import a roster of `students` and link each to a started fake user, in roster order."""
    path = folder / "students.csv"
    rows = (f"N{u:05d},学生{u},城关一中,初二(3)班,,,,zh-CN,yes\n" for u in range(students))
    path.write_text(STUDENTS_HEADER + "".join(rows), encoding="utf-8")
    roster = parse_roster(path)
    assert not roster.errors, roster.errors[:3]
    await apply_roster(db, roster, now=now, tz=config.general.tz)
    enrolled = sorted(
        (p.number, p.id) for p, _, _ in await people.select_people(db, role="student")
    )
    async with db.transaction() as tx:
        for u, (_, person_id) in enumerate(enrolled):
            await people.bind_account(tx, person_id, FIRST_USER + u, FIRST_USER + u, "zh-CN", now)


class TimedWorker(DeliveryWorker):
    """The delivery worker, noting when each sent row's outcome was committed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent_at: dict[int, float] = {}

    async def _flush(self) -> None:
        # The base class takes exactly these outcomes before its first await.
        outcomes = list(self._outcomes)
        await super()._flush()
        committed = time.monotonic()
        for outcome in outcomes:
            if outcome.status == "sent" and outcome.message_id is not None:
                self.sent_at[outcome.id] = committed


async def worker_run(
    label: str,
    recipients: int,
    rate: float,
    *,
    paid: bool = False,
    alerts: int = 0,
    notice: bool = False,
) -> Run:
    """Send `recipients` messages through the outbox; raise `alerts` urgent ones meanwhile.

    With `notice`, the messages are one notice to every student of an imported roster, queued
    by sending.queue_notice as the /notice flow and `classcare notice send` queue it.
    """
    # Teachers receiving the alerts follow the students in the same range of started users.
    async with fake_api(rate, recipients + alerts) as root:
        folder = Path(tempfile.mkdtemp(prefix="fanout-"))
        db = await Database.open(folder / "bench.db")
        settings = Delivery(rate_per_second=rate, paid_broadcast=paid, paid_rate_per_second=rate)
        limiter = SharedBudget(settings)
        bot = ExtBot(
            TOKEN,
            base_url=f"{root}/bot",
            rate_limiter=limiter,
            request=AiohttpRequest(timeout=20.0),
        )
        await bot.initialize()
        clock = FakeClock(datetime.now(UTC))
        worker = TimedWorker(db, bot, settings, clock, limiter)
        now = epoch(clock.now())
        config = dataclasses.replace(Config(), delivery=settings)
        if notice:
            await enroll(db, folder, recipients, now, config)
        cpu0 = time.process_time()
        if notice:
            svc = Services(config, db, clock, Catalog.load(), outbox=worker)
            queued = await sending.queue_notice(
                svc, Audience("students"), "明天起恢复到校上课，请按时返校。"
            )
            assert queued.queued == recipients, queued
            async with db.transaction() as tx:
                batch = await outbox.ensure_batch(tx, "notice", str(queued.notice_id), now)
        else:
            lane = Lane.BULK if paid else Lane.CHECKIN
            async with db.transaction() as tx:
                batch = await outbox.ensure_batch(tx, "bench", label, now)
                await outbox.enqueue_many(
                    tx,
                    (
                        Outgoing(
                            f"b:{u}", lane, FIRST_USER + u, "sendMessage", {"text": f"晨检 {u}"}
                        )
                        for u in range(recipients)
                    ),
                    now=now,
                    batch_id=batch,
                )
        await worker.start()
        spacing = recipients / rate / (alerts + 2)
        first_alert = FIRST_USER + recipients
        raised = await raise_alerts(db, worker, clock, alerts, spacing, first_alert)
        report = await finished(db, batch, worker, raised, poll=0.2)
        cpu = time.process_time() - cpu0
        await worker.stop()
        await bot.shutdown()
        await db.close()
        stats = server_stats(root)
    return measured(Run(label, rate), recipients, report, worker, raised, cpu, stats)


async def raise_alerts(
    db: Database,
    worker: TimedWorker,
    clock: FakeClock,
    count: int,
    spacing: float,
    first_chat: int,
) -> dict[int, float]:
    """Queue `count` urgent alerts `spacing` seconds apart while the batch is being sent; the
    outbox row of each, with when it was raised."""
    raised: dict[int, float] = {}
    for n in range(count):
        await asyncio.sleep(spacing)
        async with db.transaction() as tx:
            row = await outbox.enqueue(
                tx,
                Outgoing(f"a:{n}", Lane.URGENT, first_chat + n, "sendMessage", {"text": "38.2"}),
                now=epoch(clock.now()),
            )
        assert row is not None
        raised[row] = time.monotonic()
        worker.wake()
    return raised


async def finished(
    db: Database, batch: int, worker: TimedWorker, raised: dict[int, float], poll: float
) -> outbox.BatchReport:
    """Wait until the batch is finished and every raised alert was sent; the batch's report."""
    while True:
        report = await outbox.batch_report(db, batch)
        if report.finished and all(r in worker.sent_at for r in raised):
            return report
        await asyncio.sleep(poll)


def measured(
    result: Run,
    queued: int,
    report: outbox.BatchReport,
    worker: TimedWorker,
    raised: dict[int, float],
    cpu: float,
    stats: dict[str, int],
) -> Run:
    """Fill a run's figures: what was sent and lost, the bulk rate (alerts left out), the fake
    API's 429s, CPU per 1,000 sends and how long the alerts waited."""
    sent_at = worker.sent_at
    bulk = sorted(t for i, t in sent_at.items() if i not in raised)
    latencies = sorted(sent_at[r] - t for r, t in raised.items())
    result.sent = report.count("sent")
    result.lost = queued - result.sent
    result.rate = (len(bulk) - 1) / (bulk[-1] - bulk[0]) if len(bulk) > 1 else 0.0
    result.got_429 = stats.get("429", 0)
    result.cpu_per_1000 = cpu / max(1, len(sent_at)) * 1000
    if latencies:
        result.alert_p50 = statistics.median(latencies)
        result.alert_p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return result


async def baseline_run(recipients: int, rate: float) -> Run:
    """PTB's own AIORateLimiter with retries, broadcasting with asyncio.gather."""
    async with fake_api(rate, recipients) as root:
        limiter = AIORateLimiter(overall_max_rate=rate, max_retries=3)
        bot = ExtBot(
            TOKEN,
            base_url=f"{root}/bot",
            rate_limiter=limiter,
            request=HTTPXRequest(connection_pool_size=POOL),
        )
        await bot.initialize()
        times: list[float] = []
        lost = 0

        async def send(u: int) -> None:
            nonlocal lost
            try:
                await bot.send_message(FIRST_USER + u, f"晨检 {u}")
                times.append(time.monotonic())
            except RetryAfter:
                lost += 1

        cpu0 = time.process_time()
        await asyncio.gather(*(send(u) for u in range(recipients)))
        cpu = time.process_time() - cpu0
        await bot.shutdown()
        stats = server_stats(root)
    times.sort()
    result = Run(f"baseline: AIORateLimiter(max_retries=3), {recipients} msgs", rate)
    result.sent = len(times)
    result.lost = lost
    result.rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    result.got_429 = stats.get("429", 0)
    result.cpu_per_1000 = cpu / max(1, len(times)) * 1000
    return result


async def round_run(students: int, guardians: int, rate: float, alerts: int) -> Run:
    """(d): the real morning round for `students`, `guardians` of them answered by a guardian,
    delivered at `rate` per second with `alerts` urgent alerts raised meanwhile."""
    folder = Path(tempfile.mkdtemp(prefix="fanout-round-"))
    built = await population.build(folder / "built", students, guardians)
    chats = students + guardians
    first = population.FIRST_USER
    async with fake_api(rate, chats + alerts, first_user=first) as root:
        db = await Database.open(built)
        settings = Delivery(rate_per_second=rate)
        limiter = SharedBudget(settings)
        bot = ExtBot(
            TOKEN,
            base_url=f"{root}/bot",
            rate_limiter=limiter,
            request=AiohttpRequest(timeout=20.0),
        )
        await bot.initialize()
        # Today at 07:31 in the district's zone: the default morning slot (07:30) is due.
        local = datetime.now(population.TZ).replace(hour=7, minute=31, second=0, microsecond=0)
        clock = FakeClock(local.astimezone(UTC))
        worker = TimedWorker(db, bot, settings, clock, limiter)
        config = dataclasses.replace(Config(), delivery=settings)
        svc = Services(config, db, clock, Catalog.load(), outbox=worker)
        now = epoch(clock.now())
        cpu0 = time.process_time()
        opened_at = time.monotonic()
        report = await run_rounds(svc, now)
        open_seconds = time.monotonic() - opened_at
        assert report.opened == 1, report
        to_guardians = await db.scalar(
            "SELECT COUNT(*) FROM outbox o JOIN people p ON p.id = o.person_id"
            " WHERE o.dedup_key GLOB 'ci:*:prompt*' AND p.role = 'guardian'"
        )
        day = local.date().isoformat()
        async with db.transaction() as tx:
            batch = await outbox.ensure_batch(tx, "round", f"{day}:morning", now)
        await worker.start()
        spacing = students / rate / (alerts + 2)
        raised = await raise_alerts(db, worker, clock, alerts, spacing, first + chats)
        done = await finished(db, batch, worker, raised, poll=0.5)
        cpu = time.process_time() - cpu0
        await worker.stop()
        await bot.shutdown()
        await db.close()
        stats = server_stats(root)
    label = (
        f"(d) ClassCare round, {students} students, {guardians} answered by a guardian,"
        f" + {alerts} urgent alerts"
    )
    result = measured(Run(label, rate), students, done, worker, raised, cpu, stats)
    result.note = (
        f"(d) opened the round (all {students} prompts queued in one transaction) in"
        f" {open_seconds:.1f} s; {to_guardians} prompts went to guardians' chats."
    )
    return result


def table(runs: list[Run]) -> str:
    head = (
        "| run | budget/s | sent | lost | achieved/s | achieved ÷ budget | 429s |"
        " CPU ms per 1,000 | urgent p50 s | urgent p99 s |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in runs:
        p50 = "" if r.alert_p50 is None else f"{r.alert_p50:.2f}"
        p99 = "" if r.alert_p99 is None else f"{r.alert_p99:.2f}"
        lines.append(
            f"| {r.label} | {r.budget:.0f} | {r.sent} | {r.lost} | {r.rate:.1f} |"
            f" {r.rate / r.budget:.3f} | {r.got_429} | {r.cpu_per_1000 * 1000:.0f} |"
            f" {p50} | {p99} |"
        )
    notes = [r.note for r in runs if r.note]
    return "\n".join(lines + (["", *notes] if notes else []))


async def main(quick: bool, students: int, guardians: int, round_rate: float) -> None:
    scale = 10 if quick else 1
    runs = [
        await baseline_run(600 // scale, 30),
        await worker_run(
            f"(a)+(c) ClassCare round, {3000 // scale} msgs + 20 urgent alerts",
            3000 // scale,
            30,
            alerts=20,
        ),
        await worker_run(
            f"(b) ClassCare notice to {20000 // scale} students via queue_notice, paid broadcast",
            20000 // scale,
            1000,
            paid=True,
            notice=True,
        ),
    ]
    if guardians:
        runs.append(await round_run(students // scale, guardians // scale, round_rate, 20))
    print(table(runs))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the messages")
    parser.add_argument("--students", type=int, default=population.STUDENTS, help="for (d)")
    parser.add_argument(
        "--guardians", type=int, default=0, help="(d): children answered by a guardian (家长代答)"
    )
    parser.add_argument("--round-rate", type=float, default=1000.0, help="(d)'s budget per second")
    args = parser.parse_args()
    asyncio.run(main(args.quick, args.students, args.guardians, args.round_rate))
