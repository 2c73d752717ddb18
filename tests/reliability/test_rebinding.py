"""Re-issued invites must not silently move an account: `classcare invites` skips bound people
unless --rebind, and when a binding moves the old account and the class teacher (or, for staff,
the school admin) are told through the outbox."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.storage import people
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS

REPO = Path(__file__).resolve().parents[2]
NEW_PHONE = 7777


async def test_moved_binding_tells_old_account_and_class_teacher(harness: Harness) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    old = await harness.onboard("S001", user_id=USER_IDS["S001"])
    mark = harness.api.mark()
    new = await harness.onboard("S001", user_id=NEW_PHONE)
    await harness.delivered()
    note = await old.wait_for_message(contains="另一个 Telegram 账号", since=mark)
    assert "张小明" not in note["text"], "the old account learns nothing about the person"
    await teacher.wait_for_message(contains="张小明（S001）", since=mark)
    moved = await people.person_by_telegram(harness.svc.db, new.id)
    assert moved is not None and moved.number == "S001"
    assert await people.person_by_telegram(harness.svc.db, old.id) is None
    rows = await harness.svc.db.fetchall("SELECT action FROM audit WHERE action = 'binding_moved'")
    assert len(rows) == 1


async def test_moved_staff_binding_tells_the_school_admin(harness: Harness) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    admin = await harness.onboard("A01", user_id=USER_IDS["A01"])
    await harness.onboard("D01", user_id=USER_IDS["D01"])
    mark = harness.api.mark()
    await harness.onboard("D01", user_id=NEW_PHONE)
    await harness.delivered()
    await admin.wait_for_message(contains="李医生（D01）", since=mark)


def test_invites_skip_bound_people_unless_rebind(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    database = tmp_path / "cli.db"
    config.write_text(
        f'[general]\ndatabase = "{database}"\n[telegram]\nbot_username = "cc_bot"\n',
        encoding="utf-8",
    )
    staff = tmp_path / "staff.csv"
    staff.write_text(STAFF_CSV, encoding="utf-8")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args, "--config", str(config)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=60,
        )

    def numbers(path: Path) -> list[str]:
        with path.open(encoding="utf-8-sig") as handle:
            return [row["学号/工号"] for row in csv.DictReader(handle)]

    assert cli("roster", "import", str(staff)).returncode == 0
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE people SET telegram_user_id = 1, chat_id = 1 WHERE number = 'T01'")
    out = tmp_path / "links.csv"
    result = cli("invites", "--role", "teacher", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(numbers(out)) == ["T02", "T91"]
    assert "1 already linked" in result.stdout and "--rebind" in result.stdout
    result = cli("invites", "--role", "teacher", "--rebind", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(numbers(out)) == ["T01", "T02", "T91"]
