"""Ledger, /today and chart benchmark: the 台账 of a 2,000-student school over 14 days, a class
teacher's /today for one 60-student class of it, and one student's chart, each against a bare
baseline measured in the same run.

Run from the repository root: `.venv/bin/python -m bench.ledger` (about a minute).
Baselines: a bare XlsxWriter workbook with the same sheets and the same number of plain cells
(and, for reference, the same in openpyxl's write-only mode, the ledger's earlier writer); one
SQL query counting the class's check-ins of the day; a bare matplotlib line plot of the same
points with no CJK text.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from zoneinfo import ZoneInfo

import xlsxwriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from openpyxl import Workbook

from bot.alerts import rules
from bot.core.access import Viewer
from bot.core.clock import FakeClock, epoch
from bot.core.config import Config
from bot.core.i18n import Catalog
from bot.core.services import Services
from bot.reports import charts, ledger, ledgerbook, today
from bot.storage.db import Database
from bot.storage.people import person_by_id
from bot.storage.records import Scope

TZ = ZoneInfo("Asia/Shanghai")
FIRST = date(2026, 11, 30)
DAYS = 14
SLOTS = (("morning", 7, 30), ("noon", 12, 30))
CLASS_SIZE = 60
TEACHER = 2


async def seed(db: Database, students: int) -> None:
    """A school with `students` isolated students answering every check-in for DAYS days,
    about one in twenty abnormal, with a few alerts and calls (plain SQL, as tests do)."""
    rng = random.Random(7)
    now = epoch(datetime(2026, 11, 29, tzinfo=TZ))
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO schools (id, name) VALUES (1, '城关一中')")
        await tx.executemany(
            "INSERT INTO classes (id, school_id, name) VALUES (?, 1, ?)",
            [(c, f"初二({c})班") for c in range(1, students // CLASS_SIZE + 2)],
        )
        await tx.execute(
            "INSERT INTO people (id, role, number, name, school_id, created_at, updated_at)"
            " VALUES (1, 'admin', 'A01', '赵校长', 1, ?, ?)",
            (now, now),
        )
        await tx.execute(
            "INSERT INTO people (id, role, number, name, school_id, created_at, updated_at)"
            " VALUES (?, 'teacher', 'T01', '王老师', 1, ?, ?)",
            (TEACHER, now, now),
        )
        await tx.execute(
            "INSERT INTO staff_classes (person_id, class_id) VALUES (?, 1)", (TEACHER,)
        )
        await tx.executemany(
            "INSERT INTO people (id, role, number, name, school_id, class_id, created_at,"
            " updated_at) VALUES (?, 'student', ?, ?, 1, ?, ?, ?)",
            [
                (10 + s, f"S{s:05d}", f"学生{s}", 1 + s // CLASS_SIZE, now, now)
                for s in range(students)
            ],
        )
        await tx.executemany(
            "INSERT INTO isolations (id, student_id, kind, start_date, started_at)"
            " VALUES (?, ?, 'home', '2026-11-29', ?)",
            [(10 + s, 10 + s, now) for s in range(students)],
        )
        checkins = []
        signals = []
        calls = []
        checkin_id = 0
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
                for s in range(students):
                    checkin_id += 1
                    roll = rng.random()
                    missed = roll < 0.02
                    temperature = None if missed else round(rng.gauss(36.6, 0.25), 1)
                    if roll > 0.98:
                        temperature = 38.1
                    symptoms = None if missed else ("cough" if roll > 0.97 else "")
                    checkins.append(
                        (
                            checkin_id,
                            cursor.lastrowid,
                            10 + s,
                            10 + s,
                            temperature,
                            None if missed else "measured",
                            symptoms,
                            None if missed else rng.randint(1, 5),
                            "missed" if missed else "answered",
                            at,
                            None if missed else at + 600,
                        )
                    )
                    if roll > 0.98:
                        signals.append((f"fever:ci:{checkin_id}:x", 10 + s, at + 700))
                    if roll < 0.01:
                        calls.append((10 + s, at + 3600))
        await tx.executemany(
            "INSERT INTO checkins (id, round_id, student_id, isolation_id, temperature_c,"
            " temperature_status, symptoms, mood, status, created_at, answered_at, evaluated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            checkins,
        )
        for key, student, at in signals:
            cursor = await tx.execute(
                "INSERT INTO alerts (student_id, kind, level, state, opened_at, updated_at,"
                " seen_at) VALUES (?, 'fever', 'urgent', 'resolved', ?, ?, ?)",
                (student, at, at, at),
            )
            await tx.execute(
                "INSERT INTO alert_signals (key, alert_id, at) VALUES (?, ?, ?)",
                (key, cursor.lastrowid, at),
            )
        await tx.executemany(
            "INSERT INTO contacts (student_id, staff_id, at, direction, channel)"
            " VALUES (?, 1, ?, 'call', 'phone')",
            calls,
        )


def plain_row(r: int, columns: int) -> list[object]:
    return [f"S{r:05d}", "学生", "初二(1)班", "居家隔离", "晨检", "07:40", 36.6, "无", 4, None,
            None, None][:columns]  # fmt: skip


def bare_workbook(sheets: int, rows_per_sheet: int, columns: int) -> bytes:
    """The baseline: the same sheets and plain cells in XlsxWriter, no styles, no lookups."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    for n in range(sheets):
        sheet = workbook.add_worksheet(f"s{n}")
        for r in range(rows_per_sheet):
            sheet.write_row(r, 0, plain_row(r, columns))
    workbook.close()
    return out.getvalue()


