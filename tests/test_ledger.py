"""The ledger (台账) end to end: /ledger for every role through the fake Bot API on a seeded
fortnight, the XLSX read back with openpyxl, scope and counselor-only columns, the CLI export."""

from __future__ import annotations

import argparse
import asyncio
import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from bot.cli.ledger import add_ledger_commands
from bot.reports import ledger
from bot.reports.ledger import RangeError, parse_range
from bot.reports.ledgerbook import FILL_INFO, FILL_URGENT, FILL_WARNING
from bot.storage.records import Scope
from tests.harness import Harness
from tests.steps import (
    FIRST,
    FORMULA_NOTE,
    HEAD,
    ISOLATED,
    LAST,
    column,
    header,
    ledger_of,
    onboard,
    rows,
    seed_fortnight,
)


def body(sheet: Any) -> list[list[Any]]:
    return rows(sheet)[HEAD:]


def student_row(sheet: Any, number: str) -> int:
    """The sheet row (1-based, for sheet.cell) of a student."""
    return next(i for i, r in enumerate(rows(sheet), start=1) if r[1] == number)


def fill(cell: Any) -> str | None:
    if cell.fill is None or cell.fill.fill_type != "solid":
        return None
    return str(cell.fill.fgColor.rgb)[-6:]


async def audit_rows(harness: Harness, action: str) -> list[dict[str, Any]]:
    found = await harness.svc.db.fetchall(
        "SELECT actor_id, student_id, scope FROM audit WHERE action = ? ORDER BY id", (action,)
    )
    return [dict(r) for r in found]


def student_numbers(sheet: Any) -> set[str]:
    return {r[1] for r in body(sheet)}


