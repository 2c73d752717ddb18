"""Alert card buttons (al:<alert_id>:ack|done|msg|hist|nc|call), /called <student>, and the
处置情况 line asked for after Resolved (rs:<alert_id>:skip)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot import alerts
from bot.alerts import store as alert_store
from bot.contact import relay as contact
from bot.storage import people
from handlers.common import (
    Context,
    Press,
    Sender,
    bound_press,
    reply,
    viewer_for,
)
from handlers.contact import prompt_staff

log = logging.getLogger(__name__)

VERBS = ("ack", "done", "msg", "hist", "nc", "call")


def _markup(markup: alerts.Markup | None) -> InlineKeyboardMarkup | None:
    if not markup:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
            for row in markup["inline_keyboard"]
        ]
    )


async def press_card(update: Update, context: Context) -> None:
    """Take, resolve, answer or look into an alert, if the presser may act on it."""
    press = await bound_press(update, context)
    if press is None:
        return
    svc = context.svc
    query, who, language = press.query, press.who, press.who.language
    alert_id, verb = press.id_at(0), press.data.text(1)
    if len(press.data) != 2 or alert_id is None or verb not in VERBS:
        await query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
        return
    viewer = await viewer_for(svc, press.person)
    alert = await alert_store.alert_by_id(svc.db, alert_id)
    if alert is None or not await alerts.may_act(svc, viewer, alert):
        log.info("person %d refused on alert %d", press.person.id, alert_id)
        await query.answer(svc.catalog.t(language, "common.not_allowed"), show_alert=True)
        return
    if verb == "nc" and alert.kind != "crisis":
        # Only a crisis card has the button: this press was forged or is from elsewhere.
        await query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
        return
    if verb == "call":
        await _press_call(context, press, alert_id)
        return
    if verb in ("ack", "done", "nc"):
        act = {"ack": alerts.acknowledge, "done": alerts.resolve, "nc": alerts.label_not_concern}
        action = await act[verb](svc, alert_id, press.person)
        already = "alerts.toast.labelled" if verb == "nc" else "alerts.toast.already"
        key = f"alerts.toast.{verb}" if action.done else already
        await query.answer(svc.catalog.t(language, key))
        try:
            await query.edit_message_text(action.text, reply_markup=_markup(action.markup))
        except BadRequest:
            # The card already shows this state (a double tap): nothing to redraw.
            log.debug("card for alert %d unchanged", alert_id)
        if verb == "done" and action.done:
            await ask_resolution(context, who.chat_id, language, alert_id)
        return
    if verb == "msg":
        student = await people.person_by_id(svc.db, alert.student_id)
        if student is None or not await contact.open_for_staff(svc, viewer, student):
            await query.answer(svc.catalog.t(language, "contact.unreachable"), show_alert=True)
            return
        await query.answer()
        await prompt_staff(context, who.chat_id, language, student.name)
        return
    text = await alerts.history_text(svc, alert_id, viewer)
    await query.answer()
    if text is not None:
        await context.bot.send_message(who.chat_id, text)


async def log_call(update: Update, context: Context) -> None:
    """Record a phone call made outside the bot: /called <student number or name>."""
    who = context.sender
    svc = context.svc
    t = svc.catalog.t
    if who.person is None or who.person.is_student:
        await reply(update, context, t(who.language, "common.not_allowed"))
        return
    query = " ".join(context.args or []).strip()
    if not query:
        await reply(update, context, t(who.language, "contact.called.usage"))
        return
    viewer = await viewer_for(svc, who.person)
    found = await contact.find_student(svc, viewer, query)
    if len(found) != 1:
        key = "contact.called.not_found" if not found else "contact.called.ambiguous"
        await reply(update, context, t(who.language, key, query=query))
        return
    await contact.log_call(svc, viewer, found[0])
    text = t(who.language, "contact.called.logged", name=found[0].name)
    offers = await alerts.call_offers(svc, viewer, found[0])
    if not offers:
        await reply(update, context, text)
        return
    # One tap says this call was the handling of an alert, which stops its escalation.
    buttons = [
        [
            InlineKeyboardButton(
                t(
                    who.language,
                    "alerts.button.call",
                    kind=t(who.language, f"alerts.kind.{a.kind}"),
                ),
                callback_data=f"al:{a.id}:call",
            )
        ]
        for a in offers
    ]
    offer = t(who.language, "alerts.call.offer", name=found[0].name)
    await context.bot.send_message(
        who.chat_id, f"{text}\n{offer}", reply_markup=InlineKeyboardMarkup(buttons)
    )


async def _press_call(context: Context, press: Press, alert_id: int) -> None:
    """Record the presser's logged call as the handling of the alert."""
    svc = context.svc
    query, language = press.query, press.who.language
    outcome = await alerts.handle_by_call(svc, alert_id, press.person)
    keys = {"gone": "alerts.toast.already", "no_call": "alerts.toast.no_call"}
    key = keys.get(outcome, f"alerts.toast.call_{outcome}")
    await query.answer(svc.catalog.t(language, key), show_alert=outcome == "no_call")
    if outcome == "no_call":
        return
    # The button did its work: the ones left are the other alerts the call may have handled.
    message = query.message
    markup = getattr(message, "reply_markup", None)
    rows = [
        [b for b in row if b.callback_data != query.data]
        for row in (markup.inline_keyboard if markup else ())
    ]
    try:
        await query.edit_message_reply_markup(InlineKeyboardMarkup([r for r in rows if r]))
    except BadRequest:
        log.debug("call offer for alert %d unchanged", alert_id)
    if outcome == "resolved":
        await ask_resolution(context, press.who.chat_id, language, alert_id)


async def ask_resolution(context: Context, chat_id: int, language: str, alert_id: int) -> None:
    """Ask the staff member who resolved an alert for one line on what was done."""
    catalog = context.svc.catalog
    skip = InlineKeyboardButton(
        catalog.t(language, "alerts.button.skip"), callback_data=f"rs:{alert_id}:skip"
    )
    await context.bot.send_message(
        chat_id,
        catalog.t(language, "alerts.resolution.ask"),
        reply_markup=InlineKeyboardMarkup([[skip]]),
    )


async def press_resolution(update: Update, context: Context) -> None:
    """Skip the 处置情况 line."""
    press = await bound_press(update, context)
    if press is None:
        return
    svc = context.svc
    query, language = press.query, press.who.language
    if press.person.is_student:
        await query.answer(svc.catalog.t(language, "common.not_allowed"), show_alert=True)
        return
    alert_id = press.id_at(0)
    if len(press.data) != 2 or alert_id is None or press.data.text(1) != "skip":
        await query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
        return
    await alerts.skip_resolution(svc, press.person, alert_id)
    await query.answer(svc.catalog.t(language, "alerts.resolution.skipped"))
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest:
        log.debug("resolution question already without its button")


async def handle_resolution(update: Update, context: Context, who: Sender) -> bool:
    """Take a staff member's text as the 处置情况 line of the alert they just resolved."""
    message = update.effective_message
    if message is None or not message.text or who.person is None or who.person.is_student:
        return False
    svc = context.svc
    alert_id = await alerts.resolution_waiting(svc, who.person)
    if alert_id is None:
        return False
    saved = await alerts.record_resolution(svc, who.person, alert_id, message.text)
    key = "alerts.resolution.saved" if saved else "alerts.resolution.too_long"
    await reply(update, context, svc.catalog.t(who.language, key, limit=alerts.RESOLUTION_LIMIT))
    return True
