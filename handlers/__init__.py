"""Every Telegram handler, registered in one ordered list."""

from __future__ import annotations

from typing import Any

from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from handlers import (
    adminviews,
    alerts,
    checkin,
    common,
    contact,
    isolation,
    notices,
    onboarding,
    staffviews,
    text,
    today,
)


def _handlers() -> list[BaseHandler[Any, Any, Any]]:
    # Order matters only within a group: commands first, then buttons by prefix, then free text
    # last, so a command is never mistaken for a check-in answer or a message to a teacher.
    return [
        CommandHandler("start", onboarding.start),
        CommandHandler("help", onboarding.show_help),
        CommandHandler("language", onboarding.choose_language),
        CallbackQueryHandler(onboarding.set_language, pattern=r"^lang:"),
        CommandHandler("checkin", checkin.start_checkin),
        CommandHandler("isolate", isolation.isolate_student),
        CommandHandler("release", isolation.release_student),
        CallbackQueryHandler(checkin.answer_button, pattern=r"^ci:"),
        CommandHandler("talk", contact.offer_talk),
        CommandHandler("contacts", contact.show_not_contacted),
        CommandHandler("called", alerts.log_call),
        CallbackQueryHandler(alerts.press_card, pattern=r"^al:"),
        CallbackQueryHandler(contact.press_contact, pattern=r"^ct:"),
        CommandHandler("notice", notices.start_notice),
        CommandHandler("notices", notices.list_notices),
        CallbackQueryHandler(notices.press_button, pattern=r"^nt:"),
        CommandHandler("student", staffviews.show_student),
        CommandHandler("ledger", staffviews.export_ledger),
        CallbackQueryHandler(staffviews.choose_student, pattern=r"^sv:"),
        CommandHandler("today", today.show_today),
        CommandHandler("stats", adminviews.show_stats),
        CommandHandler("audit", adminviews.show_audit),
        CallbackQueryHandler(today.press_remind, pattern=r"^td:"),
        # After every known prefix: a forged or outdated button is still answered.
        CallbackQueryHandler(common.refuse_unknown_button),
        # New messages only: Telegram sends an edit of an old message as an update too, and
        # taking it would store "36.6" (an edit of the typed 38.6) as whatever step waits now.
        # Photos are only ever relayed messages; plain text goes through handlers.text.
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.PHOTO & filters.ChatType.PRIVATE,
            contact.relay_photo,
        ),
        # Last: any other text, which may be a check-in answer, a relayed message or a cry for
        # help; commands never reach it.
        MessageHandler(
            filters.UpdateType.MESSAGE
            & filters.TEXT
            & ~filters.COMMAND
            & filters.ChatType.PRIVATE,
            text.route_text,
        ),
    ]


def register_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handlers(_handlers())
