"""The README's path as a newcomer walks it: import the examples, make invites, run the bot as a
process against a Bot API server, and onboard through the links."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakeapi import TOKEN, FakeBotAPI

REPO = Path(__file__).resolve().parent.parent


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "BOT_TOKEN": TOKEN},
        timeout=120,
    )


def write_config(tmp_path: Path, api: FakeBotAPI) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[general]\ndatabase = "{tmp_path / "classcare.db"}"\n'
        f'[telegram]\nbase_url = "{api.base_url}"\nbase_file_url = "{api.base_file_url}"\n'
        "poll_timeout_seconds = 1\n",
        encoding="utf-8",
    )
    return config


async def test_newcomer_path_from_examples_to_onboarding(tmp_path: Path, api: FakeBotAPI) -> None:
    config = write_config(tmp_path, api)
    for name in ("staff.csv", "students.csv"):
        result = await asyncio.to_thread(cli, config, "roster", "import", f"examples/{name}")
        assert result.returncode == 0, result.stderr
    out = tmp_path / "invites.csv"
    result = await asyncio.to_thread(cli, config, "invites", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8-sig") as handle:
        links = {row["姓名"]: row["邀请链接"] for row in csv.DictReader(handle)}
    # The username came from getMe, since the config does not name the bot.
    assert all(
        link.startswith("https://t.me/classcare_test_bot?start=") for link in links.values()
    )

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        cwd=REPO,
        env={**os.environ, "BOT_TOKEN": TOKEN},
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await api.wait_for(lambda c: c.method == "getUpdates", timeout=30)

        def code(name: str) -> str:
            return links[name].split("start=")[1]

        student = api.user(501, "小明")
        await student.send_text(f"/start {code('张小明')}")
        await student.wait_for_message(contains="你好，张小明", timeout=15)
        teacher = api.user(502, "王丽")
        await teacher.send_text(f"/start {code('王丽')}")
        await teacher.wait_for_message(contains="你好，王丽", timeout=15)
        english = api.user(503, "Tom", language_code="en")
        await english.send_text(f"/start {code('Tom Lee')}")
        await english.wait_for_message(contains="Hello, Tom Lee", timeout=15)

        intruder = api.user(504, "Mallory")
        await intruder.send_text(f"/start {code('张小明')}")
        await intruder.wait_for_message(contains="已经使用过", timeout=15)
        for attempt in range(4):
            mark = api.mark()
            await intruder.send_text(f"/start madeUp{attempt}")
            await intruder.wait_for_message(contains="邀请码无效", since=mark, timeout=15)
        await intruder.send_text(f"/start {code('李华')}")
        await intruder.wait_for_message(contains="尝试次数过多", timeout=15)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    logs = stderr.decode()
    assert process.returncode == 0, logs[-2000:]
    assert "ClassCare started as @classcare_test_bot" in logs
    # Timestamps in the configured zone (Asia/Shanghai by default), with its offset.
    started = next(line for line in logs.splitlines() if "ClassCare started" in line)
    stamp = datetime.strptime(started[:24], "%Y-%m-%d %H:%M:%S%z")
    assert stamp.utcoffset() == timedelta(hours=8)
    assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=5)
    assert TOKEN not in logs and TOKEN.split(":")[1] not in logs
    for private in ("张小明", "王丽", "Tom Lee", "李华"):
        assert private not in logs
