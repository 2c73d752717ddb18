"""Every Telegram handler, registered in one ordered list."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler

from handlers import onboarding


def _handlers() -> list[BaseHandler[Any, Any, Any]]:
    # Order matters only within a group: commands first, then buttons by prefix, then free text
    # last, so a command is never mistaken for a check-in answer or a message to a teacher.
    return [
        CommandHandler("start", onboarding.start),
        CommandHandler("help", onboarding.show_help),
        CommandHandler("language", onboarding.choose_language),
        CallbackQueryHandler(onboarding.set_language, pattern=r"^lang:"),
    ]


def register_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handlers(_handlers())
