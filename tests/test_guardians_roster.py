"""Guardians files: parsing, the all-or-nothing import, siblings, primaries and re-import."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from bot.core.clock import epoch
from bot.guardians.links import GuardiansRejected
from bot.guardians.rows import normalize_phone
from bot.people.roster import ParsedRoster, parse_roster
from bot.people.store.roster import apply_roster, missing_from
from bot.storage.db import Database

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TZ = ZoneInfo("Asia/Shanghai")
NOW = epoch(datetime(2026, 11, 30, 8, 0, tzinfo=TZ))
HEADER = "学号,学校,监护人姓名,关系,手机,语言,主要联系人\n"


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


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "guardians.csv"
    path.write_bytes(text.encode(encoding))
    return path


async def import_people(db: Database) -> None:
    await apply_roster(db, clean(EXAMPLES / "staff.csv"), now=NOW, tz=TZ)
    await apply_roster(db, clean(EXAMPLES / "students.csv"), now=NOW, tz=TZ)


async def links(db: Database) -> list[tuple[str, str, str, str, int]]:
    """(child number, guardian name, relation, phone, primary) in a stable order."""
    rows = await db.fetchall(
        "SELECT c.number, g.name, l.relation, g.number, l.is_primary FROM guardian_links l"
        " JOIN people c ON c.id = l.student_id JOIN people g ON g.id = l.guardian_id"
        " ORDER BY c.number, g.number"
    )
    return [tuple(r) for r in rows]


async def test_example_guardians_link_siblings_and_one_primary_per_child(db: Database) -> None:
    await import_people(db)
    roster = clean(EXAMPLES / "guardians.csv")
    assert roster.kind == "guardians"

    summary = await apply_roster(db, roster, now=NOW, tz=TZ)

    assert (summary.people_created, summary.children_linked) == (5, 5)
    assert await links(db) == [
        ("20190202", "周丽", "母亲", "13800138004", 1),
        ("20210101", "周丽", "母亲", "13800138004", 1),
        ("20210103", "郑国强", "爷爷", "13800138005", 1),
        ("20230301", "张建国", "父亲", "13800138001", 1),
        ("20230301", "刘芳", "母亲", "13800138002", 0),
        # Nobody marked as primary: the first guardian listed is.
        ("20230401", "赵刚", "父亲", "13800138003", 1),
    ]
    # The mother of two is one person with one account to bind.
    assert await db.scalar("SELECT COUNT(*) FROM people WHERE role = 'guardian'") == 5


async def test_reimport_updates_without_duplicates_and_moves_the_primary(
    db: Database, tmp_path: Path
) -> None:
    await import_people(db)
    await apply_roster(db, clean(EXAMPLES / "guardians.csv"), now=NOW, tz=TZ)
    changed = write(
        tmp_path,
        HEADER + "20230301,城关第一中学,张建国,爸爸,13800138001,,否\n"
        "20230301,城关第一中学,刘芳,母亲,13800138002,英文,是\n",
    )

    summary = await apply_roster(db, clean(changed), now=NOW, tz=TZ)

    assert (summary.people_created, summary.people_updated) == (0, 2)
    assert await db.scalar("SELECT COUNT(*) FROM people WHERE role = 'guardian'") == 5
    rows = [r for r in await links(db) if r[0] == "20230301"]
    assert rows == [
        ("20230301", "张建国", "爸爸", "13800138001", 0),
        ("20230301", "刘芳", "母亲", "13800138002", 1),
    ]
    # Children the file does not name keep their guardians.
    assert len(await links(db)) == 6
    language = await db.scalar("SELECT language FROM people WHERE number = '13800138002'")
    assert language == "en"


def test_bad_rows_are_each_named(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "20230301,城关第一中学,张建国,父亲,13800138001,,是\n"
        "20230302,城关第一中学,,母亲,13800138009,,\n"
        "20230303,城关第一中学,李四,,1380013800,,\n"
        "20230301,城关第一中学,王五,父亲,13800138001,,也许\n"
        "20230301,城关第一中学,刘芳,母亲,13800138002,,是\n",
    )

    roster = parse_roster(path)

    assert [(e.line, e.column) for e in roster.errors] == [
        (3, "监护人姓名"),
        (4, "关系"),
        (4, "手机"),
        (5, "主要联系人"),
        (5, "手机"),
        (6, "主要联系人"),
    ]
    reasons = [e.reason for e in roster.errors]
    assert reasons[2] == "'1380013800' is not a phone number"
    assert "already on line 2" in reasons[4]
    assert "already has a primary contact on line 2" in reasons[5]


def test_one_phone_cannot_belong_to_two_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "20230301,城关第一中学,张建国,父亲,13800138001,,\n"
        "20230302,城关第一中学,张建华,父亲,13800138001,,\n",
    )

    roster = parse_roster(path)

    assert [(e.line, e.column) for e in roster.errors] == [(3, "监护人姓名")]
    assert "belongs to 张建国 on line 2" in roster.errors[0].reason


async def test_unknown_children_reject_the_whole_file(db: Database, tmp_path: Path) -> None:
    await import_people(db)
    path = write(
        tmp_path,
        "学号,监护人姓名,关系,手机\n"
        "20230301,张建国,父亲,13800138001\n"
        "99999999,无名,父亲,13800138011\n"
        "20230302,李梅,母亲,13800138012\n"
        "88888888,无名,母亲,13800138013\n",
    )

    with pytest.raises(GuardiansRejected) as rejected:
        await apply_roster(db, clean(path), now=NOW, tz=TZ)

    assert [line for line, _ in rejected.value.problems] == [3, 5]
    assert "no student 99999999" in rejected.value.problems[0][1]
    assert await db.scalar("SELECT COUNT(*) FROM people WHERE role = 'guardian'") == 0
    assert await links(db) == []


def test_english_headers_gbk_and_xlsx_read_alike(tmp_path: Path) -> None:
    english = write(
        tmp_path,
        "student_number,guardian_name,relation,mobile,language,primary\n"
        "20230301,张建国,父亲,+86 138 0013 8001,中文,yes\n",
    )
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((HEADER + "20230301,,张建国,父亲,13800138001,中文,是\n").encode("gbk"))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["学号", "监护人姓名", "关系", "手机", "语言", "主要联系人"])
    sheet.append([20230301, "张建国", "父亲", 13800138001, "中文", "是"])
    xlsx = tmp_path / "guardians.xlsx"
    book.save(xlsx)

    rows = [clean(path).guardians[0] for path in (english, gbk, xlsx)]

    assert {(r.student_number, r.name, r.phone, r.language, r.primary) for r in rows} == {
        ("20230301", "张建国", "13800138001", "zh-CN", True)
    }


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("(010) 6512 3456", "01065123456"),
        ("+44 20 7946 0958", "+442079460958"),
        ("138001380", None),
        ("电话", None),
    ],
)
def test_phone_numbers(text: str, stored: str | None) -> None:
    assert normalize_phone(text) == stored


async def test_a_complete_staff_file_prunes_no_guardian(db: Database) -> None:
    await import_people(db)
    await apply_roster(db, clean(EXAMPLES / "guardians.csv"), now=NOW, tz=TZ)

    gone = await missing_from(db, clean(EXAMPLES / "staff.csv"))

    assert gone == []
    assert await missing_from(db, clean(EXAMPLES / "guardians.csv")) == []


def test_cli_names_every_bad_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "20230301,,,父亲,13800138001,,\n20230302,,李梅,母亲,12,,\n")
    config = tmp_path / "config.toml"
    config.write_text(f'[general]\ndatabase = "{tmp_path / "c.db"}"\n', encoding="utf-8")

    done = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "roster", "import", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )

    assert done.returncode == 1
    assert "line 2 [监护人姓名]: guardian name is missing" in done.stderr
    assert "line 3 [手机]: '12' is not a phone number" in done.stderr


def test_cli_invites_for_guardians_name_their_children(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[general]\ndatabase = "{tmp_path / "c.db"}"\n[telegram]\nbot_username = "cc_bot"\n',
        encoding="utf-8",
    )

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "--config", str(config), *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )

    for name in ("staff.csv", "students.csv", "guardians.csv"):
        done = cli("roster", "import", str(EXAMPLES / name))
        assert done.returncode == 0, done.stderr
    assert "5 guardians created" in done.stdout
    out = tmp_path / "links.csv"

    done = cli("invites", "--role", "guardian", "--school", "实验小学", "--out", str(out))

    assert done.returncode == 0, done.stderr
    rows = out.read_text(encoding="utf-8-sig").splitlines()[1:]
    assert [row.rsplit(",", 1)[0] for row in rows] == [
        "13800138004,周丽,家长,实验小学,三年级(1)班 周子涵、五年级(2)班 陈思远",
        "13800138005,郑国强,家长,实验小学,三年级(1)班 郑可欣",
    ]
    assert all(",https://t.me/cc_bot?start=" in row for row in rows)


async def test_students_file_says_who_answers(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "students.csv"
    path.write_text(
        "学号,姓名,学校,班级,打卡人\n"
        "S1,小一,实验小学,一年级(1)班,家长\n"
        "S2,小二,实验小学,一年级(1)班,\n"
        "S3,小三,实验小学,一年级(1)班,都可以\n",
        encoding="utf-8",
    )
    await apply_roster(db, clean(path), now=NOW, tz=TZ)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "学号,姓名,学校,班级,打卡人\nS4,小四,实验小学,一年级(1)班,爷爷\n", encoding="utf-8"
    )

    roster = parse_roster(bad)

    rows = await db.fetchall("SELECT number, answerer FROM people ORDER BY number")
    assert [tuple(r) for r in rows] == [("S1", "guardian"), ("S2", None), ("S3", "either")]
    assert [(e.line, e.column) for e in roster.errors] == [(2, "打卡人")]


def test_cli_notice_to_a_class_s_parents(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[general]\ndatabase = "{tmp_path / "c.db"}"\n', encoding="utf-8")
    text = tmp_path / "notice.txt"
    text.write_text("下周一复课，请家长确认。", encoding="utf-8")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "--config", str(config), *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )

    for name in ("staff.csv", "students.csv", "guardians.csv"):
        assert cli("roster", "import", str(EXAMPLES / name)).returncode == 0
    send = ("notice", "send", "--text-file", str(text), "--dry-run", "--audience")

    done = cli(*send, "guardians/class:城关第一中学/初二(3)班")
    refused = cli(*send, "guardians/staff")

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 recipients, 0 with a linked account")
    assert refused.returncode == 1
    assert "only students have guardians" in refused.stderr


async def test_migration_keeps_everyone_and_every_reference(tmp_path: Path) -> None:
    """0013 rebuilds people to admit guardians: a database from before keeps its rows, ids and
    the rows that point at them, and the commit would fail had any id been lost."""
    path = tmp_path / "old.db"
    folder = ROOT / "bot" / "storage" / "migrations"
    older = sorted(f for f in folder.glob("*.sql") if int(f.name[:4]) < 13)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL)"
    )
    for script in older:
        conn.executescript(script.read_text(encoding="utf-8"))
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, 'then')",
            (int(script.name[:4]), script.stem[5:]),
        )
    conn.executescript(
        "INSERT INTO schools (id, name) VALUES (1, '一中');"
        "INSERT INTO classes (id, school_id, name) VALUES (1, 1, '初二(3)班');"
        "INSERT INTO people (id, role, number, name, school_id, class_id, created_at,"
        " updated_at, deactivated_at) VALUES (7, 'student', 'S1', '小明', 1, 1, 1, 1, NULL),"
        " (9, 'teacher', 'T1', '王老师', 1, NULL, 1, 1, 5);"
        "INSERT INTO staff_classes VALUES (9, 1);"
        "INSERT INTO audit (at, actor_id, action, student_id) VALUES (2, 9, 'student_view', 7);"
    )
    conn.commit()
    conn.close()

    database = await Database.open(path)
    try:
        people = await database.fetchall(
            "SELECT id, role, number, deactivated_at FROM people ORDER BY id"
        )
        assert [tuple(r) for r in people] == [(7, "student", "S1", None), (9, "teacher", "T1", 5)]
        assert await database.fetchall("PRAGMA foreign_key_check") == []
        assert await database.scalar("SELECT COUNT(*) FROM audit WHERE student_id = 7") == 1
        async with database.transaction() as tx:
            await tx.execute(
                "INSERT INTO people (role, number, name, created_at, updated_at)"
                " VALUES ('guardian', '13800138000', '家长', 1, 1)"
            )
    finally:
        await database.close()
