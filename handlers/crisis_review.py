"""/missed: staff record a student message the crisis screen missed, by pasting it after the
command or replying to it; then label it with a button (cm:<example_id>:<label>)."""

from __future__ import annotations

import logging

from telegram import Message, Update

from bot.contact import relay as contact
from bot.safeguarding import review as crisis_review
from bot.safeguarding import store as review_store
from handlers.common import Context, bound_press, markup, reply, staff_viewer

log = logging.getLogger(__name__)


def _words_after_command(message: Message) -> str:
    """What follows /missed, line breaks kept (context.args would lose them)."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def report_missed(update: Update, context: Context) -> None:
    """Record the pasted text, or the message replied to, as one the screen missed."""
    found = await staff_viewer(update, context)
    message = update.effective_message
    if found is None or message is None:
        return
    who, viewer = found
    svc = context.svc
    t = svc.catalog.t
    text = _words_after_command(message)
    student_id = None
    replied = message.reply_to_message
    if not text and replied is not None:
        relayed = await contact.relayed_student_text(
            svc, viewer.person, who.chat_id, replied.message_id
        )
        if relayed is not None:
            student_id, text = relayed
        elif replied.from_user is not None and replied.from_user.id == who.telegram_user_id:
            # Their own message: the student's words pasted or forwarded into this chat.
            text = (replied.text or replied.caption or "").strip()
    if not text:
        await reply(update, context, t(who.language, "crisis_review.missed.usage"))
        return
    example_id = await crisis_review.record_missed(svc, viewer, text, student_id)
    screen = crisis_review.label_screen(svc.catalog, who.language, example_id)
    await context.bot.send_message(who.chat_id, screen.text, reply_markup=markup(screen.keyboard))


async def press_label(update: Update, context: Context) -> None:
    """Store the label the reporter chose for their missed message."""
    press = await bound_press(update, context)
    if press is None:
        return
    svc = context.svc
    t = svc.catalog.t
    query, language = press.query, press.who.language
    example_id, label_key = press.id_at(0), press.data.text(1)
    if len(press.data) != 2 or example_id is None or label_key not in crisis_review.LABELS:
        await query.answer(t(language, "common.bad_button"), show_alert=True)
        return
    if not press.person.is_staff:
        await query.answer(t(language, "common.not_allowed"), show_alert=True)
        return
    example = await review_store.example_by_id(svc.db, example_id)
    if example is None:
        await query.answer(t(language, "crisis_review.missed.gone"), show_alert=True)
        return
    if example.labelled_by != press.person.id:
        log.info("person %d refused on review example %d", press.person.id, example.id)
        await query.answer(t(language, "common.not_allowed"), show_alert=True)
        return
    await crisis_review.label_missed(svc, press.person, example.id, label_key)
    await query.answer()
    label = crisis_review.label_text(svc.catalog, language, label_key)
    await query.edit_message_text(t(language, "crisis_review.missed.thanks", label=label))
