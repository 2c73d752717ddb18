"""A short retention period: staff copies still within Telegram's 48 hours are deleted, not
edited."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.config import Config
from tests.fakeapi import FakeBotAPI
from tests.harness import Harness, make_config
from tests.steps import MARKER, NEUTRAL, crisis_and_relay


@pytest.fixture
def config(tmp_path: Path, api: FakeBotAPI) -> Config:
    base = make_config(tmp_path, api)
    return dataclasses.replace(
        base, retention=dataclasses.replace(base.retention, days_after_isolation=1)
    )


async def test_copies_younger_than_48_hours_are_deleted(harness: Harness) -> None:
    users = await crisis_and_relay(harness)
    harness.clock.set(harness.clock.now() + timedelta(hours=25))
    mark = harness.api.mark()
    await harness.tick()
    await harness.delivered()
    deleted = await harness.api.wait_for(lambda c: c.method == "deleteMessage", since=mark)
    assert deleted.status == 200
    for number in ("T01", "C01"):
        shown = [str(m.get("text")) for m in users[number].messages]
        assert not [t for t in shown if MARKER in t or "危机言语" in t or t == NEUTRAL], shown
