"""Photos, files, stickers and voice messages: to a notice draft, a conversation, or a hint
that says what the bot can take."""

from __future__ import annotations

from telegram import Update

from bot.safeguarding import student_text
from handlers import checkin, contact, notices, returns
from handlers.common import Context, bound_sender, reply


async def route_media(update: Update, context: Context) -> None:
    """Send a non-text message to the flow that takes it, or explain what to do instead."""
    message = update.effective_message
    if message is None:
        return
    bound = await bound_sender(update, context, throttled=True)
    if bound is None:
        return
    who, person = bound
    svc = context.svc
    screened = None
    if person.is_student and message.caption:
        # A caption is student text like any other and is screened first.
        screened = await student_text.screen_student_text(
            svc,
            person,
            message.caption,
            f"media:{message.message_id}",
            forwarded=message.forward_origin is not None,
        )
    if await notices.handle_media(update, context, who):
        return
    # A photo while a return declaration is open is the test result it asks for.
    if await returns.handle_photo(update, context, who):
        return
    if await contact.handle_media(update, context, who):
        return
    if screened is not None and screened.answered:
        # The hotlines (or the offer to talk) are the answer, as they are to typed text.
        return
    if await checkin.waiting_for(update, context, who) == "temperature":
        # A photo of the thermometer, most likely: the check-in needs the number typed.
        await reply(update, context, svc.catalog.t(who.language, "checkin.type_the_number"))
        return
    if person.role == "guardian":
        key = "text.hint_guardian"
    elif message.photo:
        key = "contact.photo_hint" if person.is_student else "contact.photo_hint_staff"
    else:
        key = "text.hint_student" if person.is_student else "text.hint_staff"
    await reply(update, context, svc.catalog.t(who.language, key))
