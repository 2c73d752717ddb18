"""The fake Bot API answers python-telegram-bot's real client the way Telegram does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakeapi import TOKEN, FakeBotAPI


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id,
        f"echo: {update.effective_message.text}",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("tap", callback_data="t:1")]]),
    )


async def tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("thanks")
    await query.edit_message_text(f"tapped {query.data}")


@pytest.fixture
async def app(api: FakeBotAPI) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    application = (
        ApplicationBuilder().token(TOKEN).base_url(api.base_url).base_file_url(api.base_file_url)
    ).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(tapped))
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


async def test_echo_and_button(
    api: FakeBotAPI, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    user = api.user(42, "Ann")
    await user.send_text("hello")
    message = await user.wait_for_message(contains="echo: hello")
    await user.press(message["message_id"], "t:1")
    await user.wait_for_message(contains="tapped t:1")
    assert user.callback_answers[0]["text"] == "thanks"
    assert user.last_message is not None and "reply_markup" not in user.last_message


async def test_errors_like_telegram(
    api: FakeBotAPI, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    bot = app.bot
    stranger = api.user(7, "Never started")
    with pytest.raises(Forbidden, match="can't initiate"):
        await bot.send_message(stranger.id, "hi")
    user = api.user(8, "Bo")
    await user.send_text("x")
    await user.wait_for_message(contains="echo: x")
    sent = await bot.send_message(user.id, "same")
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("same", chat_id=user.id, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("new", chat_id=user.id, message_id=9999)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(123456789, "nobody")
    user.block()
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(user.id, "hi")
    user.unblock()
    api.inject("429", method="sendMessage", count=1, retry_after=3)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(user.id, "hi")
    assert info.value.retry_after == timedelta(seconds=3)
    await bot.send_message(user.id, "after the storm")
    with pytest.raises(Exception, match="not found"):
        await bot.do_api_request("sendSecretThing", api_kwargs={"chat_id": user.id})
    assert api.unknown_methods == ["sendSecretThing"]
    api.unknown_methods.clear()


async def test_documents_keep_their_bytes(
    api: FakeBotAPI, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    user = api.user(9, "Cy")
    await user.send_text("hi")
    await app.bot.send_document(
        user.id, b"PK\x03\x04 bytes", filename="ledger.xlsx", caption="台账"
    )
    message = await user.wait_for_message(contains="台账")
    assert message["file_bytes"] == b"PK\x03\x04 bytes"
    assert message["document"]["file_name"] == "ledger.xlsx"


async def test_limits_answer_429_above_the_global_rate() -> None:
    api = FakeBotAPI(enforce_limits=True, global_rate=5, per_chat_rate=100)
    await api.start()
    application = ApplicationBuilder().token(TOKEN).base_url(api.base_url).build()
    try:
        await application.initialize()
        users = [api.user(100 + n, f"U{n}") for n in range(8)]
        for user in users:
            user.chat.started = True
        results = []
        for user in users:
            try:
                await application.bot.send_message(user.id, "burst")
                results.append("ok")
            except RetryAfter:
                results.append("429")
        assert results == ["ok"] * 5 + ["429"] * 3
        assert api.counters["429"] == 3
    finally:
        await application.shutdown()
        await api.stop()
