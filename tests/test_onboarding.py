"""Invite links end to end: binding, greetings in each language, refusals, throttling, menus."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.people.onboarding import hash_code
from bot.storage import people
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS


async def seeded(harness: Harness) -> Harness:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    return harness


async def test_student_and_teacher_onboard_in_chinese_another_in_english(
    harness: Harness,
) -> None:
    await seeded(harness)
    student = await harness.onboard("S001", user_id=USER_IDS["S001"])
    greeting = await student.wait_for_message(contains="你好，张小明")
    assert "隐私说明" in greeting["text"]
    assert "30 天" in greeting["text"]

    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    await teacher.wait_for_message(contains="你好，王老师")

    english = await harness.onboard("S003", user_id=USER_IDS["S003"], language_code="en")
    hello = await english.wait_for_message(contains="Hello, Tom Lee")
    assert "Privacy" in hello["text"]

    bound = await people.person_by_telegram(harness.svc.db, USER_IDS["S001"])
    assert bound is not None and bound.name == "张小明"
    menus = [c for c in harness.api.calls if c.method == "setMyCommands"]
    teacher_menu = next(c for c in menus if c.params["scope"]["chat_id"] == USER_IDS["T01"])
    assert {"help", "language"} <= {c["command"] for c in teacher_menu.params["commands"]}
    english_menu = next(c for c in menus if c.params["scope"]["chat_id"] == USER_IDS["S003"])
    assert english_menu.params["commands"][0]["description"].isascii()


async def test_used_unknown_and_throttled_codes_are_refused(harness: Harness) -> None:
    await seeded(harness)
    code = await harness.invite_code("S002")
    owner = harness.api.user(USER_IDS["S002"], "李华")
    await owner.send_text(f"/start {code}")
    await owner.wait_for_message(contains="你好，李华")

    stranger = harness.api.user(3001, "Stranger")
    await stranger.send_text(f"/start {code}")
    await stranger.wait_for_message(contains="已经使用过")
    for attempt in range(4):
        mark = harness.api.mark()
        await stranger.send_text(f"/start madeUpCode{attempt}")
        await stranger.wait_for_message(contains="邀请码无效", since=mark)
    fresh = await harness.invite_code("S004")
    await stranger.send_text(f"/start {fresh}")
    await stranger.wait_for_message(contains="尝试次数过多")
    assert await people.person_by_telegram(harness.svc.db, 3001) is None
    owner_of_fresh = [
        p for p, _, _ in await people.select_people(harness.svc.db) if p.number == "S004"
    ]
    assert owner_of_fresh[0].telegram_user_id is None
    assert await people.person_by_telegram(harness.svc.db, 3001) is None


async def test_reissued_link_revokes_the_old_one(harness: Harness) -> None:
    await seeded(harness)
    old = await harness.invite_code("S004")
    new = await harness.invite_code("S004")
    user = harness.api.user(USER_IDS["S004"], "王芳")
    await user.send_text(f"/start {old}")
    await user.wait_for_message(contains="已被新的链接替换")
    await user.send_text(f"/start {new}")
    await user.wait_for_message(contains="你好，王芳")


async def test_bound_account_is_told_who_it_is(harness: Harness) -> None:
    await seeded(harness)
    user = await harness.onboard("S001", user_id=USER_IDS["S001"])
    other = await harness.invite_code("S002")
    await user.send_text(f"/start {other}")
    await user.wait_for_message(contains="已绑定为：张小明")
    s002 = [p for p, _, _ in await people.select_people(harness.svc.db) if p.number == "S002"]
    assert s002[0].telegram_user_id is None


async def test_expired_link_is_refused(harness: Harness) -> None:
    await seeded(harness)
    code = await harness.invite_code("S005")
    harness.clock.advance(days=15)
    user = harness.api.user(USER_IDS["S005"], "赵雷")
    await user.send_text(f"/start {code}")
    await user.wait_for_message(contains="已过期")


async def test_start_without_code_and_language_switch(harness: Harness) -> None:
    await seeded(harness)
    newcomer = harness.api.user(3002, "New", language_code="en")
    await newcomer.send_text("/start")
    await newcomer.wait_for_message(contains="personal invite link")

    student = await harness.onboard("S001", user_id=USER_IDS["S001"])
    await student.send_text("/language")
    menu = await student.wait_for_message(contains="请选择语言")
    await student.press(menu["message_id"], "lang:en")
    await student.wait_for_message(contains="in English from now on")
    person = await people.person_by_telegram(harness.svc.db, USER_IDS["S001"])
    assert person is not None and person.language == "en"
    forged = await student.press(menu["message_id"], "lang:xx")
    assert (await student.answered(forged)).get("show_alert") is True


async def test_codes_are_stored_only_as_hashes(harness: Harness) -> None:
    await seeded(harness)
    code = await harness.invite_code("S001")
    stored = await harness.svc.db.fetchall("SELECT code_hash FROM invites")
    assert all(code not in row[0] for row in stored)
    assert hash_code(code) in {row[0] for row in stored}
    assert len(code) >= 22  # 128 random bits in URL-safe base64


REPO = Path(__file__).resolve().parent.parent


def run_cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `classcare ARGS --config CONFIG` as an operator would, from the repository."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


def test_cli_invites_writes_links(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[general]\ndatabase = "{tmp_path / "cli.db"}"\n[telegram]\nbot_username = "cc_bot"\n',
        encoding="utf-8",
    )
    staff = tmp_path / "staff.csv"
    staff.write_text(STAFF_CSV, encoding="utf-8")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(config, *args)

    assert cli("roster", "import", str(staff)).returncode == 0
    out = tmp_path / "links.csv"
    result = cli("invites", "--role", "teacher", "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    # The default language is zh-CN: headers and roles as a Chinese school reads them, and
    # each teacher's class.
    assert lines[0] == "学号/工号,姓名,身份,学校,班级,邀请链接"
    assert len(lines) == 4
    assert all("https://t.me/cc_bot?start=" in line for line in lines[1:])
    assert any(line.startswith("T01,王老师,班主任,城关一中,初二(3)班,") for line in lines)

    # A counselor's row names the schools they cover.
    result = cli("invites", "--role", "counselor", "--out", str(out))
    assert result.returncode == 0, result.stderr
    [_, row] = out.read_text(encoding="utf-8-sig").splitlines()
    assert row.startswith("C01,陈老师,心理辅导教师,城关一中,,")


def test_cli_invites_without_a_username_or_network_says_so_in_one_line(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parent.parent
    config = tmp_path / "config.toml"
    # Nothing listens on port 9 of this machine: the getMe request fails to connect.
    config.write_text(
        f'[general]\ndatabase = "{tmp_path / "cli.db"}"\n[telegram]\n'
        'base_url = "http://127.0.0.1:9/bot"\nbase_file_url = "http://127.0.0.1:9/file/bot"\n',
        encoding="utf-8",
    )
    staff = tmp_path / "staff.csv"
    staff.write_text(STAFF_CSV, encoding="utf-8")

    def cli(*args: str, token: str | None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
        if token is not None:
            env["BOT_TOKEN"] = token
        return subprocess.run(
            [sys.executable, "-m", "bot", *args, "--config", str(config)],
            capture_output=True,
            text=True,
            cwd=repo,
            timeout=60,
            env=env,
        )

    assert cli("roster", "import", str(staff), token=None).returncode == 0
    for token in (None, "123456:not-a-real-token"):
        result = cli("invites", "--role", "teacher", token=token)
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "bot_username" in result.stderr
        assert "not-a-real-token" not in result.stderr


async def test_staff_are_greeted_with_what_staff_can_do(harness: Harness) -> None:
    await seeded(harness)
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    greeting = (await teacher.wait_for_message(contains="你好，王老师"))["text"]
    # Not the notice written for students ("your check-in answers ...").
    assert "你写的留言" not in greeting
    assert "/today" in greeting and "/msg" in greeting
    assert "记录" in greeting  # staff are told their views are logged

    admin = await harness.onboard("A01", user_id=USER_IDS["A01"])
    greeting = (await admin.wait_for_message(contains="你好，赵校长"))["text"]
    # Rosters are imported on the command line, not in Telegram.
    assert "导入名单" not in greeting and "classcare" not in greeting
    assert "/notice" in greeting and "/audit" in greeting


def test_cli_invites_again_keeps_the_links_handed_out_unless_asked(tmp_path: Path) -> None:
    database = tmp_path / "cli.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[general]\ndatabase = "{database}"\n[telegram]\nbot_username = "cc_bot"\n',
        encoding="utf-8",
    )
    staff = tmp_path / "staff.csv"
    staff.write_text(STAFF_CSV, encoding="utf-8")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(config, *args)

    def links(path: Path) -> dict[str, str]:
        rows = path.read_text(encoding="utf-8-sig").splitlines()[1:]
        return {row.split(",")[0]: row.rsplit("start=", 1)[1] for row in rows}

    def open_links() -> int:
        with sqlite3.connect(database) as conn:
            return int(
                conn.execute(
                    "SELECT COUNT(*) FROM invites WHERE revoked_at IS NULL AND used_at IS NULL"
                ).fetchone()[0]
            )

    assert cli("roster", "import", str(staff)).returncode == 0
    first = tmp_path / "first.csv"
    assert cli("invites", "--out", str(first)).returncode == 0
    handed_out = links(first)
    assert len(handed_out) == open_links() > 0

    # Run again, as an office does after adding people: the links handed out keep working.
    again = cli("invites", "--out", str(tmp_path / "again.csv"))
    assert again.returncode == 0, again.stderr
    assert f"{len(handed_out)} still hold a valid link" in again.stdout
    assert not (tmp_path / "again.csv").exists()
    assert open_links() == len(handed_out)
    with sqlite3.connect(database) as conn:
        revoked = conn.execute("SELECT COUNT(*) FROM invites WHERE revoked_at IS NOT NULL")
        assert revoked.fetchone()[0] == 0

    # Asked for: every link is replaced and the old ones stop working.
    reissued = tmp_path / "reissued.csv"
    assert cli("invites", "--reissue", "--out", str(reissued)).returncode == 0
    fresh = links(reissued)
    assert fresh.keys() == handed_out.keys()
    assert not set(fresh.values()) & set(handed_out.values())
    with sqlite3.connect(database) as conn:
        hashes = [hash_code(code) for code in handed_out.values()]
        marks = ",".join("?" * len(hashes))
        stale = conn.execute(
            "SELECT COUNT(*) FROM invites WHERE revoked_at IS NOT NULL"
            f" AND code_hash IN ({marks})",
            hashes,
        )
        assert stale.fetchone()[0] == len(handed_out)
