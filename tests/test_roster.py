"""Roster files: parsing and validation of every row, and the all-or-nothing import."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from bot.core.clock import epoch
from bot.people.roster import ParsedRoster, RowError, StaffRow, StudentRow, parse_roster
from bot.people.store.roster import ImportSummary, apply_roster
from bot.storage.db import Database

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data" / "roster"
TZ = ZoneInfo("Asia/Shanghai")
NOW = epoch(datetime(2026, 11, 30, 8, 0, tzinfo=TZ))
TABLES = ("schools", "classes", "people", "staff_classes", "counselor_schools", "isolations")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "classcare.db")
    try:
        yield database
    finally:
        await database.close()


def clean(path: Path) -> ParsedRoster:
    roster = parse_roster(path)
    assert roster.errors == (), roster.errors
    return roster


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


async def counts(db: Database) -> dict[str, int]:
    return {table: await db.scalar(f"SELECT COUNT(*) FROM {table}") for table in TABLES}


async def import_examples(db: Database) -> tuple[ImportSummary, ImportSummary]:
    staff = await apply_roster(db, clean(EXAMPLES / "staff.csv"), now=NOW, tz=TZ)
    students = await apply_roster(db, clean(EXAMPLES / "students.csv"), now=NOW, tz=TZ)
    return staff, students


def lines_and_columns(roster: ParsedRoster) -> list[tuple[int, str | None]]:
    return [(error.line, error.column) for error in roster.errors]


# --- the examples import cleanly ----------------------------------------------------------


async def test_examples_import_cleanly(db: Database) -> None:
    staff, students = await import_examples(db)

    # The staff file comes first, so it creates the schools and its teachers' classes.
    assert staff == ImportSummary(schools_created=2, classes_created=4, people_created=7)
    assert students == ImportSummary(people_created=12, isolations_started=8)
    assert await counts(db) == {
        "schools": 2,
        "classes": 4,
        "people": 19,
        "staff_classes": 4,
        "counselor_schools": 2,
        "isolations": 8,
    }
    assert all(
        row["created_at"] == NOW and row["updated_at"] == NOW
        for row in await db.fetchall("SELECT created_at, updated_at FROM people")
    )


async def test_example_people_land_where_the_file_says(db: Database) -> None:
    await import_examples(db)

    tom = await db.fetchone(
        "SELECT p.language, p.guardian_consent, c.name AS class_name, s.name AS school"
        " FROM people p JOIN classes c ON c.id = p.class_id JOIN schools s ON s.id = p.school_id"
        " WHERE p.number = '20230303'"
    )
    assert tom is not None
    assert (tom["language"], tom["guardian_consent"]) == ("en", 1)
    assert (tom["school"], tom["class_name"]) == ("城关第一中学", "初二(3)班")
    zhao = await db.fetchone(
        "SELECT guardian_consent, language FROM people WHERE number = ?", ("20230401",)
    )
    assert zhao is not None and (zhao["guardian_consent"], zhao["language"]) == (0, None)

    episode = await db.fetchone(
        "SELECT i.kind, i.start_date, i.planned_end_date, i.started_at, i.ended_at"
        " FROM isolations i JOIN people p ON p.id = i.student_id WHERE p.number = '20230301'"
    )
    assert episode is not None
    assert tuple(episode) == (
        "home",
        "2026-11-24",
        "2026-12-01",
        epoch(datetime(2026, 11, 24, tzinfo=TZ)),
        None,
    )

    bureau = await db.fetchone("SELECT role, school_id FROM people WHERE number = 'B0001'")
    assert bureau is not None and tuple(bureau) == ("admin", None)
    covered = await db.fetchall(
        "SELECT s.name FROM counselor_schools cs JOIN schools s ON s.id = cs.school_id"
        " JOIN people p ON p.id = cs.person_id WHERE p.number = 'C0001' ORDER BY s.name"
    )
    assert [r[0] for r in covered] == ["城关第一中学", "实验小学"]
    taught = await db.fetchall(
        "SELECT c.name FROM staff_classes sc JOIN classes c ON c.id = sc.class_id"
        " JOIN people p ON p.id = sc.person_id WHERE p.number = 'T2001' ORDER BY c.name"
    )
    assert [r[0] for r in taught] == ["三年级(1)班", "五年级(2)班"]


async def test_students_before_staff_links_teachers_to_the_same_classes(db: Database) -> None:
    await apply_roster(db, clean(EXAMPLES / "students.csv"), now=NOW, tz=TZ)
    staff = await apply_roster(db, clean(EXAMPLES / "staff.csv"), now=NOW, tz=TZ)

    assert (staff.schools_created, staff.classes_created) == (0, 0)
    assert (await counts(db))["classes"] == 4


async def test_reimport_updates_and_never_duplicates(db: Database) -> None:
    await import_examples(db)
    before = await counts(db)

    staff, students = await import_examples(db)

    assert await counts(db) == before
    assert staff == ImportSummary(people_updated=7)
    assert students == ImportSummary(people_updated=12, isolations_updated=8)


# --- re-import applies the file's changes ----------------------------------------------------


STUDENT_HEADER = "学号,姓名,学校,班级,隔离方式,隔离开始,隔离结束,语言,监护人同意\n"


async def test_reimport_moves_student_and_corrects_isolation(db: Database, tmp_path: Path) -> None:
    first = write(
        tmp_path,
        "a.csv",
        STUDENT_HEADER + "1,张小明,一中,初二(3)班,居家,2026-11-24,2026-12-01,en,是\n",
    )
    await apply_roster(db, clean(first), now=NOW, tz=TZ)
    second = write(
        tmp_path,
        "b.csv",
        STUDENT_HEADER + "1,张晓明,一中,初二(4)班,集中,2026-11-25,,,否\n",
    )

    summary = await apply_roster(db, clean(second), now=NOW + 60, tz=TZ)

    assert summary == ImportSummary(classes_created=1, people_updated=1, isolations_updated=1)
    person = await db.fetchone(
        "SELECT p.name, c.name, p.language, p.guardian_consent, p.created_at, p.updated_at"
        " FROM people p JOIN classes c ON c.id = p.class_id"
    )
    # An empty language keeps the stored one: people choose theirs in the bot.
    assert person is not None
    assert tuple(person) == ("张晓明", "初二(4)班", "en", 0, NOW, NOW + 60)
    episode = await db.fetchone(
        "SELECT kind, start_date, planned_end_date, started_at FROM isolations"
    )
    assert episode is not None
    assert tuple(episode) == (
        "centralized",
        "2026-11-25",
        None,
        epoch(datetime(2026, 11, 25, tzinfo=TZ)),
    )


async def test_mixed_new_and_known_students_get_their_own_episodes(
    db: Database, tmp_path: Path
) -> None:
    await import_examples(db)
    path = write(
        tmp_path,
        "s.csv",
        STUDENT_HEADER
        + "20230304,王芳,城关第一中学,初二(3)班,居家,2026-11-29,,,是\n"
        + "20230305,新同学,城关第一中学,初二(3)班,集中,2026-11-30,,,是\n",
    )

    summary = await apply_roster(db, clean(path), now=NOW, tz=TZ)

    assert summary == ImportSummary(people_created=1, people_updated=1, isolations_started=2)
    rows = await db.fetchall(
        "SELECT p.number, i.kind, i.start_date FROM isolations i"
        " JOIN people p ON p.id = i.student_id WHERE p.number IN ('20230304', '20230305')"
        " ORDER BY p.number"
    )
    assert [tuple(r) for r in rows] == [
        ("20230304", "home", "2026-11-29"),
        ("20230305", "centralized", "2026-11-30"),
    ]


async def test_same_start_date_keeps_started_at(db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path, "a.csv", STUDENT_HEADER + "1,张小明,一中,初二(3)班,居家,2026-11-24,,,\n"
    )
    await apply_roster(db, clean(path), now=NOW, tz=TZ)
    # As if a teacher had started it mid-day through the bot.
    async with db.transaction() as tx:
        await tx.execute("UPDATE isolations SET started_at = started_at + 3600")
    path = write(
        tmp_path, "b.csv", STUDENT_HEADER + "1,张小明,一中,初二(3)班,在校,2026-11-24,,,\n"
    )

    await apply_roster(db, clean(path), now=NOW, tz=TZ)

    row = await db.fetchone("SELECT kind, started_at FROM isolations")
    assert row is not None
    assert tuple(row) == ("on_campus", epoch(datetime(2026, 11, 24, 1, tzinfo=TZ)))


async def test_empty_isolation_never_ends_an_episode(db: Database, tmp_path: Path) -> None:
    await import_examples(db)
    path = write(
        tmp_path, "s.csv", STUDENT_HEADER + "20230301,张小明,城关第一中学,初二(3)班,,,,,是\n"
    )

    summary = await apply_roster(db, clean(path), now=NOW, tz=TZ)

    assert summary == ImportSummary(people_updated=1)
    assert await db.scalar("SELECT COUNT(*) FROM isolations WHERE ended_at IS NULL") == 8


async def test_ended_isolation_is_not_restarted_by_an_old_file(db: Database) -> None:
    await import_examples(db)
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE isolations SET ended_at = ?, end_date = '2026-11-30'"
            " WHERE student_id = (SELECT id FROM people WHERE number = '20230301')",
            (NOW,),
        )

    _, students = await import_examples(db)

    assert (students.isolations_updated, students.isolations_left_ended) == (7, 1)
    assert await db.scalar("SELECT COUNT(*) FROM isolations") == 8
    assert "1 already ended" in str(students)


async def test_reimport_replaces_staff_assignments_and_roles(db: Database, tmp_path: Path) -> None:
    await import_examples(db)
    path = write(
        tmp_path,
        "staff.csv",
        "工号,姓名,学校,角色,班级\n"
        "T1001,王丽,城关第一中学,teacher,初二(4)班\n"
        "T2001,孙伟,实验小学,doctor,\n"
        "C0001,陈静,实验小学,counselor,\n",
    )

    assert await apply_roster(db, clean(path), now=NOW, tz=TZ) == ImportSummary(people_updated=3)

    rows = await db.fetchall(
        "SELECT p.number, p.role, c.name FROM people p"
        " LEFT JOIN staff_classes sc ON sc.person_id = p.id"
        " LEFT JOIN classes c ON c.id = sc.class_id"
        " WHERE p.number IN ('T1001', 'T2001') ORDER BY p.number"
    )
    assert [tuple(r) for r in rows] == [
        ("T1001", "teacher", "初二(4)班"),
        ("T2001", "doctor", None),
    ]
    covered = await db.fetchall(
        "SELECT s.name FROM counselor_schools cs JOIN schools s ON s.id = cs.school_id"
    )
    assert [r[0] for r in covered] == ["实验小学"]


async def test_teacher_class_in_an_unknown_school_creates_both(
    db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "s.csv", "工号,姓名,学校,角色,班级\nT9,钱老师,新建中学,班主任,初一(1)班\n"
    )

    summary = await apply_roster(db, clean(path), now=NOW, tz=TZ)

    assert (summary.schools_created, summary.classes_created) == (1, 1)
    assert await db.scalar("SELECT COUNT(*) FROM staff_classes") == 1


# --- all or nothing ------------------------------------------------------------------------


async def test_three_bad_rows_are_named_and_nothing_is_written(db: Database) -> None:
    roster = parse_roster(DATA / "students_three_bad.csv")

    # Line 5 is blank: numbering follows the file as an editor or Excel shows it.
    assert lines_and_columns(roster) == [(3, "姓名"), (4, "隔离开始"), (6, "隔离方式")]
    reasons = [error.reason for error in roster.errors]
    assert reasons[0] == "name is missing"
    assert "'2026-11-31' is not a date" in reasons[1]
    assert "unknown isolation kind '隔壁'" in reasons[2]
    assert [s.line for s in roster.students] == [2, 7]
    assert roster.students[1].isolation_start == date(2026, 11, 28)
    assert roster.students[1].isolation_end == date(2026, 12, 5)

    with pytest.raises(ValueError, match="3 errors"):
        await apply_roster(db, roster, now=NOW, tz=TZ)
    assert set((await counts(db)).values()) == {0}


async def test_a_failure_midway_rolls_back_the_whole_file(db: Database) -> None:
    good = StaffRow(2, "T1", "王丽", "teacher", ("一中",), ("初二(3)班",), None)
    # Only a bug could build this row, since parsing checks roles; the database refuses it.
    bad = StaffRow(3, "X1", "张三", "janitor", ("一中",), (), None)
    roster = ParsedRoster("staff", (), (good, bad), ())

    with pytest.raises(sqlite3.IntegrityError):
        await apply_roster(db, roster, now=NOW, tz=TZ)
    assert set((await counts(db)).values()) == {0}


# --- encodings and formats -----------------------------------------------------------------


def test_gbk_file_parses_like_utf8() -> None:
    assert clean(EXAMPLES / "students_gbk.csv") == clean(EXAMPLES / "students.csv")


def test_utf8_bom_is_ignored(tmp_path: Path) -> None:
    text = (EXAMPLES / "students.csv").read_text(encoding="utf-8")
    path = write(tmp_path, "bom.csv", text, encoding="utf-8-sig")

    assert clean(path) == clean(EXAMPLES / "students.csv")


def test_xlsx_example_parses_like_csv() -> None:
    assert clean(EXAMPLES / "students.xlsx") == clean(EXAMPLES / "students.csv")


def test_xlsx_number_date_and_boolean_cells(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append([" Student Number ", "NAME", "School", "Class", "Isolation", "Isolation_Start",
                  "isolation_end", "language", "guardian_consent"])  # fmt: skip
    sheet.append([20230101, "张小明", "一中", "初二(3)班", "home", datetime(2026, 11, 20),
                  date(2026, 12, 1), "English", True])  # fmt: skip
    sheet.append([])
    sheet.append([20230102.0, "李华", "一中", "初二(3)班", None, None, None, None, 0])
    path = tmp_path / "students.xlsx"
    book.save(path)

    roster = clean(path)

    assert roster.students == (
        StudentRow(2, "20230101", "张小明", "一中", "初二(3)班", "home",
                   date(2026, 11, 20), date(2026, 12, 1), "en", True),
        StudentRow(4, "20230102", "李华", "一中", "初二(3)班", None, None, None, None, False),
    )  # fmt: skip


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated(tmp_path: Path, delimiter: str) -> None:
    text = "staff_number,name,school,role,classes\nT1,王丽,一中,teacher,初二(3)班;初二(4)班\n"
    if delimiter == "\t":
        text = text.replace(",", "\t")
    else:
        text = text.replace(";", "、").replace(",", ";")
    roster = clean(write(tmp_path, "staff.csv", text))

    assert roster.staff == (
        StaffRow(2, "T1", "王丽", "teacher", ("一中",), ("初二(3)班", "初二(4)班"), None),
    )


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel .xls"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "cannot open this file"),
        ("roster.pdf", b"%PDF-1.4", "unknown file format '.pdf'"),
        ("binary.csv", b"\xff\xfe\xff\x80", "neither UTF-8 nor GBK"),
    ],
)
def test_unreadable_files_are_errors(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    [error] = parse_roster(path).errors

    assert error.line == 0 and reason in error.reason


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    [error] = parse_roster(tmp_path / "nowhere.csv").errors

    assert error.line == 0 and "cannot read the file" in error.reason


# --- file-level problems ---------------------------------------------------------------------


def test_empty_file() -> None:
    assert parse_roster(DATA / "empty.csv").errors == (
        RowError(0, None, "the file is empty: it needs a header row and rows"),
    )


def test_blank_lines_only_is_empty(tmp_path: Path) -> None:
    [error] = parse_roster(write(tmp_path, "blank.csv", "\n , ,\n\n")).errors

    assert error.line == 0


def test_unknown_columns_are_named() -> None:
    roster = parse_roster(DATA / "students_unknown_header.csv")

    assert lines_and_columns(roster) == [(1, "备注"), (1, "Phone")]
    assert "unknown column" in roster.errors[0].reason
    assert roster.students == ()


def test_header_without_a_number_column(tmp_path: Path) -> None:
    [error] = parse_roster(write(tmp_path, "x.csv", "姓名,学校\n张三,一中\n")).errors

    assert error.line == 1 and "学号/student_number" in error.reason


def test_header_missing_required_and_repeated_columns(tmp_path: Path) -> None:
    roster = parse_roster(write(tmp_path, "x.csv", "学号,姓名,name,学校\n1,张三,张三,一中\n"))

    assert [(e.line, e.column, e.reason) for e in roster.errors] == [
        (1, "name", "this column appears twice"),
        (1, None, "missing column 班级/class"),
    ]


def test_values_beyond_the_header(tmp_path: Path) -> None:
    text = "工号,姓名,学校,角色,\nB1,刘洋,,admin,,\nB2,王五,,admin,,extra\n"
    roster = parse_roster(write(tmp_path, "x.csv", text))

    assert lines_and_columns(roster) == [(3, None)]
    assert "'extra' in column 6" in roster.errors[0].reason


# --- row rules -------------------------------------------------------------------------------


def test_duplicate_student_numbers_within_a_school() -> None:
    roster = parse_roster(DATA / "students_duplicates.csv")

    assert [(e.line, e.column) for e in roster.errors] == [(4, "student_number")]
    assert "already on line 2" in roster.errors[0].reason
    # The same number in another school is another student.
    assert [s.line for s in roster.students] == [2, 3, 5]


def test_duplicate_staff_numbers() -> None:
    roster = parse_roster(DATA / "staff_duplicates.csv")

    assert lines_and_columns(roster) == [(4, "staff_number")]
    assert "already on line 2" in roster.errors[0].reason


def test_staff_role_rules() -> None:
    roster = parse_roster(DATA / "staff_bad_roles.csv")

    assert lines_and_columns(roster) == [
        (2, "班级"),  # a teacher without classes
        (3, "班级"),  # a doctor with a class
        (4, "学校"),  # a doctor at two schools
        (5, "学校"),  # an admin at two schools
        (6, "学校"),  # a counselor without a school
        (7, "角色"),  # not a role
    ]
    assert roster.errors[0].reason == "a teacher needs at least one class"
    assert "unknown role '保安'" in roster.errors[5].reason
    assert [s.number for s in roster.staff] == ["T2"]


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("1,张三,一中,一班,居家,,,,", "isolation_start", "start date is required"),
        ("1,张三,一中,一班,,2026-11-20,,,", "isolation", "no isolation kind"),
        ("1,张三,一中,一班,home,2026-11-20,2026-11-19,,", "isolation_end", "is before"),
        ("1,张三,一中,一班,home,20/11/2026,,,", "isolation_start", "not a date"),
        ("1,张三,一中,一班,,,,fr,", "language", "unknown language 'fr'"),
        ("1,张三,一中,一班,,,,,maybe", "guardian_consent", "not yes or no"),
        (",张三,一中,一班,,,,,", "student_number", "student number is missing"),
        ("1,张三,一中,,,,,,", "class", "class is missing"),
    ],
)
def test_student_row_rules(tmp_path: Path, row: str, column: str, reason: str) -> None:
    header = "student_number,name,school,class,isolation,isolation_start,isolation_end,"
    text = header + "language,guardian_consent\n" + row + "\n"

    [error] = parse_roster(write(tmp_path, "s.csv", text)).errors

    assert (error.line, error.column) == (2, column) and reason in error.reason


@pytest.mark.parametrize(
    ("kind", "start", "language", "consent", "expected"),
    [
        ("集中隔离", "2026/11/5", "English", "Y", ("centralized", "en", True)),
        ("On-Campus", "2026年11月5日", "zh", "否", ("on_campus", "zh-CN", False)),
        ("在校", "2026-11-05 00:00:00", "中文", "TRUE", ("on_campus", "zh-CN", True)),
    ],
)
def test_accepted_spellings(
    tmp_path: Path,
    kind: str,
    start: str,
    language: str,
    consent: str,
    expected: tuple[str, str, bool],
) -> None:
    text = STUDENT_HEADER + f"1,张三,一中,一班,{kind},{start},,{language},{consent}\n"

    [student] = clean(write(tmp_path, "s.csv", text)).students

    assert student.isolation_start == date(2026, 11, 5)
    assert (student.isolation_kind, student.language, student.guardian_consent) == expected


# --- robustness ------------------------------------------------------------------------------


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_random_bytes_never_raise(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.csv"
    path.write_bytes(data)

    assert isinstance(parse_roster(path), ParsedRoster)


cells = st.text(alphabet=st.sampled_from(list('学号姓名,;\t"\n\r 1-/2026年班级x')), max_size=8)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(cells, max_size=10), max_size=6),
    header=st.sampled_from([STUDENT_HEADER.strip(), "工号,姓名,学校,角色,班级,语言"]),
)
def test_random_rows_under_a_real_header_never_raise(
    tmp_path: Path, rows: list[list[str]], header: str
) -> None:
    text = header + "\n" + "\n".join(",".join(row) for row in rows)
    path = tmp_path / "random.csv"
    path.write_text(text, encoding="utf-8")

    roster = parse_roster(path)

    assert all(error.line >= 0 and error.reason for error in roster.errors)
