"""/talk, the contact buttons (ct:teacher|counselor|end, ct:msg:<student_id>), relayed texts and
photos between students and staff, and /contacts: who has not been contacted today."""

from __future__ import annotations

import logging

from telegram import Message, Update

from bot.contact import relay as contact
from bot.contact import screens
from bot.safeguarding import student_text
from bot.storage import people
from handlers.common import (
    Context,
    Sender,
    bound_press,
    markup,
    reply,
    staff_viewer,
    viewer_for,
)

log = logging.getLogger(__name__)


async def offer_talk(update: Update, context: Context) -> None:
    """Offer a student the two people they can write to."""
    who = context.sender
    svc = context.svc
    t = svc.catalog.t
    if who.person is None or not who.person.is_student:
        await reply(update, context, t(who.language, "contact.students_only"))
        return
    screen = screens.talk_offer(svc.catalog, who.language)
    await context.bot.send_message(who.chat_id, screen.text, reply_markup=markup(screen.keyboard))


async def press_contact(update: Update, context: Context) -> None:
    """Open or end a conversation from a button."""
    press = await bound_press(update, context)
    if press is None:
        return
    svc = context.svc
    t = svc.catalog.t
    query, who, person, parts = press.query, press.who, press.person, press.data.parts
    language = who.language
    if parts == ("end",):
        await contact.close(svc, person)
        await query.answer()
        await context.bot.send_message(who.chat_id, t(language, "contact.ended"))
        return
    if len(parts) == 1 and parts[0] in contact.TARGETS and person.is_student:
        peers = await contact.open_for_student(svc, person, parts[0])
        await query.answer()
        if not peers:
            text = t(
                language,
                f"contact.nobody.{parts[0]}",
                hotlines=student_text.hotlines(svc, language),
            )
            await context.bot.send_message(who.chat_id, text)
            return
        screen = screens.student_prompt(svc.catalog, language, parts[0], peers)
        await context.bot.send_message(
            who.chat_id, screen.text, reply_markup=markup(screen.keyboard)
        )
        return
    student_id = press.id_at(1)
    if len(parts) == 2 and parts[0] == "msg" and student_id is not None and person.is_staff:
        student = await people.person_by_id(svc.db, student_id)
        viewer = await viewer_for(svc, person)
        if student is None or not await contact.open_for_staff(svc, viewer, student):
            await query.answer(t(language, "common.not_allowed"), show_alert=True)
            return
        await query.answer()
        await prompt_staff(context, who.chat_id, language, student.name)
        return
    await query.answer(t(language, "common.bad_button"), show_alert=True)


async def prompt_staff(context: Context, chat_id: int, language: str, name: str) -> None:
    """Tell a staff member their next messages go to the student."""
    screen = screens.staff_prompt(context.svc.catalog, language, name)
    await context.bot.send_message(chat_id, screen.text, reply_markup=markup(screen.keyboard))


async def handle_text(update: Update, context: Context, who: Sender) -> bool:
    """Relay a text that belongs to a conversation; False if it does not belong to one."""
    message = update.effective_message
    if message is None or who.person is None or not message.text:
        return False
    return await _relay(update, context, who, message, message.text, None)


async def replies_to_relayed(update: Update, context: Context, who: Sender) -> bool:
    """Whether the message is a reply to a message relayed to this person."""
    message = update.effective_message
    if message is None or message.reply_to_message is None or who.person is None:
        return False
    reply_to = message.reply_to_message.message_id
    return await contact.is_relayed_to(context.svc, who.person, who.chat_id, reply_to)


async def handle_media(update: Update, context: Context, who: Sender) -> bool:
    """Relay a photo, voice note, sticker, file or video (with its caption) that belongs to a
    conversation; False if it does not belong to one."""
    message = update.effective_message
    if message is None or who.person is None:
        return False
    caption = message.caption or ""
    if message.photo:
        photo = message.photo[-1].file_id
        return await _relay(update, context, who, message, caption, photo)
    kind = next((k for k in contact.COPIED if getattr(message, k, None)), None)
    if kind is None:
        return False
    return await _relay(update, context, who, message, caption, None, kind=kind)


async def _relay(
    update: Update,
    context: Context,
    who: Sender,
    message: Message,
    text: str,
    photo: str | None,
    *,
    kind: str = "text",
) -> bool:
    assert who.person is not None
    svc = context.svc
    t = svc.catalog.t
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    outgoing = contact.Message(who.chat_id, message.message_id, text=text, photo=photo, kind=kind)
    route = await contact.route_for(svc, who.person, outgoing, reply_to)
    if route is None:
        return False
    if isinstance(route, contact.Stale):
        side = "student" if who.person.is_student else "staff"
        days = svc.config.contact.reply_route_days
        text = svc.catalog.t(who.language, f"contact.stale.{route}_{side}", days=days)
        await reply(update, context, text)
        return True
    sent = await contact.relay(svc, who.person, route, outgoing)
    if sent:
        names = t(who.language, "contact.list_separator").join(p.name for p in sent)
        text = t(who.language, "contact.relayed", names=names)
    else:
        text = t(who.language, "contact.unreachable")
    await reply(update, context, text)
    return True


async def write_to_student(update: Update, context: Context) -> None:
    """Send a student of the sender's scope a message: /msg <number or name> [text]; without a
    text, the sender's next messages go to the student."""
    found = await staff_viewer(update, context)
    message = update.effective_message
    if found is None or message is None:
        return
    who, viewer = found
    svc = context.svc
    t = svc.catalog.t
    # Split the raw text, not context.args, so the message keeps its line breaks.
    parts = (message.text or "").split(None, 2)
    if len(parts) < 2:
        await reply(update, context, t(who.language, "contact.msg.usage"))
        return
    query, text = parts[1], parts[2].strip() if len(parts) == 3 else ""
    students = await contact.find_student(svc, viewer, query)
    if len(students) != 1:
        # Out of scope and unknown read the same: the reply must not confirm who exists.
        key = "contact.msg.not_found" if not students else "contact.called.ambiguous"
        await reply(update, context, t(who.language, key, query=query))
        return
    student = students[0]
    if student.chat_id is None:
        await reply(update, context, t(who.language, "contact.msg.not_linked", name=student.name))
        return
    if not text:
        if await contact.open_for_staff(svc, viewer, student):
            await prompt_staff(context, who.chat_id, who.language, student.name)
        return
    outgoing = contact.Message(who.chat_id, message.message_id, text=text)
    sent = await contact.write_to_student(svc, viewer, student, outgoing)
    if sent:
        names = t(who.language, "contact.list_separator").join(p.name for p in sent)
        await reply(update, context, t(who.language, "contact.relayed", names=names))
    else:
        await reply(update, context, t(who.language, "contact.unreachable"))


async def show_not_contacted(update: Update, context: Context) -> None:
    """List the isolated students of the teacher's classes nobody has contacted today."""
    who = context.sender
    svc = context.svc
    t = svc.catalog.t
    if who.person is None or who.person.role != "teacher":
        await reply(update, context, t(who.language, "contact.teachers_only"))
        return
    viewer = await viewer_for(svc, who.person)
    students = await contact.not_contacted_today(svc, viewer)
    if not students:
        await reply(update, context, t(who.language, "contact.all_contacted"))
        return
    screen = screens.not_contacted(svc.catalog, who.language, students)
    await context.bot.send_message(who.chat_id, screen.text, reply_markup=markup(screen.keyboard))