async def test_teachers_ledger_for_a_fortnight(harness: Harness) -> None:
    seeded = await seed_fortnight(harness)
    teacher = await onboard(harness, "T01")
    book = await ledger_of(teacher, "/ledger 2026-11-30 2026-12-13")

    days = [(FIRST + timedelta(days=n)).isoformat() for n in range(14)]
    assert book.sheetnames == ["汇总", *days]
    sheet = book["2026-12-02"]
    # A title row across the sheet: school, class and date.
    title = rows(sheet)[0][0]
    assert "城关一中" in title and "初二(3)班" in title and "2026-12-02" in title
    assert any(str(r).startswith("A1:") for r in sheet.merged_cells.ranges)
    assert sheet.freeze_panes == "D4"
    # 晨检 and 午检 side by side, each over its own four columns.
    slot_line = rows(sheet)[1]
    assert slot_line[7] == "晨检" and slot_line[11] == "午检"
    assert header(sheet) == [
        "序号", "学号", "姓名", "班级", "隔离方式", "开始日期", "计划解除日期",
        "打卡时间", "体温（°C）", "症状", "心情（1–5）",
        "打卡时间", "体温（°C）", "症状", "心情（1–5）",
        "留言内容", "提醒", "处置情况", "老师联系",
    ]  # fmt: skip
    assert all(sheet.cell(HEAD, n).font.bold for n in range(1, len(header(sheet)) + 1))
    # One row per student of the teacher's class a day, numbered; S005 (another class) and
    # S901 (another school) are not there, nor S004 (not isolated).
    for name in days:
        assert [r[0] for r in body(book[name])] == [1, 2, 3]
        assert student_numbers(book[name]) == {"S001", "S002", "S003"}

    at = student_row(sheet, "S001")
    s001 = rows(sheet)[at - 1]
    assert s001[2:7] == ["张小明", "初二(3)班", "居家隔离", "2026-11-25", "2026-12-05"]
    morning = column(sheet, "体温（°C）", "晨检")
    noon = column(sheet, "体温（°C）", "午检")
    assert (s001[morning], s001[noon]) == (38.2, 36.7)
    assert fill(sheet.cell(at, morning + 1)) == FILL_URGENT
    assert fill(sheet.cell(at, noon + 1)) is None
    assert s001[column(sheet, "打卡时间", "晨检")] == "07:40"
    assert s001[column(sheet, "提醒")] == "发热"
    assert fill(sheet.cell(at, column(sheet, "提醒") + 1)) == FILL_URGENT
    assert s001[column(sheet, "处置情况")] == "发热：王老师 08:05 已处理"
    # The teacher's call is listed; the student's message to the counselor is not.
    assert s001[column(sheet, "老师联系")] == "09:12 王老师打电话"
    assert not any("陈老师" in str(v) for name in days for r in rows(book[name]) for v in r)
    # The screen slot: teachers see that it was done, not the scores.
    assert s001[column(sheet, "心情（1–5）", "午检")] == "已做心理筛查"
    assert not any("PHQ" in str(v) for r in rows(sheet) for v in r)

    warm = book["2026-12-03"]
    assert fill(warm.cell(student_row(warm, "S001"), morning + 1)) == FILL_WARNING

    missed = book["2026-12-01"]
    at = student_row(missed, "S003")
    answered = [column(missed, "打卡时间", slot) for slot in ("晨检", "午检")]
    assert [rows(missed)[at - 1][i] for i in answered] == ["未打卡", "未打卡"]
    assert all(fill(missed.cell(at, i + 1)) for i in answered)

    symptoms = book["2026-12-04"]
    at = student_row(symptoms, "S002")
    cell = column(symptoms, "症状", "午检")
    assert rows(symptoms)[at - 1][cell] == "咳嗽、喉咙痛"
    assert fill(symptoms.cell(at, cell + 1)) == FILL_WARNING

    # The note was written to the class teacher: its ledger shows the words, as text.
    first = book["2026-11-30"]
    assert rows(first)[student_row(first, "S001") - 1][column(first, "留言内容")] == "今天有点头疼"
    formula = book["2026-12-01"]
    cell = formula.cell(student_row(formula, "S002"), column(formula, "留言内容") + 1)
    assert (cell.value, cell.data_type) == (FORMULA_NOTE, "s")

    summary = book["汇总"]
    assert "2026-11-30" in rows(summary)[0][0] and "2026-12-13" in rows(summary)[0][0]
    groups = rows(summary)[1]
    assert groups[2] == "人数（人）" and groups[5] == "打卡（次）"
    names = header(summary)
    assert names[:6] == ["日期", "班级", "隔离学生", "有异常的学生", "有漏打卡的学生", "应打卡"]
    totals = {r[0]: r for r in body(summary) if r[1] == "全部"}
    assert set(totals) == set(days)
    # People and check-ins apart: on 12-01, one student missed both check-ins.
    day = totals["2026-12-01"]
    assert day[names.index("隔离学生")] == 3 and day[names.index("应打卡")] == 6
    assert day[names.index("有漏打卡的学生")] == 1 and day[names.index("未打卡")] == 2
    assert totals["2026-12-02"][names.index("体温 ≥38.0")] == 1
    assert totals["2026-12-02"][names.index("联系次数")] == 1  # the call, not the counselor
    assert totals["2026-12-10"][names.index("提醒数")] == 0  # a zero report

    audited = await audit_rows(harness, "ledger_export")
    assert {r["student_id"] for r in audited} == {
        seeded.people[n] for n in ("S001", "S002", "S003")
    }
    assert {r["actor_id"] for r in audited} == {seeded.people["T01"]}
    assert all("2026-11-30..2026-12-13" in r["scope"] for r in audited)


async def test_counselor_ledger_alone_has_screen_scores_and_note_text(harness: Harness) -> None:
    await seed_fortnight(harness)
    counselor = await onboard(harness, "C01")
    book = await ledger_of(counselor, "/ledger 2026-11-30 2026-12-02")
    assert book.sheetnames == ["汇总", "2026-11-30", "2026-12-01", "2026-12-02"]
    sheet = book["2026-12-02"]
    names = header(sheet)
    assert names[-1] == "心理筛查得分" and names.count("留言内容") == 1
    assert student_numbers(sheet) == {"S001", "S002", "S003", "S005"}
    s001 = student_row(sheet, "S001")
    assert rows(sheet)[s001 - 1][-1] == "PHQ-4 6（焦虑 4，抑郁 2）"
    assert fill(sheet.cell(s001, len(names))) == "FFEB9C"
    # The student's message to the counselor is in the counselor's ledger.
    assert "20:05 学生发消息给陈老师" in rows(sheet)[s001 - 1][column(sheet, "老师联系")]
    first = book["2026-11-30"]
    assert rows(first)[student_row(first, "S001") - 1][column(first, "留言内容")] == "今天有点头疼"
    sheet = book["2026-12-01"]
    cell = sheet.cell(student_row(sheet, "S002"), column(sheet, "留言内容") + 1)
    assert (cell.value, cell.data_type) == (FORMULA_NOTE, "s")


