"""Dashboard benchmark: the bureau's today view and 14-day trend view for a 60,000-student
county (100 schools, 14 days of two rounds: 1.68 million check-ins), each against a bare
baseline query over the same rows in the same run.

Run from the repository root: `.venv/bin/python -m bench.dashboard` (a few minutes, most of it
writing the county; `--students N` for a smaller one). Times are server time: the page
function (read, decide, render HTML, audit), median of several runs, no HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.clock import FakeClock, epoch
from bot.core.config import Config
from bot.core.i18n import Catalog
from bot.core.services import Services
from bot.dashboard import pages
from bot.dashboard.views import today as today_view
from bot.dashboard.views import trends as trends_view
from bot.people.viewer import viewer
from bot.storage.db import Database
from bot.storage.people import person_by_id

TZ = ZoneInfo("Asia/Shanghai")
DAYS = 14
FIRST = date(2026, 11, 17)
SLOTS = (("morning", 7, 30), ("noon", 12, 30))
PER_SCHOOL = 600
CLASS_SIZE = 50
BUREAU = 1
TODAY_TARGET_MS = 300
TRENDS_TARGET_MS = 500


async def seed(db: Database, students: int) -> None:
    """Schools of 600 isolated students answering every check-in for 14 days, about one in
    twenty abnormal, a few open alerts (plain SQL, as tests do)."""
    rng = random.Random(19)
    now = epoch(datetime(2026, 11, 17, tzinfo=TZ))
    schools = -(-students // PER_SCHOOL)
    classes_per_school = PER_SCHOOL // CLASS_SIZE
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO schools (id, name) VALUES (?, ?)",
            [(s + 1, f"第{s + 1}中学") for s in range(schools)],
        )
        await tx.executemany(
            "INSERT INTO classes (id, school_id, name) VALUES (?, ?, ?)",
            [
                (s * classes_per_school + c + 1, s + 1, f"初二({c + 1})班")
                for s in range(schools)
                for c in range(classes_per_school)
            ],
        )
        await tx.execute(
            "INSERT INTO people (id, role, number, name, school_id, created_at, updated_at)"
            " VALUES (?, 'admin', 'B01', '教育局刘科长', NULL, ?, ?)",
            (BUREAU, now, now),
        )
        first_student = 10
        await tx.executemany(
            "INSERT INTO people (id, role, number, name, school_id, class_id, created_at,"
            " updated_at, telegram_user_id, chat_id)"
            " VALUES (?, 'student', ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    first_student + s,
                    f"S{s:06d}",
                    f"学生{s}",
                    s // PER_SCHOOL + 1,
                    s // CLASS_SIZE + 1,
                    now,
                    now,
                    3_000_000 + s,
                    3_000_000 + s,
                )
                for s in range(students)
            ],
        )
        await tx.executemany(
            "INSERT INTO isolations (id, student_id, kind, start_date, started_at)"
            " VALUES (?, ?, 'home', ?, ?)",
            [
                (first_student + s, first_student + s, FIRST.isoformat(), now)
                for s in range(students)
            ],
        )
        for offset in range(DAYS):
            day = FIRST + timedelta(days=offset)
            for index, (slot, hour, minute) in enumerate(SLOTS):
                at = epoch(datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ))
                cursor = await tx.execute(
                    "INSERT INTO rounds (local_date, slot, slot_index, scheduled_at, closes_at,"
                    " state, opened_at, closed_at, created_at)"
                    " VALUES (?, ?, ?, ?, ?, 'opened', ?, ?, ?)",
                    (day.isoformat(), slot, index, at, at + 10800, at, at + 10800, at),
                )
                round_id = cursor.lastrowid
                rows = []
                for s in range(students):
                    roll = rng.random()
                    missed = roll < 0.03
                    temperature = None if missed else (38.1 if roll > 0.985 else 36.6)
                    rows.append(
                        (
                            round_id,
                            first_student + s,
                            first_student + s,
                            temperature,
                            None if missed else ("cough" if roll > 0.975 else ""),
                            None if missed else (2 if 0.5 < roll < 0.52 else 4),
                            "missed" if missed else "answered",
                            None if missed else at + 300,
                            at,
                        )
                    )
                await tx.executemany(
                    "INSERT INTO checkins (round_id, student_id, isolation_id, temperature_c,"
                    " symptoms, mood, status, answered_at, created_at, step)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'summary')",
                    rows,
                )
        last = FIRST + timedelta(days=DAYS - 1)
        opened = epoch(datetime.combine(last, time_of_day(8), TZ))
        await tx.executemany(
            "INSERT INTO alerts (student_id, kind, level, state, opened_at, updated_at, seen_at,"
            " acknowledged_at) VALUES (?, 'fever', 'urgent', ?, ?, ?, ?, ?)",
            [
                (
                    first_student + s,
                    "acknowledged" if s % 2 else "open",
                    opened,
                    opened,
                    opened,
                    opened + 420 if s % 2 else None,
                )
                for s in range(0, students, 97)
            ],
        )


async def median_ms(run: Callable[[], Awaitable[Any]], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def main_async(students: int, repeat: int) -> None:
    config = Config()
    catalog = Catalog.for_config(config)
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(str(Path(folder) / "classcare.db"))
        try:
            started = time.perf_counter()
            await seed(db, students)
            seeded = time.perf_counter() - started
            clock = FakeClock(
                datetime.combine(FIRST + timedelta(days=DAYS - 1), time_of_day(16), TZ)
            )
            svc = Services(config, db, clock, catalog)
            bureau = await person_by_id(db, BUREAU)
            assert bureau is not None
            county = await viewer(db, bureau)
            t = pages.Texts(svc, "zh-CN")
            last = (FIRST + timedelta(days=DAYS - 1)).isoformat()
            first = FIRST.isoformat()

            async def today_page() -> None:
                page = await today_view.today_page(svc, county, t, "csrf", None)
                assert page is not None and f"第{-(-students // PER_SCHOOL)}中学" in page.body

            async def trends_page() -> None:
                page = await trends_view.trends_page(svc, county, t, None)
                assert page is not None

            async def today_baseline() -> None:
                await db.fetchall(
                    "SELECT c.status, COUNT(*) FROM rounds r JOIN checkins c ON c.round_id = r.id"
                    " WHERE r.local_date = ? GROUP BY c.status",
                    (last,),
                )

            async def trends_baseline() -> None:
                await db.fetchall(
                    "SELECT r.local_date, COUNT(*) FROM rounds r"
                    " JOIN checkins c ON c.round_id = r.id"
                    " WHERE r.local_date BETWEEN ? AND ? GROUP BY r.local_date",
                    (first, last),
                )

            started = time.perf_counter()
            counted = await trends_view.count_closed_days(svc, svc.now())
            nightly = (time.perf_counter() - started) * 1000
            assert counted >= DAYS - 1, counted
            started = time.perf_counter()
            await trends_page()
            cold = (time.perf_counter() - started) * 1000
            rows = [
                (
                    "baseline: count today's check-ins by status",
                    await median_ms(today_baseline, repeat),
                    None,
                ),
                (
                    "bureau today view (the county, per school)",
                    await median_ms(today_page, repeat),
                    TODAY_TARGET_MS,
                ),
                (
                    "baseline: count 14 days of check-ins by day",
                    await median_ms(trends_baseline, repeat),
                    None,
                ),
                ("nightly job: count the closed days ahead (jobs/trends.py)", nightly, None),
                ("bureau 14-day trend view, first of the day (after the job)", cold, None),
                (
                    "bureau 14-day trend view (per school)",
                    await median_ms(trends_page, repeat),
                    TRENDS_TARGET_MS,
                ),
            ]
        finally:
            await db.close()
    print(
        f"{students} students, {-(-students // PER_SCHOOL)} schools, "
        f"{students * DAYS * len(SLOTS)} check-ins (seeded in {seeded:.0f} s); median of {repeat}"
    )
    print("| run | ms | target ms |")
    print("|---|---|---|")
    for name, ms, target in rows:
        print(f"| {name} | {ms:.0f} | {target or ''} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main_async(args.students, args.repeat))


if __name__ == "__main__":
    main()
