"""/checkin, the check-in buttons (ci:<id>:<verb>[:arg…]) and typed temperatures and notes."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest

from bot.checkins import flow, typed_text
from bot.checkins.flow import Reply
from bot.checkins.screens import AREA
from bot.core.ids import is_id
from bot.core.keyboard import parse
from bot.isolation import store as isolation_store
from handlers.common import Context, Sender, bound_sender, markup, reply

log = logging.getLogger(__name__)
ANSWERING_ROLES = ("student", "guardian")


async def _send(context: Context, chat_id: int, answer: Reply) -> None:
    if answer.screen is None:
        return
    message = await context.bot.send_message(
        chat_id, answer.screen.text, reply_markup=markup(answer.screen.keyboard)
    )
    if answer.checkin_id is not None:
        await flow.remember_message(context.svc, answer.checkin_id, message.message_id)


async def _checks_in(context: Context, who: Sender | None) -> bool:
    """Students check in; so does a staff member while isolated (师生隔离)."""
    if who is None or who.person is None:
        return False
    if who.person.is_student or who.person.role == "guardian":
        # A guardian answers for their children (家长代答).
        return True
    return await isolation_store.open_isolation(context.svc.db, who.person.id) is not None


async def start_checkin(update: Update, context: Context) -> None:
    """Resume the open check-in at its current step, or start it."""
    bound = await bound_sender(update, context)
    if bound is None:
        return
    who, person = bound
    svc = context.svc
    if person.role == "guardian":
        answers = await flow.resume_for_children(svc, person, who.language, svc.now())
        if not answers:
            await reply(update, context, svc.catalog.t(who.language, "checkin.no_child_isolated"))
        for answer in answers:
            await _send(context, who.chat_id, answer)
        return
    if not await _checks_in(context, who):
        await reply(update, context, svc.catalog.t(who.language, "checkin.students_only"))
        return
    answer = await flow.resume(svc, person, who.language, svc.now())
    await _send(context, who.chat_id, answer)


async def answer_button(update: Update, context: Context) -> None:
    """Store one check-in answer and show the next step in the same message."""
    query = update.callback_query
    if query is None:
        return
    who = context.sender
    svc = context.svc
    read = parse(query.data, AREA)
    language = who.language
    checkin_id = read.text(0) if read is not None else None
    verb = read.text(1) if read is not None else None
    if (
        not await _checks_in(context, who)
        or read is None
        or checkin_id is None
        or verb is None
        or not is_id(checkin_id)
    ):
        await query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
        return
    assert who.person is not None
    message = query.message
    message_id = message.message_id if message is not None else None
    args = list(read.parts[2:])
    answer = await flow.press(
        svc, who.person, language, int(checkin_id), verb, args, message_id, svc.now()
    )
    await query.answer(answer.toast, show_alert=answer.alert)
    if answer.screen is None:
        return
    if answer.new_message or message is None:
        await _send(context, who.chat_id, answer)
        return
    try:
        await query.edit_message_text(
            answer.screen.text, reply_markup=markup(answer.screen.keyboard)
        )
    except BadRequest as exc:
        # A double tap re-renders the same screen; Telegram refuses an edit that changes nothing.
        if "not modified" not in exc.message.lower():
            raise


async def waiting_for(update: Update, context: Context, who: Sender) -> str | None:
    """What the student's open check-in waits for them to type, if anything."""
    if not await _checks_in(context, who):
        return None
    assert who.person is not None
    svc = context.svc
    return await typed_text.waiting_for(svc, who.person, svc.now())


async def button_hint(update: Update, context: Context, who: Sender) -> str | None:
    """ "Tap one of the buttons above", if the student's check-in waits for a tap."""
    if not await _checks_in(context, who):
        return None
    assert who.person is not None
    svc = context.svc
    return await typed_text.button_hint(svc, who.person, who.language, svc.now())


async def handle_text(update: Update, context: Context, who: Sender) -> bool:
    """Take typed text if the student's open check-in waits for a temperature or a note."""
    message = update.effective_message
    if message is None or not message.text or not await _checks_in(context, who):
        return False
    assert who.person is not None
    svc = context.svc
    answer = await typed_text.typed(svc, who.person, who.language, message.text, svc.now())
    if answer is None:
        return False
    await _send(context, who.chat_id, answer)
    return True
