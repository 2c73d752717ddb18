"""Plain text: screened for crisis language first, then handed to whichever flow awaits it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.checkins import typed_text as checkin_text
from bot.safeguarding import student_text
from handlers import alerts as alert_cards
from handlers import checkin, contact, notices
from handlers.common import Context, Sender, bound_sender, reply

Flow = Callable[[Update, Context, Sender], Awaitable[bool]]


async def route_text(update: Update, context: Context) -> None:
    """Send a typed message to the check-in, a conversation, or explain what to do."""
    message = update.effective_message
    if message is None or not message.text:
        return
    bound = await bound_sender(update, context, throttled=True)
    if bound is None:
        return
    who, person = bound
    svc = context.svc
    screened = None
    if person.is_student:
        # Screened before anything else so a cry for help is answered whichever flow it was
        # typed into; the flows below still store the text as the answer it was meant to be.
        screened = await student_text.screen_student_text(
            svc,
            person,
            message.text,
            f"text:{message.message_id}",
            forwarded=message.forward_origin is not None,
        )
    elif person.is_staff and await checkin_text.waiting_for(svc, person, svc.now()) == "note":
        # An isolated colleague's note is their own words to the school doctor; their work
        # messages (to students, about students) are not screened as theirs.
        screened = await student_text.screen_staff_note(
            svc, person, message.text, f"text:{message.message_id}"
        )
    urgent = screened is not None and screened.tier == "urgent"
    for flow in await _flows(update, context, who, crisis=urgent):
        if await flow(update, context, who):
            return
    if screened is None or not screened.answered:
        text = await checkin.button_hint(update, context, who)
        if text is None:
            hint = "text.hint_staff" if person.is_staff else f"text.hint_{person.role}"
            text = svc.catalog.t(who.language, hint)
        await reply(update, context, text)


async def _flows(update: Update, context: Context, who: Sender, *, crisis: bool) -> list[Flow]:
    """The flows that may take this text, in order."""
    message = update.effective_message
    assert message is not None
    if await contact.replies_to_relayed(update, context, who):
        # A swipe-reply to a relayed message answers that person, even mid check-in.
        return [contact.handle_text]
    # A staff member who just resolved an alert is asked for one line on what was done: their
    # next text is that line, ahead of a notice or a conversation begun before the question
    # (one begun after it takes the text instead).
    flows: list[Flow] = [
        alert_cards.handle_resolution,
        checkin.handle_text,
        notices.handle_text,
        contact.handle_text,
    ]
    if message.forward_origin is not None:
        # Someone else's words are never the student's temperature or note.
        flows.remove(checkin.handle_text)
    elif crisis and await checkin.waiting_for(update, context, who) != "note":
        # The hotlines are the answer: not "that is not a temperature" ahead of them.
        flows.remove(checkin.handle_text)
    return flows
