"""Webhook mode, the production alternative to polling: updates arrive by POST with a secret."""

from __future__ import annotations

import socket

from bot.app import build_application
from bot.clock import FakeClock
from bot.config import Config
from bot.onboarding import issue_invites
from bot.storage.people import select_people
from tests.fakeapi import TOKEN, FakeBotAPI
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS

SECRET = "s3cret-Header_value"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_onboarding_through_a_webhook_with_a_secret(
    config: Config, api: FakeBotAPI, clock: FakeClock
) -> None:
    seeding = Harness(config, api, clock)
    await seeding.start()
    await seeding.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    student = [p for p, _, _ in await select_people(seeding.svc.db) if p.number == "S001"]
    [(_, code)] = await issue_invites(seeding.svc.db, student, now=seeding.svc.now(), ttl_days=14)
    await seeding.stop()

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
    try:
        assert api.webhook == (f"http://127.0.0.1:{port}/classcare", SECRET)
        user = api.user(USER_IDS["S001"], "小明")
        await user.send_text(f"/start {code}")
        await user.wait_for_message(contains="你好，张小明", timeout=10)
        assert api.count("getUpdates") == 0 and not api.webhook_errors

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
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
