"""The fake Bot API answers python-telegram-bot's real client the way Telegram does."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import urllib.request
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from telegram import Bot, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakeapi import TOKEN, FakeBotAPI

AnyApp = Application[Any, Any, Any, Any, Any, Any]
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("tap", callback_data="t:1")]])


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo a text back with a button under it."""
    assert update.effective_message is not None and update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id, f"echo: {update.effective_message.text}", reply_markup=KEYBOARD
    )


async def tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a tap and replace the message's text, dropping its keyboard."""
    query = update.callback_query
    assert query is not None
    await query.answer("thanks")
    await query.edit_message_text(f"tapped {query.data}")


def waited(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def build(api: FakeBotAPI) -> AnyApp:
    builder = ApplicationBuilder().token(TOKEN).base_url(api.base_url)
    application = builder.base_file_url(api.base_file_url).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(tapped))
    return application


@pytest.fixture
async def app(api: FakeBotAPI) -> AsyncIterator[AnyApp]:
    application = build(api)
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    """A bare Bot on the fake API, for calls that need no handlers."""
    async with Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as bare:
        yield bare


async def test_echo_and_button(api: FakeBotAPI, app: AnyApp) -> None:
    user = api.user(42, "Ann")
    await user.send_text("hello")
    message = await user.wait_for_message(contains="echo: hello")
    assert message["chat"] == {"id": 42, "type": "private", "first_name": "Ann"}
    assert message["from"]["is_bot"] is True
    assert user.button(message, "tap") == "t:1"
    mark = api.mark()
    query_id = await user.press(message["message_id"], "t:1")
    assert (await user.answered(query_id))["text"] == "thanks"
    edited = await user.wait_for_message(contains="tapped t:1", since=mark)
    assert edited["message_id"] == message["message_id"]
    assert "reply_markup" not in edited and "edit_date" in edited
    assert [m["text"] for m in user.messages] == ["tapped t:1"]


async def test_commands_carry_entities(api: FakeBotAPI, app: AnyApp) -> None:
    user = api.user(43)
    sent = await user.send_text("/start abc-123")
    assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert (await user.send_text("体温 37.5 😀 /help"))["entities"][0]["offset"] == 11
    await user.wait_for_message(contains="/help")


