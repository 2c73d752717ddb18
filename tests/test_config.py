"""The settings file: defaults, validation messages and exit codes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.core.config import Config, ConfigError, bot_token, load_config
from tests.steps import REPO, run_cli, write


def test_shipped_config_states_every_default() -> None:
    loaded = load_config(REPO / "config.toml")
    assert dataclasses.replace(loaded, source="<defaults>") == Config()


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert config.general.timezone == "Asia/Shanghai"
    assert config.general.language == "zh-CN"
    assert [s.name for s in config.checkins.slots] == ["morning", "noon"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[general]\ntimezon = 'UTC'\n", "unknown key 'general.timezon'"),
        ("[genral]\n", "unknown key 'genral'"),
        ("[delivery]\nrate_per_second = 'fast'\n", "'delivery.rate_per_second' must be a number"),
        ("[invites]\nttl_days = 1.5\n", "'invites.ttl_days' must be a whole number"),
        ("[alerts]\nquiet_start = '25:00'\n", "'alerts.quiet_start' must be a time of day"),
        ("[alerts]\nquiet_end = 700\n", "'alerts.quiet_end' must be a time of day"),
        ("[general]\ntimezone = 'Mars/Olympus'\n", "'general.timezone' must be an IANA time zone"),
        ("[general]\nlanguage = 'fr'\n", "'general.language' must be one of zh-CN, en"),
        ("[checkins]\nreminder_minutes = [30, 500]\n", "'checkins.reminder_minutes'"),
        ("[checkins]\nscreen_weekday = 'funday'\n", "'checkins.screen_weekday'"),
        ("[[checkins.slots]]\nname = 'noon'\n", "missing a required key"),
        ("[paid_broadcast = true\n", "not valid TOML"),
        ("[telegram]\nbase_url = 'localhost:8081'\n", "'telegram.base_url' must start with"),
        (
            "[[checkins.slots]]\nname = 'evening'\ntime = '19:00'\nlabel_zh_cn = '晚检'\n",
            "needs both label_zh_cn and label_en",
        ),
        ("[alerts]\nred_flag_symptoms = ['fainting']\n", "'alerts.red_flag_symptoms' has unknown"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


SLOTS = "[[checkins.slots]]\nname = 'morning'\ntime = '07:30'\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 07:30 + 6 h runs past noon at 12:30.
        (
            "[checkins]\nwindow_minutes = 360\n",
            "'checkins.window_minutes' (360) must be at most the time between two slots",
        ),
        (
            SLOTS + "[[checkins.slots]]\nname = 'noon'\ntime = '09:00'\n",
            "'checkins.slots' morning (07:30) and noon (09:00) are 90 minutes apart",
        ),
        # 22:00 + 10 h runs past the next morning's 07:30.
        (
            "[checkins]\nwindow_minutes = 600\n"
            + SLOTS
            + "[[checkins.slots]]\nname = 'night'\ntime = '22:00'\n",
            "night (22:00) and the next day's morning (07:30) are 570 minutes apart",
        ),
        (
            "[checkins]\nwindow_minutes = 1500\nreminder_minutes = [30]\n" + SLOTS,
            "morning (07:30) and the next day's morning (07:30) are 1440 minutes apart",
        ),
    ],
    ids=["long_window", "close_slots", "past_midnight", "longer_than_a_day"],
)
def test_overlapping_check_in_windows_are_refused(
    tmp_path: Path, text: str, expected: str
) -> None:
    # With two windows open at once, typed text goes to the newer round and an answer the
    # older one waits for is lost.
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_a_window_may_close_as_the_next_opens(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, SLOTS + "[[checkins.slots]]\nname = 'noon'\ntime = '10:30'\n")
    )
    assert config.checkins.window_minutes == 180


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path / "missing.toml")


def test_slots_from_file(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            "[[checkins.slots]]\nname = 'early'\ntime = '06:45'\n"
            "[[checkins.slots]]\nname = 'late'\ntime = '13:05'\n",
        )
    )
    assert [(s.name, s.time.hour, s.time.minute) for s in config.checkins.slots] == [
        ("early", 6, 45),
        ("late", 13, 5),
    ]


def test_token_only_from_environment() -> None:
    assert bot_token({"BOT_TOKEN": " 1:abc "}) == "1:abc"
    with pytest.raises(ConfigError, match="BOT_TOKEN is not set"):
        bot_token({})


def test_cli_typo_in_config_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, "[checkins]\nwindow_minuts = 120\n")
    result = run_cli("run", "--config", str(path))
    assert result.returncode == 2
    assert "unknown key 'checkins.window_minuts'" in result.stderr


def test_cli_missing_token_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    result = run_cli("run", "--config", str(path))
    assert result.returncode == 2
    assert "BOT_TOKEN is not set" in result.stderr


@pytest.mark.parametrize(
    "args",
    [["--help"], ["run", "--help"], ["roster", "import", "--help"], ["invites", "--help"]],
)
def test_cli_help(args: list[str]) -> None:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert "--config" in result.stdout


def test_cli_rejects_a_roster_with_three_bad_rows_whole(tmp_path: Path) -> None:
    path = write(tmp_path, f'[general]\ndatabase = "{tmp_path / "r.db"}"\n')
    bad = REPO / "tests" / "data" / "roster" / "students_three_bad.csv"
    result = run_cli("roster", "import", str(bad), "--config", str(path))
    assert result.returncode == 1
    named = [line for line in result.stderr.splitlines() if line.strip().startswith("line ")]
    assert [line.split()[1] for line in named] == ["3", "4", "6"]
    assert "nothing imported" in result.stderr
    good = run_cli("roster", "import", "examples/students.csv", "--dry-run", "--config", str(path))
    assert good.returncode == 0 and "dry run" in good.stdout
