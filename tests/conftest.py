"""Shared fixtures: a network guard, the fake Bot API, a controlled clock and the running bot."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings

from bot.core.clock import FakeClock
from bot.core.config import Config

if TYPE_CHECKING:
    from tests.fakeapi import FakeBotAPI
    from tests.harness import Harness
    from tests.steps import School

# Opt in to python-telegram-bot's coming timedelta durations (retry_after and friends) now,
# rather than meet a deprecation warning, which this suite treats as an error.
os.environ.setdefault("PTB_TIMEDELTA", "1")

# No per-example deadline: it is a timing assertion, and a loaded machine (CI, two xdist workers)
# failed a roster fuzz case at 448 ms that took 3 ms on the rerun. Speed is measured in bench/.
settings.register_profile("classcare", deadline=None)
# In CI the property tests replay the same examples every run, so a landing depends on the code,
# not on the draw; on a developer's machine they keep searching afresh.
settings.register_profile(
    "ci", parent=settings.get_profile("classcare"), derandomize=True, print_blob=True
)
settings.load_profile("ci" if os.environ.get("CI") else "classcare")

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday, before the morning round.
START = datetime(2026, 11, 30, 7, 0, tzinfo=SHANGHAI)


def _is_local(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return isinstance(address, str | bytes)  # Unix sockets


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test that tries to reach beyond this machine."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if not _is_local(address):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_local(address):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    yield


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    from tests.fakeapi import FakeBotAPI

    fake = FakeBotAPI()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
    assert not fake.unknown_methods, (
        f"the bot called unimplemented methods: {fake.unknown_methods}"
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def config(request: pytest.FixtureRequest, tmp_path: Path, api: FakeBotAPI) -> Config:
    """The harness's config; a test marked `paced` sends at Telegram's real limits."""
    from tests.harness import make_config

    return make_config(tmp_path, api, paced=request.node.get_closest_marker("paced") is not None)


@pytest.fixture
async def harness(config: Config, api: FakeBotAPI, clock: FakeClock) -> AsyncIterator[Harness]:
    from tests.harness import Harness

    api.now = lambda: clock.now().timestamp()
    bot = Harness(config, api, clock)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.fixture
async def school(tmp_path: Path) -> AsyncIterator[School]:
    """The seed school driven through bot/ directly, without Telegram."""
    from tests.steps import seeded_school

    place = await seeded_school(tmp_path)
    try:
        yield place
    finally:
        await place.svc.db.close()
