"""/start with an invite code, /help and /language."""

from __future__ import annotations

import logging

from telegram import Update

from bot.guardians import consent, family
from bot.guardians.greeting import welcome_parts
from bot.people import language as languages
from bot.people import onboarding
from bot.people.onboarding import Bound, Refusal
from bot.storage import people
from handlers.common import Context, markup, reply, set_menu

log = logging.getLogger(__name__)


async def start(update: Update, context: Context) -> None:
    """Bind the account through an invite code, or say who the account belongs to."""
    who = context.sender
    svc = context.svc
    catalog = svc.catalog
    if who.person is not None:
        text = catalog.t(
            who.language,
            "onboarding.already_bound",
            name=who.person.name,
            role=catalog.t(who.language, f"roles.{who.person.role}"),
        )
        await reply(update, context, text)
        return
    code = context.args[0] if context.args else ""
    if not code:
        await reply(update, context, catalog.t(who.language, "onboarding.need_invite"))
        return
    outcome = await onboarding.redeem(
        svc.db,
        code,
        telegram_user_id=who.telegram_user_id,
        chat_id=who.chat_id,
        language=who.language,
        now=svc.now(),
        max_failures_per_hour=svc.config.invites.max_failures_per_hour,
        catalog=catalog,
    )
    if isinstance(outcome, Refusal):
        log.info("invite refused: %s", outcome.value)
        await reply(update, context, catalog.t(who.language, f"onboarding.refused.{outcome}"))
        return
    await _welcome(update, context, outcome, who.chat_id)


async def _welcome(update: Update, context: Context, bound: Bound, chat_id: int) -> None:
    svc = context.svc
    person = bound.person
    language = person.language or svc.config.general.language
    catalog = svc.catalog
    log.info("account bound to person %d (%s)", person.id, person.role)
    days = svc.config.retention.days_after_isolation
    if person.is_student:
        parts: tuple[str, ...] = (
            catalog.t(language, "onboarding.intro.student"),
            catalog.t(language, "onboarding.privacy", days=days),
        )
    elif person.role == "guardian":
        children = await family.children_of(svc.db, person)
        parts = welcome_parts(catalog, language, children, days)
    else:
        # Staff read what they can do here and what they owe the students whose data they see.
        parts = (
            catalog.t(language, f"help.{person.role}"),
            catalog.t(language, "onboarding.privacy_staff", days=days),
        )
    text = "\n\n".join((catalog.t(language, "onboarding.welcome", name=person.name), *parts))
    await reply(update, context, text)
    await set_menu(context, chat_id, person.role, language)
    if person.role == "guardian":
        await consent.ask_pending(svc, person)


async def show_help(update: Update, context: Context) -> None:
    """Explain what this person can do here."""
    who = context.sender
    role = who.person.role if who.person is not None else "unbound"
    await reply(update, context, context.svc.catalog.t(who.language, f"help.{role}"))


async def choose_language(update: Update, context: Context) -> None:
    """Offer the languages as buttons."""
    who = context.sender
    screen = languages.choice_screen(context.svc.catalog, who.language)
    await context.bot.send_message(who.chat_id, screen.text, reply_markup=markup(screen.keyboard))


async def set_language(update: Update, context: Context) -> None:
    """Store the chosen language and redraw the menu in it."""
    query = update.callback_query
    who = context.sender
    if query is None:
        return
    svc = context.svc
    language = languages.chosen(query.data)
    if language is None:
        await query.answer(svc.catalog.t(who.language, "common.bad_button"), show_alert=True)
        return
    if who.person is None:
        await query.answer(svc.catalog.t(language, "language.need_binding"), show_alert=True)
        return
    async with svc.db.transaction() as tx:
        await people.set_language(tx, who.person.id, language, svc.now())
    await query.answer()
    await query.edit_message_text(svc.catalog.t(language, "language.set"))
    await set_menu(context, who.chat_id, who.person.role, language)
