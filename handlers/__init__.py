"""Every Telegram handler, registered in one ordered list."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.alerts import screens as alert_screens
from bot.checkins import screens
from bot.contact import screens as contact_screens
from bot.core.keyboard import pattern
from bot.guardians import consent
from bot.isolation import screens as isolation_screens
from bot.notices import render
from bot.people import language
from bot.reports import adminviews as audit_views
from bot.reports import student
from bot.reports import today as today_report
from bot.returns import declaration, readiness
from bot.safeguarding import review
from handlers import (
    adminviews,
    alerts,
    checkin,
    common,
    contact,
    crisis_review,
    dashboard,
    guardians,
    isolation,
    media,
    notices,
    onboarding,
    returns,
    staffviews,
    text,
    today,
)
from handlers.common import CONTEXT_TYPES

__all__ = ["CONTEXT_TYPES", "register_handlers"]


def _command(name: str, callback: Any) -> CommandHandler[Any, Any]:
    # python-telegram-bot runs commands on edited messages too: editing "/release S001" into
    # "/release S002" would release a second student. A command is what was sent.
    return CommandHandler(name, callback, filters=filters.UpdateType.MESSAGE)


def _handlers() -> list[BaseHandler[Any, Any, Any]]:
    # Order matters only within a group: commands first, then buttons by prefix, then free text
    # last, so a command is never mistaken for a check-in answer or a message to a teacher.
    return [
        _command("start", onboarding.start),
        _command("help", onboarding.show_help),
        _command("language", onboarding.choose_language),
        CallbackQueryHandler(onboarding.set_language, pattern=pattern(language.AREA)),
        _command("checkin", checkin.start_checkin),
        _command("isolate", isolation.isolate_student),
        _command("release", isolation.release_student),
        _command("answerer", guardians.choose_answerer),
        _command("child", guardians.show_child),
        CallbackQueryHandler(guardians.press_consent, pattern=pattern(consent.AREA)),
        CallbackQueryHandler(
            isolation.press_release, pattern=pattern(isolation_screens.RELEASE_AREA)
        ),
        CallbackQueryHandler(checkin.answer_button, pattern=pattern(screens.AREA)),
        _command("talk", contact.offer_talk),
        _command("contacts", contact.show_not_contacted),
        _command("msg", contact.write_to_student),
        _command("called", alerts.log_call),
        CallbackQueryHandler(alerts.press_card, pattern=pattern(alert_screens.AREA)),
        CallbackQueryHandler(
            alerts.press_resolution, pattern=pattern(alert_screens.RESOLUTION_AREA)
        ),
        CallbackQueryHandler(contact.press_contact, pattern=pattern(contact_screens.AREA)),
        _command("missed", crisis_review.report_missed),
        CallbackQueryHandler(crisis_review.press_label, pattern=pattern(review.AREA)),
        _command("notice", notices.start_notice),
        _command("notices", notices.list_notices),
        CallbackQueryHandler(notices.press_button, pattern=pattern(render.AREA)),
        _command("student", staffviews.show_student),
        _command("ledger", staffviews.export_ledger),
        CallbackQueryHandler(staffviews.choose_student, pattern=pattern(student.AREA)),
        _command("today", today.show_today),
        _command("stats", adminviews.show_stats),
        _command("audit", adminviews.show_audit),
        _command("web", dashboard.send_web_link),
        CallbackQueryHandler(adminviews.page_audit, pattern=pattern(audit_views.AREA)),
        CallbackQueryHandler(today.press_remind, pattern=pattern(today_report.AREA)),
        _command("return", returns.open_return),
        _command("readiness", returns.show_readiness),
        CallbackQueryHandler(returns.press_declaration, pattern=pattern(declaration.AREA)),
        CallbackQueryHandler(returns.press_decision, pattern=pattern(readiness.DECISION_AREA)),
        # After every known prefix: a forged or outdated button is still answered.
        CallbackQueryHandler(common.refuse_unknown_button),
        # New messages only: Telegram sends an edit of an old message as an update too, and
        # taking it would store "36.6" (an edit of the typed 38.6) as whatever step waits now.
        # Photos and files may be a notice's attachment or a relayed message; they, stickers
        # and voice messages otherwise get a hint. Plain text goes through handlers.text.
        MessageHandler(
            filters.UpdateType.MESSAGE
            & filters.ChatType.PRIVATE
            & (
                filters.PHOTO
                | filters.Document.ALL
                | filters.Sticker.ALL
                | filters.VOICE
                | filters.VIDEO
                | filters.VIDEO_NOTE
                | filters.AUDIO
                | filters.ANIMATION
            ),
            media.route_media,
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
    # Before every other handler, in a group of its own: an update from anywhere but the
    # sender's own private chat stops here, so no handler can answer into a group.
    application.add_handler(TypeHandler(Update, common.keep_to_private_chats), group=-1)
    application.add_handlers(_handlers())