def bare_openpyxl(sheets: int, rows_per_sheet: int, columns: int) -> bytes:
    """For reference: the same in openpyxl's write-only mode, the ledger's earlier writer."""
    workbook = Workbook(write_only=True)
    for n in range(sheets):
        sheet = workbook.create_sheet(f"s{n}")
        for r in range(rows_per_sheet):
            sheet.append(plain_row(r, columns))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def build_peak_mb(
    data: ledgerbook.LedgerData, catalog: Catalog, thresholds: rules.Thresholds
) -> float:
    """Peak Python memory while building the workbook, beyond the ledger data already read."""
    tracemalloc.start()
    ledgerbook.build_workbook(
        data, catalog=catalog, language="zh-CN", tz=TZ, thresholds=thresholds
    )
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def bare_chart(points: list[charts.Point]) -> bytes:
    figure = Figure(figsize=(8, 5.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.plot([p.temperature_c or 36.5 for p in points], marker="o")
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


async def time_today(
    db: Database, config: Config, catalog: Catalog, repeat: int
) -> tuple[float, float]:
    """Median seconds of a class teacher's /today (read, render, audit) on the last day, and
    of the baseline query."""
    teacher = await person_by_id(db, TEACHER)
    assert teacher is not None
    clock = FakeClock(datetime.combine(FIRST + timedelta(days=DAYS - 1), time_of_day(16), TZ))
    svc = Services(config, db, clock, catalog)
    viewer = Viewer(teacher, class_ids=frozenset({1}))
    runs, bases = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        view = await today.view_today(svc, viewer, "zh-CN")
        runs.append(time.perf_counter() - start)
        assert view is not None and "隔离中的学生：60 人" in view.text, view
        start = time.perf_counter()
        await db.fetchall(
            "SELECT c.status, COUNT(*) FROM checkins c JOIN rounds r ON r.id = c.round_id"
            " JOIN people p ON p.id = c.student_id WHERE r.local_date = ? AND p.class_id = 1"
            " GROUP BY c.status",
            ((FIRST + timedelta(days=DAYS - 1)).isoformat(),),
        )
        bases.append(time.perf_counter() - start)
    return statistics.median(runs), statistics.median(bases)


def fortnight(scope: Scope, actor_id: int | None) -> ledger.Request:
    """The seeded fortnight's ledger in Chinese as a class teacher reads it: note text, no
    counselor columns."""
    return ledger.Request(
        scope=scope,
        date_from=FIRST,
        date_to=FIRST + timedelta(days=DAYS - 1),
        language="zh-CN",
        counselor=False,
        note_text=True,
        actor_id=actor_id,
        now=epoch(datetime(2026, 12, 14, tzinfo=TZ)),
    )


async def time_file_export(
    db: Database, config: Config, catalog: Catalog, folder: str, scope: Scope
) -> tuple[float, float]:
    """Seconds and peak traced MB of `classcare ledger export`'s path: the fortnight written to a
    file a day at a time (peak taken in a second, untimed run)."""
    request = fortnight(scope, actor_id=None)

    async def write() -> None:
        path = Path(folder) / "ledger.xlsx"
        await ledger.export_ledger_file(db, catalog, config, request, path=path)

    start = time.perf_counter()
    await write()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    await write()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak / 1e6


def timed(repeat: int, work: object) -> tuple[float, float]:
    """(median, best) seconds of `repeat` calls."""
    assert callable(work)
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), min(runs)


async def main(students: int, repeat: int) -> None:
    config = Config()
    catalog = Catalog.load()
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        try:
            await seed(db, students)
            scope = Scope(school_ids=frozenset({1}))
            last = FIRST + timedelta(days=DAYS - 1)
            reads, exports = [], []
            export = None
            for _ in range(repeat):
                start = time.perf_counter()
                data = await ledger.read_ledger(
                    db,
                    scope=scope,
                    date_from=FIRST,
                    date_to=last,
                    tz=TZ,
                    counselor=False,
                    note_text=True,
                )
                reads.append(time.perf_counter() - start)
                start = time.perf_counter()
                export = await ledger.export_ledger(
                    db, catalog, config, fortnight(scope, actor_id=1)
                )
                exports.append(time.perf_counter() - start)
            file_seconds, file_peak = await time_file_export(db, config, catalog, folder, scope)
            glance, glance_base = await time_today(db, config, catalog, repeat * 10)
        finally:
            await db.close()
    assert export is not None
    thresholds = rules.Thresholds.from_config(config.alerts)
    build, _ = timed(
        repeat,
        lambda: ledgerbook.build_workbook(
            data, catalog=catalog, language="zh-CN", tz=TZ, thresholds=thresholds
        ),
    )
    # One row per student a day: the student, both slots side by side, the day's follow-up.
    columns = (
        len(ledgerbook.STUDENT_COLUMNS)
        + 2 * len(ledgerbook.SLOT_COLUMNS)
        + len(ledgerbook.DAY_COLUMNS)
    )
    baseline, _ = timed(repeat, lambda: bare_workbook(DAYS + 1, students, columns))
    earlier, _ = timed(repeat, lambda: bare_openpyxl(DAYS + 1, students, columns))
    peak = build_peak_mb(data, catalog, thresholds)

    points = [
        charts.Point(f"12-{1 + n // 2:02d} {('晨检', '午检')[n % 2]}", 36.5 + n % 5 / 5, 1 + n % 5)
        for n in range(DAYS * 2)
    ]
    labels = charts.Labels("学生1：体温和心情", "体温（°C）", "心情（1–5）", "37.3 °C 筛查线",
                           "38.0 °C 发热线", "未打卡")  # fmt: skip
    charts.render_student_chart(points, labels)  # font registration and caches, not timed
    bare_chart(points)
    chart, _ = timed(repeat * 5, lambda: charts.render_student_chart(points, labels))
    chart_base, _ = timed(repeat * 5, lambda: bare_chart(points))

    cells = export.totals.rows // 2 * columns
    size = len(export.content) / 1e6
    print(f"ledger: {students} students, {DAYS} days, {export.totals.rows} rows, {cells} cells, "
          f"{size:.1f} MB; median of {repeat} runs (charts: {repeat * 5})")  # fmt: skip
    print()
    print("| run | median s | ÷ baseline | target |")
    print("|---|---|---|---|")
    print(f"| baseline: bare XlsxWriter, {DAYS + 1} sheets, {cells} plain cells | "
          f"{baseline:.2f} | 1.00 | |")  # fmt: skip
    print(f"| for reference: the same in bare openpyxl write-only | {earlier:.2f} | "
          f"{earlier / baseline:.2f} | |")  # fmt: skip
    print(
        f"| ledger: read (SQL: check-ins, alerts, contacts) | {statistics.median(reads):.2f} | | |"
    )
    print(f"| ledger: build the workbook (peak {peak:.0f} MB traced) | {build:.2f} | "
          f"{build / baseline:.2f} | |")  # fmt: skip
    total = statistics.median(exports)
    print(f"| ledger: export end to end (read, build, audit {export.totals.students} rows) | "
          f"{total:.2f} | {total / baseline:.2f} | < 3 s |")  # fmt: skip
    print(f"| ledger: `classcare ledger export`, a day at a time (peak {file_peak:.0f} MB traced)"
          f" | {file_seconds:.2f} | {file_seconds / baseline:.2f} | |")  # fmt: skip
    print(f"| baseline: one SQL count of the class's check-ins that day | "
          f"{glance_base * 1000:.1f} ms | 1.00 | |")  # fmt: skip
    print(f"| /today: {CLASS_SIZE}-student class (read, render, audit) | {glance * 1000:.1f} ms | "
          f"{glance / glance_base:.1f} | < 100 ms |")  # fmt: skip
    print(f"| baseline: bare matplotlib line plot, no CJK text | {chart_base * 1000:.0f} ms "
          "| 1.00 | |")  # fmt: skip
    print(f"| chart: {len(points)} check-ins, CJK labels, two panels | {chart * 1000:.0f} ms | "
          f"{chart / chart_base:.2f} | < 500 ms |")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    asyncio.run(main(options.students, options.repeat))
