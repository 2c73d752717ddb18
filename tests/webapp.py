"""What the dashboard tests share: a config with the dashboard on, Mini App launches signed
like Telegram signs them, and the morning the access matrix acts in."""

from __future__ import annotations

import dataclasses
import json
import re
import socket
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from bot.core.config import Config, Dashboard
from bot.dashboard.auth import sign
from tests.fakeapi import TOKEN, FakeBotAPI
from tests.harness import Harness, make_config
from tests.reliability.scene import Morning, open_morning
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dashboard_config(tmp_path: Path, api: FakeBotAPI) -> Config:
    port = free_port()
    config = make_config(tmp_path, api)
    return dataclasses.replace(
        config,
        dashboard=Dashboard(enabled=True, public_url=f"http://127.0.0.1:{port}", port=port),
    )


def base_url(harness: Harness) -> str:
    return harness.config.dashboard.public_url


def init_data(
    user_id: int, auth_date: int, *, token: str = TOKEN, query_id: str = "AAH1", **extra: str
) -> str:
    """initData as a Telegram client passes it to a Mini App, signed with the bot's token."""
    fields = {
        "query_id": query_id,
        "user": json.dumps({"id": user_id, "first_name": "Test", "language_code": "zh-hans"}),
        "auth_date": str(auth_date),
        **extra,
    }
    return urlencode({**fields, "hash": sign(fields, token)})


def client() -> aiohttp.ClientSession:
    # The dashboard is reached by IP in tests; aiohttp keeps cookies of IP hosts only if told.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def launch(
    session: aiohttp.ClientSession, harness: Harness, data: str
) -> aiohttp.ClientResponse:
    async with session.post(f"{base_url(harness)}/auth/telegram", data={"init_data": data}) as r:
        await r.read()
        return r


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


# Who the dashboard scenes bind: the access matrix's school plus the doctor and both admins.
BOUND = ("S001", "S002", "S005", "S901", "T01", "T02", "D01", "A01", "B01", "T91")


async def morning(harness: Harness) -> Morning:
    """Seed, bind, open the morning round and raise the fevers of S002, S005 and S901."""
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    for number in BOUND:
        await harness.onboard(number, user_id=USER_IDS[number])
    return await open_morning(harness)
