"""The bot's aiohttp transport against the fake Bot API: answers, files, and which failures
are safe to send again (the delivery worker's `unknown` rests on this)."""

from __future__ import annotations

import asyncio
import json
import logging
import traceback

import pytest
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.core.logs import RedactingFilter
from bot.delivery.httprequest import AiohttpRequest, never_sent
from tests.fakeapi import TOKEN, FakeBotAPI


def params(**values: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


async def test_a_message_and_a_file_arrive(api: FakeBotAPI) -> None:
    api.user(5001, "Li").chat.started = True
    request = AiohttpRequest(timeout=5)
    await request.initialize()
    try:
        url = f"{api.base_url}{TOKEN}"
        status, body = await request.do_request(
            f"{url}/sendMessage", "POST", params(chat_id=5001, text="体温 36.6 °C")
        )
        assert status == 200 and json.loads(body)["result"]["text"] == "体温 36.6 °C"
        document = InputFile(b"PK\x03\x04 ledger", filename="台账.xlsx")
        status, body = await request.do_request(
            f"{url}/sendDocument", "POST", params(chat_id=5001, document=document)
        )
        assert status == 200, body
        assert json.loads(body)["result"]["document"]["file_name"] == "台账.xlsx"
    finally:
        await request.shutdown()


async def test_a_late_answer_may_have_arrived_but_a_full_pool_never_sent(
    api: FakeBotAPI,
) -> None:
    api.user(5001, "Li").chat.started = True
    api.inject("timeout", method="sendMessage", delay=3.0)
    request = AiohttpRequest(timeout=1.0, connections=1)
    await request.initialize()
    url = f"{api.base_url}{TOKEN}/sendMessage"
    try:
        # The one connection is busy with a call Telegram is slow to answer.
        slow = asyncio.create_task(request.do_request(url, "POST", params(chat_id=5001, text="a")))
        await api.wait_for(lambda c: c.method == "sendMessage", timeout=5)
        with pytest.raises(TimedOut) as queued:
            await request.do_request(
                url, "POST", params(chat_id=5001, text="b"), connect_timeout=0.1, pool_timeout=0.1
            )
        assert never_sent(queued.value)
        # What the error handler would log: the whole chain, with no token in it.
        logged = "".join(traceback.format_exception(queued.value))
        assert TOKEN.split(":")[1] not in logged and "<bot api>" not in logged
        with pytest.raises(TimedOut) as late:
            await slow
        assert not never_sent(late.value)
        sent = [c.params.get("text") for c in api.calls if c.method == "sendMessage"]
        assert sent == ["a"]
    finally:
        await request.shutdown()


async def test_nobody_listening_is_a_network_error() -> None:
    request = AiohttpRequest(timeout=1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.do_request("http://127.0.0.1:9/bot/getMe", "POST")
    finally:
        await request.shutdown()


async def test_a_network_error_names_no_token_and_tracebacks_are_redacted() -> None:
    request = AiohttpRequest(timeout=1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as refused:
            await request.do_request(f"http://127.0.0.1:9/bot{TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()
    assert TOKEN not in "".join(traceback.format_exception(refused.value))

    # Whatever else raises with a secret in its message, the log's traceback hides it.
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(RedactingFilter([TOKEN]))
    log = logging.getLogger("tests.redaction")
    log.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"GET https://api.telegram.org/bot{TOKEN}/getMe failed")
        except RuntimeError:
            log.exception("call failed for %s", TOKEN)
    finally:
        log.removeHandler(handler)
    assert len(lines) == 1 and "RuntimeError" in lines[0] and "[redacted]" in lines[0]
    assert TOKEN not in lines[0]