async def test_a_range_too_large_for_the_bot_is_refused_with_what_fits(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_fortnight(harness)
    # The teacher's class has 3 isolated students: 6 rows a day, 84 for the fortnight.
    monkeypatch.setattr(ledger, "MAX_ROWS_BOT", 30)
    teacher = await onboard(harness, "T01")
    await teacher.send_text("/ledger 2026-11-30 2026-12-13")
    refusal = await teacher.wait_for_message(contains="84 条打卡记录")
    assert "最多导出 30 条" in refusal["text"] and "大约 5 天以内" in refusal["text"]
    assert harness.api.count("sendDocument") == 0
    assert await audit_rows(harness, "ledger_export") == []

    book = await ledger_of(teacher, "/ledger 2026-11-30 2026-12-04")
    assert book.sheetnames == ["汇总", *(f"2026-{d}" for d in ("11-30", "12-01", "12-02",
                                                             "12-03", "12-04"))]  # fmt: skip


async def test_english_teacher_gets_english_headers_for_their_class(harness: Harness) -> None:
    await seed_fortnight(harness)
    teacher = await onboard(harness, "T02")
    book = await ledger_of(teacher, "/ledger 12-06")
    assert book.sheetnames == ["Summary", "2026-12-06"]
    sheet = book["2026-12-06"]
    assert header(sheet)[:8] == [
        "No.",
        "Student no.",
        "Name",
        "Class",
        "Isolation",
        "Start",
        "Planned end",
        "Answered at",
    ]
    assert rows(sheet)[1][7] == "Morning check-in"
    assert student_numbers(sheet) == {"S005"}
    moods = [column(sheet, "Mood (1–5)", slot) for slot in ("Morning check-in", "Noon check-in")]
    assert [body(sheet)[0][m] for m in moods] == [1, 1]
    assert fill(sheet.cell(HEAD + 1, moods[0] + 1)) == FILL_INFO
    assert body(sheet)[0][4] == "home isolation"
    caption = next(m for m in reversed(teacher.messages) if m.get("document"))["caption"]
    assert ": 1 student, 2 check-ins," in caption


async def test_doctor_school_admin_and_bureau_admin_see_their_scope(harness: Harness) -> None:
    await seed_fortnight(harness)
    doctor = await onboard(harness, "D01")
    book = await ledger_of(doctor, "/ledger 2026-11-30")
    assert student_numbers(book["2026-11-30"]) == {"S001", "S002", "S003", "S005"}
    assert header(book["2026-11-30"])[-1] == "老师联系"  # no counselor columns
    # The note was not written to the doctor: the ledger says which check-in has one.
    first = book["2026-11-30"]
    assert rows(first)[student_row(first, "S001") - 1][column(first, "留言")] == "午检"
    assert not any("头疼" in str(v) for r in rows(book["2026-11-30"]) for v in r)

    school_admin = await onboard(harness, "A01")
    book = await ledger_of(school_admin, "/ledger 2026-11-30")
    assert student_numbers(book["2026-11-30"]) == {"S001", "S002", "S003", "S005"}

    bureau = await onboard(harness, "B01")
    book = await ledger_of(bureau, "/ledger")  # today
    assert book.sheetnames == ["汇总", "2026-12-13"]
    sheet = book["2026-12-13"]
    assert student_numbers(sheet) == set(ISOLATED)
    classes = {r[3] for r in body(sheet)}
    assert "3 所学校" not in rows(sheet)[0][0] and "2 所学校" in rows(sheet)[0][0]
    assert "实验小学 三年级(1)班" in classes and "城关一中 初二(3)班" in classes
    summary = body(book["汇总"])
    # The day's total, then its three classes.
    assert [r[1] for r in summary] == ["全部", "城关一中 初二(3)班", "城关一中 初二(4)班",
                                           "实验小学 三年级(1)班"]  # fmt: skip


async def test_students_unbound_and_bad_ranges_are_refused(harness: Harness) -> None:
    await seed_fortnight(harness)
    student = await onboard(harness, "S001")
    await student.send_text("/ledger")
    await student.wait_for_message(contains="没有权限")
    stranger = harness.api.user(4242, "Nobody", language_code="en")
    await stranger.send_text("/ledger")
    await stranger.wait_for_message(contains="not linked")

    teacher = await onboard(harness, "T01")
    await teacher.send_text("/ledger 2026-12-13 2026-11-30")
    await teacher.wait_for_message(contains="开始日期不能晚于结束日期")
    await teacher.send_text("/ledger 2026-10-01 2026-12-13")
    await teacher.wait_for_message(contains="最多导出 31 天")
    await teacher.send_text("/ledger 昨天")
    await teacher.wait_for_message(contains="日期看不懂")
    assert harness.api.count("sendDocument") == 0
    assert await audit_rows(harness, "ledger_export") == []


def test_parse_range() -> None:
    today = date(2026, 12, 13)
    assert parse_range([], today) == (today, today)
    assert parse_range(["2026/12/1"], today) == (date(2026, 12, 1),) * 2
    assert parse_range(["11-30", "20261205"], today) == (date(2026, 11, 30), date(2026, 12, 5))
    # A month and day later than today means last year.
    assert parse_range(["12-20"], today) == (date(2025, 12, 20),) * 2
    for bad in (["2026-02-30"], ["a", "b", "c"], ["2026-12-05", "2026-12-01"]):
        with pytest.raises(RangeError):
            parse_range(bad, today)


async def test_cli_export_writes_the_ledger_and_audits_without_an_actor(
    harness: Harness, tmp_path: Path
) -> None:
    await seed_fortnight(harness)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config")
    parser = argparse.ArgumentParser(parents=[common])
    add_ledger_commands(parser.add_subparsers(), common)
    out = tmp_path / "ledger.xlsx"
    args = parser.parse_args(
        ["ledger", "export", "--from", "2026-12-01", "--to", "2026-12-02", "--school", "城关一中",
         "--class", "初二(3)班", "--out", str(out), "--lang", "en"]
    )  # fmt: skip
    # The command runs its own event loop, as it does from a shell.
    assert await asyncio.to_thread(args.command, args, harness.config) == 0
    book = load_workbook(out)
    assert book.sheetnames == ["Summary", "2026-12-01", "2026-12-02"]
    assert student_numbers(book["2026-12-01"]) == {"S001", "S002", "S003"}
    audited = await audit_rows(harness, "ledger_export")
    assert len(audited) == 3 and {r["actor_id"] for r in audited} == {None}

    unknown = parser.parse_args(
        ["ledger", "export", "--from", "2026-12-01", "--to", "2026-12-02",
         "--school", "没有这个学校", "--out", str(out)]
    )  # fmt: skip
    assert await asyncio.to_thread(unknown.command, unknown, harness.config) == 1


async def test_a_file_written_day_by_day_is_the_workbook_the_bot_builds(
    harness: Harness, tmp_path: Path
) -> None:
    """The command line's export (a day in memory at a time) and the bot's (the whole range in
    memory) agree cell for cell and fill for fill, over every school of the bureau."""
    await seed_fortnight(harness)
    svc = harness.svc
    request = ledger.Request(
        scope=Scope(),
        date_from=FIRST,
        date_to=LAST,
        language="zh-CN",
        counselor=True,
        note_text=True,
        actor_id=None,
        now=svc.now(),
    )
    export = await ledger.export_ledger(svc.db, svc.catalog, svc.config, request)
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "ledger.xlsx"
    totals = await ledger.export_ledger_file(svc.db, svc.catalog, svc.config, request, path=out)
    assert totals == export.totals
    assert (totals.students, totals.rows) == (len(ISOLATED), len(ISOLATED) * 2 * 14)
    assert await asyncio.to_thread(lambda: list(folder.iterdir())) == [out]  # no row files left

    def cells(book: Workbook) -> list[tuple[str, int, int, Any, str | None]]:
        return [
            (sheet.title, cell.row, cell.column, cell.value, fill(cell))
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
        ]

    in_memory = cells(load_workbook(io.BytesIO(export.content)))
    assert cells(load_workbook(out)) == in_memory
    assert any(value == FORMULA_NOTE for _, _, _, value, _ in in_memory)
    assert any(colour == FILL_URGENT for *_, colour in in_memory)
