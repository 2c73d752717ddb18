"""Webhook mode, the production alternative to polling: updates arrive by POST with a secret."""

from __future__ import annotations

import socket
from pathlib import Path

from bot.app import build_application
from bot.clock import FakeClock, epoch
from bot.config import Config
from bot.onboarding import issue_invites
from bot.roster import parse_roster
from bot.storage.db import Database
from bot.storage.people import select_people
from bot.storage.roster import apply_roster
from tests.fakeapi import TOKEN, FakeBotAPI
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS

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
    student = [p for p, _, _ in await select_people(db) if p.number == "S001"]
    [(_, code)] = await issue_invites(db, student, now=epoch(clock.now()), ttl_days=14)
    await db.close()

    app = build_application(config, token=TOKEN, clock=clock)
    port = free_port()
    await app.initialize()
    assert app.post_init is not None and app.updater is not None
    await app.post_init(app)
    await app.start()
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="classcare",
        webhook_url=f"http://127.0.0.1:{port}/classcare",
        secret_token=SECRET,
    )
    start = api.mark()
    try:
        assert api.webhook == (f"http://127.0.0.1:{port}/classcare", SECRET)
        user = api.user(USER_IDS["S001"], "小明")
        await user.send_text(f"/start {code}")
        await user.wait_for_message(contains="你好，张小明", timeout=10)
        assert not [c for c in api.calls[start:] if c.method == "getUpdates"]
        assert not api.webhook_errors

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
