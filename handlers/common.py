"""What every handler needs: the context with services and the sender, refusals, replies."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    ChatMember,
    InlineKeyboardMarkup,
    MenuButton,
    MenuButtonCommands,
    MenuButtonWebApp,
    Update,
    User,
    WebAppInfo,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext, ContextTypes, ExtBot

from bot.core.access import STAFF_ROLES, Viewer
from bot.core.i18n import language_from_telegram
from bot.core.ids import is_id
from bot.core.keyboard import Button, Callback, Keyboard, parse
from bot.core.menus import menu_for
from bot.core.services import Services, get_services
from bot.dashboard import sessions
from bot.people.viewer import viewer
from bot.storage import people
from bot.storage.records import Person

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


_Data = dict[Any, Any]


class CustomContext(CallbackContext[ExtBot[Any], _Data, _Data, _Data]):
    """The context every handler gets: the running services and the update's sender.

    The sender is resolved once per update, by the private-chat gate that runs before any
    handler; a handler never looks the account up again.
    """

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self._sender: Sender | None = None

    @property
    def svc(self) -> Services:
        return get_services(self.bot_data)

    @property
    def sender(self) -> Sender:
        """The sender of an update that passed the private-chat gate."""
        if self._sender is None:
            raise RuntimeError(
                "the sender is resolved by keep_to_private_chats, which did not run"
            )
        return self._sender

    async def resolve_sender(self, user: User) -> None:
        """Look the account up once: the person it is bound to (if active) and their language."""
        svc = self.svc
        person = await people.person_by_telegram(svc.db, user.id)
        fallback = language_from_telegram(user.language_code, svc.config.general.language)
        language = person.language if person is not None and person.language else fallback
        # A private chat's id is its user's id (keep_to_private_chats lets no other chat through).
        self._sender = Sender(user.id, user.id, language, person)


Context = CustomContext
CONTEXT_TYPES = ContextTypes(context=CustomContext)


def markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    """The one place a capability's Keyboard becomes python-telegram-bot's markup."""
    data = keyboard.markup()
    return InlineKeyboardMarkup.de_json(data, None) if data is not None else None


def shown_keyboard(shown: InlineKeyboardMarkup | None) -> Keyboard:
    """The buttons a message carries now, read back into a Keyboard (markup()'s inverse)."""
    if shown is None:
        return Keyboard()
    return Keyboard.of(
        *(
            tuple(
                Button(
                    b.text,
                    None if b.callback_data is None else str(b.callback_data),
                    b.url,
                )
                for b in row
            )
            for row in shown.inline_keyboard
        )
    )


async def viewer_for(svc: Services, person: Person) -> Viewer:
    return await viewer(svc.db, person)


async def reply(update: Update, context: Context, text: str) -> None:
    """Answer the user's own action in their own chat, directly.

    The rule for every handler: the answer to the sender's own command, button or text goes
    straight back to the sender's chat (the person is waiting for it, a check-in screen needs
    its message id at once, and the shared rate budget counts it like an outbox send); nothing
    the action causes for anyone else is sent here: that goes through the outbox, in the
    transaction that records the action.
    """
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
    if own and chat is not None and user is not None and chat.type == ChatType.PRIVATE:
        await context.resolve_sender(user)
        return
    query = update.callback_query
    if query is not None:
        svc = context.svc
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
    svc = context.svc
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
    """A button press by a person the account is bound to, with its callback data parsed."""

    query: CallbackQuery
    who: Sender
    person: Person
    data: Callback

    def id_at(self, index: int) -> int | None:
        """The callback part at `index` as a database id, or None if it is not one."""
        text = self.data.text(index)
        return int(text) if text is not None and is_id(text) else None


async def bound_press(update: Update, context: Context) -> Press | None:
    """The press and its presser; an unbound presser or unreadable data is refused with a
    reason, and None comes back."""
    query = update.callback_query
    if query is None:
        return None
    who = context.sender
    t = context.svc.catalog.t
    if who.person is None:
        await query.answer(t(who.language, "common.not_bound"), show_alert=True)
        return None
    data = parse(query.data)
    if data is None:
        await query.answer(t(who.language, "common.bad_button"), show_alert=True)
        return None
    return Press(query, who, who.person, data)


async def bound_sender(
    update: Update, context: Context, *, throttled: bool = False
) -> tuple[Sender, Person] | None:
    """The sender and the person they are bound to; an unbound sender is told so (if
    `throttled`, at most once a minute), and None comes back.

    Free text and media are throttled: an unbound account forwarding a hundred messages gets
    one answer, not a hundred. A typed command is always answered; the per-chat queue cap
    (bot/delivery/updates.py) bounds how many of those one burst can bring.
    """
    who = context.sender
    if who.person is None:
        svc = context.svc
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
    svc = context.svc
    if person.role not in roles:
        await reply(update, context, svc.catalog.t(who.language, "common.not_allowed"))
        return None
    return who, await viewer_for(svc, person)


async def refuse_unknown_button(update: Update, context: Context) -> None:
    """Answer a press whose data no handler knows, so the user's spinner stops with a reason."""
    query = update.callback_query
    if query is None:
        return
    who = context.sender
    await query.answer(context.svc.catalog.t(who.language, "common.bad_button"), show_alert=True)
