"""A 60,000-student school district in a real SQLite file, shared by bench.memory and
bench.startup.

The roster goes in through `python -m bot roster import`, exactly as an operator would load it;
every student's account is then linked with plain SQL (onboarding is tested elsewhere), so a
check-in round prompts all of them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.fakeapi import TOKEN
from tests.seed import STUDENTS_HEADER

REPO = Path(__file__).resolve().parents[1]
STUDENTS = 60_000
CLASS_SIZE = 50
CLASSES_PER_SCHOOL = 24
FIRST_USER = 2_000_000
DATABASE = "classcare.db"
TZ = ZoneInfo("Asia/Shanghai")


def _school(n: int) -> str:
    return f"第{n + 1}中学"


def _class(n: int) -> str:
    return f"{n // 8 + 7}年级({n % 8 + 1})班"


def guardians_file(folder: Path, guardians: int) -> Path:
    """A guardians CSV: the first `guardians` students each with one primary guardian, who
    answers their check-ins (the students file marks them 家长)."""
    rows = [f"P{n:06d},家长{n},母亲,139{n:08d},,是" for n in range(guardians)]
    path = folder / "guardians.csv"
    header = "学号,监护人姓名,关系,手机,语言,主要联系人\n"
    path.write_text(header + "\n".join(rows) + "\n", "utf-8")
    return path


def roster_files(folder: Path, students: int, guardians: int = 0) -> tuple[Path, Path]:
    """Write a students CSV (all isolated at home; the first `guardians` answered by a
    guardian) and a staff CSV with one teacher a class."""
    start = datetime.now(TZ) - timedelta(days=3)
    classes = -(-students // CLASS_SIZE)
    student_rows = []
    for n in range(students):
        klass = n // CLASS_SIZE
        school = _school(klass // CLASSES_PER_SCHOOL)
        student_rows.append(
            f"P{n:06d},学生{n},{school},{_class(klass % CLASSES_PER_SCHOOL)},home,"
            f"{start:%Y-%m-%d},,zh-CN,yes,{'家长' if n < guardians else ''}"
        )
    staff_rows = [
        f"T{k:05d},老师{k},{_school(k // CLASSES_PER_SCHOOL)},teacher,"
        f"{_class(k % CLASSES_PER_SCHOOL)},zh-CN"
        for k in range(classes)
    ]
    students_csv = folder / "students.csv"
    header = STUDENTS_HEADER.rstrip("\n") + ",answerer\n"
    students_csv.write_text(header + "\n".join(student_rows) + "\n", "utf-8")
    staff_csv = folder / "staff.csv"
    staff_csv.write_text(
        "staff_number,name,school,role,classes,language\n" + "\n".join(staff_rows) + "\n",
        "utf-8",
    )
    return staff_csv, students_csv


def write_config(
    folder: Path,
    base_url: str,
    *,
    slot_in_minutes: int = -1,
    rate_per_second: float = 30.0,
    poll_timeout_seconds: int = 1,
) -> Path:
    """A config.toml for `python -m bot` with one check-in slot `slot_in_minutes` from now.

    The default, a slot that began a minute ago, makes the first rounds job after start-up open
    the round.
    """
    slot = datetime.now(TZ) + timedelta(minutes=slot_in_minutes)
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.toml"
    config.write_text(
        f'[general]\ndatabase = "{folder / DATABASE}"\nlog_level = "WARNING"\n'
        f'[telegram]\nbase_url = "{base_url}"\nbot_username = "classcare_test_bot"\n'
        f"poll_timeout_seconds = {poll_timeout_seconds}\n"
        f"[delivery]\nrate_per_second = {rate_per_second}\n"
        "[checkins]\nwindow_minutes = 600\nreminder_minutes = [500]\n"
        f'[[checkins.slots]]\nname = "morning"\ntime = "{slot:%H:%M}"\n',
        encoding="utf-8",
    )
    return config


async def spawn(
    *args: str, stderr: int = asyncio.subprocess.DEVNULL
) -> asyncio.subprocess.Process:
    """`python -m ARGS` from the repository root, with the fake API's token."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        *args,
        cwd=REPO,
        env={**os.environ, "BOT_TOKEN": TOKEN},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=stderr,
    )


async def stop(process: asyncio.subprocess.Process) -> None:
    """Stop a spawned bot as an operator would (SIGINT), and kill it if it hangs."""
    process.send_signal(signal.SIGINT)
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await process.wait()


async def run_cli(*args: str, config: Path) -> None:
    """Run `python -m bot ARGS --config CONFIG` to completion; fail loudly if it fails."""
    process = await spawn("bot", *args, "--config", str(config), stderr=asyncio.subprocess.PIPE)
    _, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"python -m bot {' '.join(args)} failed: {err.decode()[-2000:]}")


def bind_all(database: Path) -> int:
    """Link every student, then every guardian, to Telegram accounts FIRST_USER + n; returns
    how many students were linked."""
    with sqlite3.connect(database) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM people WHERE role = 'student'")]
        ids += [r[0] for r in conn.execute("SELECT id FROM people WHERE role = 'guardian'")]
        conn.executemany(
            "UPDATE people SET telegram_user_id = ?, chat_id = ?, language = 'zh-CN' WHERE id = ?",
            [(FIRST_USER + n, FIRST_USER + n, person_id) for n, person_id in enumerate(ids)],
        )
        students = conn.execute("SELECT COUNT(*) FROM people WHERE role = 'student'").fetchone()
    return int(students[0])


async def build(folder: Path, students: int = STUDENTS, guardians: int = 0) -> Path:
    """Import the roster into folder/classcare.db (with `guardians` guardian-answered
    children) and link every student and guardian; returns the file."""
    config = write_config(folder, "http://127.0.0.1:9/bot")
    staff_csv, students_csv = roster_files(folder, students, guardians)
    await run_cli("roster", "import", str(staff_csv), config=config)
    await run_cli("roster", "import", str(students_csv), config=config)
    if guardians:
        await run_cli("roster", "import", str(guardians_file(folder, guardians)), config=config)
    database = folder / DATABASE
    linked = bind_all(database)
    if linked != students:
        raise RuntimeError(f"expected {students} students in the database, found {linked}")
    return database


def fresh_copy(database: Path, folder: Path) -> Path:
    """Copy the built database (checkpointed first) to folder/classcare.db for one run."""
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / DATABASE
    shutil.copyfile(database, target)
    return target


def vm_hwm_kib(pid: int) -> int:
    """Peak resident set size of a live process, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for process {pid}")
