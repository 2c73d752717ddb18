"""The baseline bot of bench.intake, bench.memory and bench.startup: bare python-telegram-bot.

One MessageHandler echoes a text back with one inline button, one CallbackQueryHandler answers
the press and edits the message: per user action the same Bot API calls as ClassCare's check-in
(a text gets a sendMessage; a press gets answerCallbackQuery plus editMessageText). It processes
up to 64 updates at once, as ClassCare's update processor does, so neither side wins by
concurrency. `python -m bench.baseline --base-url URL` runs it with run_polling, as a process.
"""

from __future__ import annotations

import argparse
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakeapi import TOKEN

CONCURRENT_UPDATES = 64
BUTTON = "again"
EchoApp = Application[Any, Any, Any, Any, Any, Any]


def _keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(BUTTON, callback_data="echo:again")]])


async def echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back with one button under it."""
    message = update.effective_message
    if message is not None and message.text is not None:
        await message.reply_text(message.text, reply_markup=_keyboard())


async def answer_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press and edit the pressed message, keeping its button."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    await query.edit_message_text(f"pressed {query.id}", reply_markup=_keyboard())


def build_echo(base_url: str, *, token: str = TOKEN) -> EchoApp:
    """The echo bot pointed at a Bot API server, not started."""
    application: EchoApp = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .concurrent_updates(CONCURRENT_UPDATES)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo_text))
    application.add_handler(CallbackQueryHandler(answer_press))
    return application


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8081/bot")
    parser.add_argument("--poll-timeout", type=int, default=1)
    args = parser.parse_args()
    build_echo(args.base_url).run_polling(timeout=args.poll_timeout)


if __name__ == "__main__":
    main()
