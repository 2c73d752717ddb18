"""A return to school (返校复学) for 20,000 people: opened, declared, cleared and released with the
real core (bot/returns/) on a real SQLite file, against the delivery budget it has to fit in.

    .venv/bin/python -m bench.returns              # 20,000 people; --people N for fewer

The roster goes in through `python -m bot roster import` (bench.population); every student is
linked and one school doctor a school is added with plain SQL. Each phase is timed on the
core alone (no Telegram): the messages it queues are what the delivery worker then sends at
the budget, so the core's time must be small beside the budget's. Declarations go through
`declaration.answer` as the button handler calls it, one tap at a time (three questions and Send).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import aiosqlite

from bench.population import TZ, build, write_config
from bot.core.access import Viewer
from bot.core.clock import SystemClock, epoch
from bot.core.config import load_config
from bot.core.i18n import Catalog
from bot.core.services import Services
from bot.returns import declaration, opening, readiness, release, store
from bot.storage import people
from bot.storage.db import Database


class TimedDatabase(Database):
    """The real database, noting how long each write transaction holds the lock: the longest
    is what any other writer (the delivery worker, a CLI command) may have to wait for."""

    longest = 0.0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with super().transaction() as tx:
            started = time.perf_counter()
            try:
                yield tx
            finally:
                self.longest = max(self.longest, time.perf_counter() - started)

    def take_longest(self) -> float:
        longest, self.longest = self.longest, 0.0
        return longest


BUDGET = 30.0  # Telegram's bulk budget, messages/s
PAID_BUDGET = 1000.0  # with paid broadcast


def add_doctors(database: Path) -> int:
    """One school doctor (校医) a school, who clears that school's returning people."""
    with sqlite3.connect(database) as conn:
        schools = [r[0] for r in conn.execute("SELECT id FROM schools ORDER BY id")]
        now = int(time.time())
        conn.executemany(
            "INSERT INTO people (role, number, name, school_id, language, created_at, updated_at)"
            " VALUES ('doctor', ?, ?, ?, 'zh-CN', ?, ?)",
            [(f"D{s:04d}", f"校医{s}", s, now, now) for s in schools],
        )
    return len(schools)


def outbox_rows(database: Path, like: str) -> int:
    with sqlite3.connect(database) as conn:
        return int(
            conn.execute("SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE ?", (like,)).fetchone()[
                0
            ]
        )


async def run(people_count: int, open_only: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        database = await build(folder, people_count)
        doctors = add_doctors(database)
        config = load_config(write_config(folder, "http://127.0.0.1:9/bot"))
        db = await TimedDatabase.open(
            str(database),
            synchronous=config.storage.synchronous,
            busy_timeout_ms=config.storage.busy_timeout_ms,
        )
        assert isinstance(db, TimedDatabase)
        rows: list[tuple[str, int, float, int, float]] = []
        try:
            svc = Services(config, db, SystemClock(), Catalog.for_config(config))
            school_ids = [r[0] for r in await db.fetchall("SELECT id FROM schools")]
            today = datetime.now(TZ).date()
            day = today + timedelta(days=1)

            started = time.perf_counter()
            opened = await opening.open_return(
                svc, return_date=day, school_ids=school_ids, opened_by=None, now=svc.now()
            )
            rows.append(
                (
                    "open: declarations queued",
                    opened.people,
                    time.perf_counter() - started,
                    opened.asked,
                    db.take_longest(),
                )
            )
            if open_only:
                return _print(people_count, doctors, rows)

            found = await store.returning(db, return_id=opened.return_id)
            started = time.perf_counter()
            taps = 0
            for r in found:
                for index in range(3):
                    await declaration.answer(
                        svc, r.person_id, "zh-CN", opened.return_id, str(index), "y"
                    )
                await declaration.answer(svc, r.person_id, "zh-CN", opened.return_id, "ok", None)
                taps += 4
            rows.append(
                (
                    "declare: taps (3 answers + Send each)",
                    taps,
                    time.perf_counter() - started,
                    0,
                    db.take_longest(),
                )
            )

            started = time.perf_counter()
            decided = 0
            for doctor in await _doctors(db):
                await readiness.decide(svc, Viewer(doctor), "zh-CN", opened.return_id, "all", "")
                decided += 1
            rows.append(
                (
                    "clear: one 'clear all ready' tap a school",
                    decided,
                    time.perf_counter() - started,
                    0,
                    db.take_longest(),
                )
            )

            started = time.perf_counter()
            release_at = epoch(datetime.combine(day, datetime.min.time(), TZ)) + 60
            released = await release.release_due(svc, release_at)
            rows.append(
                (
                    "release on the date (return message each)",
                    released,
                    time.perf_counter() - started,
                    outbox_rows(database, "iso:%:end"),
                    db.take_longest(),
                )
            )
        finally:
            await db.close()
    _print(people_count, doctors, rows)


async def _doctors(db: Database) -> list[people.Person]:
    rows = await db.fetchall("SELECT id FROM people WHERE role = 'doctor' ORDER BY id")
    return await people.people_by_ids(db, [r[0] for r in rows])


def _print(count: int, doctors: int, rows: list[tuple[str, int, float, int, float]]) -> None:
    print(f"\nReturn for {count:,} people in {doctors} schools ({date.today().isoformat()})\n")
    print(
        "| phase | items | core s | per item ms | longest write tx s | messages queued | "
        f"send at {BUDGET:.0f}/s | send at {PAID_BUDGET:.0f}/s (paid) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, items, seconds, queued, longest in rows:
        per = seconds / items * 1000 if items else 0.0
        send = f"{queued / BUDGET:.0f} s" if queued else ""
        paid = f"{queued / PAID_BUDGET:.1f} s" if queued else ""
        print(
            f"| {name} | {items:,} | {seconds:.1f} | {per:.2f} | {longest:.2f} | {queued:,}"
            f" | {send} | {paid} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument(
        "--open-only", action="store_true", help="time opening the return and stop there"
    )
    args = parser.parse_args()
    asyncio.run(run(args.people, args.open_only))


if __name__ == "__main__":
    main()
