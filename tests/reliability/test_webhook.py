"""Webhook mode, the production alternative to polling: updates arrive by POST with a secret,
at a path derived from it; without a valid secret the bot does not start."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import aiohttp

from bot.app import build_application, webhook_options
from bot.core.clock import FakeClock, epoch
from bot.core.config import Config, webhook_path
from bot.people.onboarding import issue_invites
from bot.people.roster import parse_roster
from bot.people.store.roster import apply_roster
from bot.storage.db import Database
from bot.storage.people import select_people
from tests.fakeapi import TOKEN, FakeBotAPI
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS
from tests.steps import run_cli, write

SECRET = "s3cret-Header_value"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_onboarding_through_a_webhook_with_a_secret(
    tmp_path: Path, config: Config, api: FakeBotAPI, clock: FakeClock
) -> None:
    db = await Database.open(config.general.database)
    for name, text in (("staff.csv", STAFF_CSV), ("students.csv", STUDENTS_CSV)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        await apply_roster(db, parse_roster(path), now=epoch(clock.now()), tz=config.general.tz)
    wanted = [p for p, _, _ in await select_people(db) if p.number in ("S001", "T01")]
    codes = {
        person.number: code
        for person, code in await issue_invites(db, wanted, now=epoch(clock.now()), ttl_days=14)
    }
    await db.close()

    port = free_port()
    telegram = dataclasses.replace(
        config.telegram,
        # No reverse proxy here: Telegram posts straight to the bot's own server.
        webhook_url=f"http://127.0.0.1:{port}/",
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    app = build_application(config, token=TOKEN, clock=clock)
    await app.initialize()
    assert app.post_init is not None and app.updater is not None
    await app.post_init(app)
    await app.start()
    await app.updater.start_webhook(**webhook_options(telegram, SECRET))
    start = api.mark()
    secret_path = webhook_path(SECRET)
    try:
        assert api.webhook == (f"http://127.0.0.1:{port}/{secret_path}", SECRET)
        assert SECRET not in secret_path and TOKEN not in secret_path and len(secret_path) >= 32
        user = api.user(USER_IDS["S001"], "小明")
        await user.send_text(f"/start {codes['S001']}")
        await user.wait_for_message(contains="你好，张小明", timeout=10)
        teacher = api.user(USER_IDS["T01"], "王老师")
        await teacher.send_text(f"/start {codes['T01']}")
        await teacher.wait_for_message(contains="王老师", timeout=10)
        assert not [c for c in api.calls[start:] if c.method == "getUpdates"]
        assert not api.webhook_errors

        # The review's forgery: the teacher's user id, the attacker's chat, asking for /today
        # and the ledger. Without the secret, with a wrong one, or at a guessed path (even with
        # the secret) the bot's server turns it away and nothing is sent.
        mark = api.mark()
        statuses = []
        async with aiohttp.ClientSession() as session:
            for url_path, secret in (
                (secret_path, None),
                (secret_path, "wrong"),
                ("", SECRET),
                ("classcare", SECRET),
            ):
                for command in ("/today", "/ledger"):
                    forged = forged_update(USER_IDS["T01"], 666, command)
                    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                    async with session.post(
                        f"http://127.0.0.1:{port}/{url_path}", json=forged, headers=headers
                    ) as response:
                        statuses.append(response.status)
            # The same request with the secret at the right path is taken: the checks above are
            # what turned the forgeries away.
            await teacher.send_text("/help")
            await teacher.wait_for_message(contains="/today", since=mark, timeout=10)
        assert statuses == [403, 403, 403, 403, 404, 404, 404, 404]
        sent = [c for c in api.calls[mark:] if c.method.startswith("send")]
        assert [c.chat_id for c in sent] == [teacher.id]

        # An update without the secret is turned away by the bot's webhook server.
        api.webhook = (api.webhook[0], "wrong")
        mark = api.mark()
        await user.send_text("/help")
        await api.until(lambda: bool(api.webhook_errors), timeout=10, explain=lambda: "no error")
        assert not [c for c in api.calls[mark:] if c.method == "sendMessage"]
    finally:
        api.webhook = None
        await app.updater.stop()
        await app.stop()
        assert app.post_stop is not None
        await app.post_stop(app)
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)


def forged_update(user_id: int, chat_id: int, text: str) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "王老师"}
    message = {
        "message_id": 1,
        "from": user,
        "chat": {"id": chat_id, "type": "private", "first_name": "x"},
        "date": 1_700_000_000,
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
    }
    return {"update_id": 999_999, "message": message}


def webhook_config(tmp_path: Path) -> Path:
    # A closed port: if the bot started anyway, it would fail there, never reach Telegram.
    return write(
        tmp_path,
        f"""[general]
database = "{tmp_path / "classcare.db"}"

[telegram]
base_url = "http://127.0.0.1:9/bot"
webhook_url = "https://bot.example.org/classcare"
""",
    )


def test_webhook_mode_without_a_secret_does_not_start(tmp_path: Path) -> None:
    result = run_cli("run", "--config", str(webhook_config(tmp_path)), env={"BOT_TOKEN": TOKEN})
    assert result.returncode == 2, result.stderr[-2000:]
    assert "WEBHOOK_SECRET is not set" in result.stderr
    assert TOKEN not in result.stderr + result.stdout


def test_webhook_mode_with_a_malformed_secret_does_not_start(tmp_path: Path) -> None:
    secret = "correct horse battery staple!"
    result = run_cli(
        "run",
        "--config",
        str(webhook_config(tmp_path)),
        env={"BOT_TOKEN": TOKEN, "WEBHOOK_SECRET": secret},
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "WEBHOOK_SECRET is not valid" in result.stderr
    assert secret not in result.stderr + result.stdout