async def test_errors_like_telegram(api: FakeBotAPI, bot: Bot) -> None:
    stranger = api.user(7, "Never started")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(stranger.id, "hi")
    user = api.user(8, "Bo", started=True)
    sent = await bot.send_message(user.id, "same", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text(
            "same", chat_id=user.id, message_id=sent.message_id, reply_markup=KEYBOARD
        )
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("new", chat_id=user.id, message_id=9999)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(123456789, "nobody")
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        too_long = InlineKeyboardButton("x", callback_data="x" * 65)
        await bot.send_message(user.id, "hi", reply_markup=InlineKeyboardMarkup([[too_long]]))
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("no-such-query")
    user.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(user.id, "hi")
    user.unblock()
    # The bot hears of both, as a my_chat_member update from Telegram.
    changes = [u.my_chat_member for u in await bot.get_updates()]
    assert [c.new_chat_member.status for c in changes if c] == ["kicked", "member"]
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendSecretThing", api_kwargs={"chat_id": user.id})
    assert api.unknown_methods == ["sendSecretThing"]
    api.unknown_methods.clear()


async def test_delete_within_48_hours(api: FakeBotAPI, bot: Bot) -> None:
    clock = [1_800_000_000.0]
    api.now = lambda: clock[0]
    user = api.user(9, started=True)
    old = await bot.send_message(user.id, "old")
    fresh = await bot.send_message(user.id, "fresh")
    assert old.date.timestamp() == 1_800_000_000
    clock[0] += 48 * 3600 + 1
    with pytest.raises(BadRequest, match="can't be deleted"):
        await bot.delete_message(user.id, old.message_id)
    fresh = await bot.send_message(user.id, "fresh")
    assert await bot.delete_message(user.id, fresh.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(user.id, fresh.message_id)
    assert [m["text"] for m in api.sent_to(user.id)] == ["old", "fresh"]
    assert api.sent_to(user.id, include_deleted=True)[-1]["deleted"] is True


async def test_injected_faults(api: FakeBotAPI, bot: Bot) -> None:
    user = api.user(10, started=True)
    fault = api.inject("429", method="sendMessage", count=1, retry_after=3)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(user.id, "hi")
    assert info.value.retry_after == timedelta(seconds=3)
    assert fault.hits == 1 and api.counters["429"] == 1
    await bot.send_message(user.id, "after the storm")
    api.inject("502", chat_id=user.id, count=1)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(user.id, "x")
    api.inject("403", count=1)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(user.id, "x")
    # A timeout and a drop still deliver: the client cannot know whether the message arrived.
    api.inject("timeout", method="sendMessage", count=1, delay=5)
    with pytest.raises(TimedOut):
        await bot.send_message(user.id, "held back", read_timeout=0.2)
    api.inject("drop", method="sendMessage", count=1)
    with pytest.raises(NetworkError):
        await bot.send_message(user.id, "dropped")
    assert [m["text"] for m in user.messages][-2:] == ["held back", "dropped"]
    api.inject("latency", delay=0.2, count=1)
    started = asyncio.get_running_loop().time()
    await bot.send_message(user.id, "slow")
    assert asyncio.get_running_loop().time() - started >= 0.2
    assert not api.faults
    assert api.calls[-1].fault == "latency"


async def test_limits_answer_429_only_above_the_rates(bot: Bot) -> None:
    api = FakeBotAPI(enforce_limits=True, global_rate=5, per_chat_rate=1, group_per_minute=2)
    await api.start()
    try:
        async with Bot(TOKEN, base_url=api.base_url) as limited:
            users = [api.user(100 + n, started=True) for n in range(6)]
            for user in users[:5]:
                await limited.send_message(user.id, "burst")
            with pytest.raises(RetryAfter) as info:
                await limited.send_message(users[5].id, "one too many")
            assert waited(info.value) >= 1
            assert users[5].messages == []
            # Edits are outside the limits.
            await limited.edit_message_text("edited", chat_id=users[0].id, message_id=1)
        assert api.counters["429"] == 1 and api.counters["sent"] == 5
        api.limits.reset()
        async with Bot(TOKEN, base_url=api.base_url) as limited:
            await limited.send_message(users[0].id, "first")
            with pytest.raises(RetryAfter):
                await limited.send_message(users[0].id, "second in the same second")
            group = api.group(-100, "Class 3")
            await limited.send_message(group.chat_id, "a")
            await limited.send_message(group.chat_id, "b")
            with pytest.raises(RetryAfter) as info:
                await limited.send_message(group.chat_id, "c")
            assert 1 <= waited(info.value) <= 60
        assert [m["text"] for m in group.messages] == ["a", "b"]
    finally:
        await api.stop()


async def test_uploads_keep_their_bytes(api: FakeBotAPI, bot: Bot) -> None:
    user = api.user(11, "Cy", started=True)
    await bot.send_document(
        user.id, b"PK\x03\x04 bytes", filename="ledger.xlsx", caption="台账", reply_markup=KEYBOARD
    )
    message = await user.wait_for_message(contains="台账")
    assert message["file_bytes"] == b"PK\x03\x04 bytes"
    assert message["document"]["file_name"] == "ledger.xlsx"
    assert api.documents[-1]["file_bytes"] == b"PK\x03\x04 bytes"
    upload = api.calls[-1]
    # Multipart parameters come out typed as if they had been JSON.
    assert upload.params["chat_id"] == user.id and upload.params["caption"] == "台账"
    assert upload.params["reply_markup"] == KEYBOARD.to_dict()
    assert message["reply_markup"] == KEYBOARD.to_dict()
    photo = await bot.send_photo(user.id, b"\x89PNG chart", caption="体温")
    again = await bot.send_photo(user.id, photo.photo[-1].file_id)
    file = await bot.get_file(again.photo[-1].file_id)
    assert await file.download_as_bytearray() == bytearray(b"\x89PNG chart")
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(user.id, "no-such-file")


async def test_user_media_copy_forward_and_commands(api: FakeBotAPI, bot: Bot) -> None:
    student = api.user(12, started=True)
    teacher = api.user(13, started=True)
    sent = await student.send_photo("a rash", data=b"\x89PNG rash")
    copied = await bot.copy_message(teacher.id, student.chat_id, sent["message_id"])
    shown = teacher.last_message
    assert shown is not None and shown["message_id"] == copied.message_id
    assert shown["caption"] == "a rash" and shown["file_bytes"] == b"\x89PNG rash"
    forwarded = await bot.forward_message(teacher.id, student.chat_id, sent["message_id"])
    assert forwarded.forward_origin is not None and forwarded.caption == "a rash"
    doc = await student.send_document(b"number,name\n1,Li\n", "roster.csv")
    file = await bot.get_file(doc["document"]["file_id"])
    assert await file.download_as_bytearray() == bytearray(b"number,name\n1,Li\n")
    html = await bot.send_message(student.id, "<b>37.5</b> &lt;ok&gt;", parse_mode="HTML")
    assert html.text == "37.5 <ok>"
    await bot.set_my_commands([("checkin", "Check in")], scope=BotCommandScopeChat(12))
    assert api.my_commands(chat_id=12) == [{"command": "checkin", "description": "Check in"}]
    assert await bot.get_my_commands() == ()
    assert (await bot.get_chat(student.id)).id == student.id


async def test_wait_for_explains_a_timeout(api: FakeBotAPI, bot: Bot) -> None:
    user = api.user(14, started=True)
    await bot.send_message(user.id, "present")
    mark = api.mark()
    with pytest.raises(AssertionError, match=r"(?s)last calls:.*sendMessage 200"):
        await api.wait_for(lambda call: call.method == "sendMessage", since=mark, timeout=0.05)
    waiter = asyncio.create_task(
        api.wait_for(lambda call: call.params.get("text") == "later", since=mark)
    )
    await bot.send_message(user.id, "later")
    assert (await waiter).result["text"] == "later"
    with pytest.raises(AssertionError, match="present"):
        await user.wait_for_message(contains="absent", timeout=0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_webhook_delivers_with_the_secret(api: FakeBotAPI, bot: Bot) -> None:
    user = api.user(15)
    await user.send_text("queued before the webhook")
    application = build(api)
    port = free_port()
    await application.initialize()
    await application.start()
    assert application.updater is not None
    try:
        await application.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token="s3cret",
        )
        assert api.webhook == (f"http://127.0.0.1:{port}/hook", "s3cret")
        # PTB's webhook server refuses a wrong secret, so an echo proves the header came.
        await user.wait_for_message(contains="echo: queued before the webhook")
        await user.send_text("through the hook")
        await user.wait_for_message(contains="echo: through the hook")
        with pytest.raises(Conflict):
            await bot.get_updates()
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
    assert await bot.delete_webhook()
    await user.send_text("polled again")
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.text == "polled again"


async def test_standalone_process_with_control_endpoints() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakeapi", "--users", "2", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=10)
        root = f"http://127.0.0.1:{int(line.split()[1])}"
        async with Bot(TOKEN, base_url=f"{root}/bot") as remote:
            await remote.send_message(1_000_000, "round")
            await asyncio.to_thread(post, f"{root}/_control/users", {"ids": [5]})
            await remote.send_message(5, "welcome")
            await asyncio.to_thread(post, f"{root}/_control/text", {"user_id": 5, "text": "hi"})
            [update] = await remote.get_updates()
            assert update.message is not None and update.message.text == "hi"
            stats = await asyncio.to_thread(get, f"{root}/_control/stats")
            assert stats["sent"] == 2 and stats["sendMessage"] == 2
            shown = await asyncio.to_thread(get, f"{root}/_control/messages?chat_id=5")
            assert [m["text"] for m in shown["messages"]] == ["welcome"]
            await asyncio.to_thread(post, f"{root}/_control/reset", {})
            assert await asyncio.to_thread(get, f"{root}/_control/stats") == {}
    finally:
        process.terminate()
        assert await process.wait() == 0


def post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())
