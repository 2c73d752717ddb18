"""What every handler needs: services, the sender as a person, their language, replies."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    ChatMember,
    MenuButton,
    MenuButtonCommands,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.core.access import STAFF_ROLES, Viewer
from bot.core.i18n import language_from_telegram
from bot.core.menus import menu_for
from bot.core.services import Services, get_services
from bot.dashboard import sessions
from bot.people.viewer import viewer
from bot.storage import people
from bot.storage.records import Person

Context = ContextTypes.DEFAULT_TYPE
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sender:
    """The Telegram user behind an update, with the person they are bound to (if any).

    chat_id is the user's own private chat, never the chat an update came from: whatever the
    bot answers or binds goes to the person alone.
    """

    telegram_user_id: int
    chat_id: int
    language: str
    person: Person | None


def services(context: Context) -> Services:
    return get_services(context.bot_data)


async def sender(update: Update, context: Context) -> Sender | None:
    user = update.effective_user
    if user is None:
        return None
    svc = services(context)
    person = await people.person_by_telegram(svc.db, user.id)
    fallback = language_from_telegram(user.language_code, svc.config.general.language)
    language = person.language if person is not None and person.language else fallback
    # A private chat's id is its user's id (keep_to_private_chats lets no other chat through).
    return Sender(user.id, user.id, language, person)


async def viewer_for(svc: Services, person: Person) -> Viewer:
    return await viewer(svc.db, person)


async def reply(update: Update, context: Context, text: str) -> None:
    """Answer the user's own action in their own chat, directly (it still counts against the
    shared budget)."""
    user = update.effective_user
    if user is not None:
        await context.bot.send_message(user.id, text)


async def keep_to_private_chats(update: Update, context: Context) -> None:
    """Let through only updates from a person's own private chat; leave any other chat.

    Health data of minors must never be shown to a group, and a group must never become
    someone's delivery chat. A button under a group message gets one short line, shown to the
    presser only; everything else in a group, supergroup or channel, and inline queries, get
    nothing, and the bot leaves the chat.
    """
    chat = update.effective_chat
    user = update.effective_user
    own = chat is not None and user is not None and chat.id == user.id
    if own and chat is not None and chat.type == ChatType.PRIVATE:
        return
    query = update.callback_query
    if query is not None:
        svc = services(context)
        language = language_from_telegram(
            query.from_user.language_code, svc.config.general.language
        )
        await query.answer(svc.catalog.t(language, "common.private_only"), show_alert=True)
    if chat is not None and chat.type != ChatType.PRIVATE and not _removed(update):
        await _leave(context, chat.id, chat.type)
    raise ApplicationHandlerStop


def _removed(update: Update) -> bool:
    """Whether the update says the bot is out of the chat already (nothing left to leave)."""
    change = update.my_chat_member
    return change is not None and change.new_chat_member.status in (
        ChatMember.LEFT,
        ChatMember.BANNED,
    )


async def _leave(context: Context, chat_id: int, kind: str) -> None:
    try:
        await context.bot.leave_chat(chat_id)
    except TelegramError as error:
        # Updates still queued from a chat already left fail here; there is nothing to undo.
        log.info("could not leave a %s chat: %s", kind, type(error).__name__)
        return
    log.info("left a %s chat: ClassCare works in private chats only", kind)


async def set_menu(context: Context, chat_id: int, role: str, language: str) -> None:
    """Show the person the commands of their role, in their language."""
    svc = services(context)
    catalog = svc.catalog
    commands = [BotCommand(c, catalog.t(language, f"menu.{c}")) for c in menu_for(role)]
    await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    if svc.config.dashboard.enabled:
        # Staff open the dashboard from the menu button; students and guardians keep the
        # plain command menu.
        button: MenuButton = MenuButtonCommands()
        if role in STAFF_ROLES:
            button = MenuButtonWebApp(
                catalog.t(language, "dashboard.menu_button"), WebAppInfo(sessions.app_url(svc))
            )
        await context.bot.set_chat_menu_button(chat_id, button)


@dataclass(frozen=True)
class Press:
    """A button press by a person the account is bound to, with its callback data split."""

    query: CallbackQuery
    who: Sender
    person: Person
    parts: list[str]


async def bound_press(update: Update, context: Context) -> Press | None:
    """The press and its presser; an unbound presser is told so, and None comes back."""
    query = update.callback_query
    who = await sender(update, context)
    if query is None or who is None:
        return None
    if who.person is None:
        await query.answer(
            services(context).catalog.t(who.language, "common.not_bound"), show_alert=True
        )
        return None
    return Press(query, who, who.person, (query.data or "").split(":"))


async def bound_sender(
    update: Update, context: Context, *, throttled: bool = False
) -> tuple[Sender, Person] | None:
    """The sender and the person they are bound to; an unbound sender is told so (if
    `throttled`, at most once a minute), and None comes back.

    Free text and media are throttled: an unbound account forwarding a hundred messages gets
    one answer, not a hundred. A typed command is always answered; the per-chat queue cap
    (bot/delivery/updates.py) bounds how many of those one burst can bring.
    """
    who = await sender(update, context)
    if who is None:
        return None
    if who.person is None:
        svc = services(context)
        if not throttled or svc.unbound_replies.allow(who.telegram_user_id, svc.now()):
            await reply(update, context, svc.catalog.t(who.language, "common.not_bound"))
        return None
    return who, who.person


async def staff_viewer(
    update: Update, context: Context, roles: tuple[str, ...] = STAFF_ROLES
) -> tuple[Sender, Viewer] | None:
    """The sender and their scope if they are bound staff of one of `roles`; otherwise refuse
    and return None."""
    bound = await bound_sender(update, context)
    if bound is None:
        return None
    who, person = bound
    svc = services(context)
    if person.role not in roles:
        await reply(update, context, svc.catalog.t(who.language, "common.not_allowed"))
        return None
    return who, await viewer_for(svc, person)


async def refuse_unknown_button(update: Update, context: Context) -> None:
    """Answer a press whose data no handler knows, so the user's spinner stops with a reason."""
    query = update.callback_query
    who = await sender(update, context)
    if query is None or who is None:
        return
    await query.answer(
        services(context).catalog.t(who.language, "common.bad_button"), show_alert=True
    )
