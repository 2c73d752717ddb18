"""Alert card buttons (al:<alert_id>:ack|resolve|message|history|not_concern|call; the short
verbs of older cards still read), /called <student>, and the 处置情况 line asked for after
Resolved (rs:<alert_id>:skip)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest

from bot.alerts import actions, history, rules, screens
from bot.alerts.store import alerts as alert_store
from bot.contact import relay as contact
from bot.storage import people
from handlers.common import (
    Context,
    Press,
    Sender,
    bound_press,
    markup,
    reply,
    shown_keyboard,
    viewer_for,
)
from handlers.contact import prompt_staff

log = logging.getLogger(__name__)


async def press_card(update: Update, context: Context) -> None:
    """Take, resolve, answer or look into an alert, if the presser may act on it."""
    press = await bound_press(update, context)
    if press is None:
        return
    svc = context.svc
    query, who, language = press.query, press.who, press.who.language
    alert_id, verb = press.id_at(0), screens.read_verb(press.data.text(1))
    if len(press.data) != 2 or alert_id is None or verb is None:
        await query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
        return
    viewer = await viewer_for(svc, press.person)
    alert = await alert_store.alert_by_id(svc.db, alert_id)
    if alert is None or not await actions.may_act(svc, viewer, alert):
        log.info("person %d refused on alert %d", press.person.id, alert_id)
        await query.answer(svc.catalog.t(language, "common.not_allowed"), show_alert=True)
        return
    if verb == "not_concern" and alert.kind != "crisis":
        # Only a crisis card has the button: this press was forged or is from elsewhere.
        await query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
        return
    if verb == "call_guardian" and alert.kind not in rules.SETTLED_BY_CALL:
        # Only a missed or unreachable card has the button: this press was forged.
        await query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
        return
    if verb == "call_guardian":
        # "Called the guardian" logs the call as /called would, and that call handles the card.
        student = await people.person_by_id(svc.db, alert.student_id)
        assert student is not None
        await contact.log_call(svc, viewer, student)
    if verb in ("call", "call_guardian"):
        await _press_call(context, press, alert_id)
        return
    if verb in ("ack", "resolve", "not_concern"):
        act = {
            "ack": actions.acknowledge,
            "resolve": actions.resolve,
            "not_concern": actions.label_not_concern,
        }
        action = await act[verb](svc, alert_id, press.person)
        already = "alerts.toast.labelled" if verb == "not_concern" else "alerts.toast.already"
        key = f"alerts.toast.{screens.VERBS[verb]}" if action.done else already
        await query.answer(svc.catalog.t(language, key))
        try:
            await query.edit_message_text(
                action.text, reply_markup=markup(action.keyboard) if action.keyboard else None
            )
        except BadRequest:
            # The card already shows this state (a double tap): nothing to redraw.
            log.debug("card for alert %d unchanged", alert_id)
        if verb == "resolve" and action.done:
            await ask_resolution(context, who.chat_id, language, alert_id)
        return
    if verb == "message":
        student = await people.person_by_id(svc.db, alert.student_id)
        if student is not None and not student.is_student:
            # A colleague's card has no such button: this press was forged or is from elsewhere.
            await query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
            return
        if student is None or not await contact.open_for_staff(svc, viewer, student):
            await query.answer(svc.catalog.t(language, "contact.unreachable"), show_alert=True)
            return
        await query.answer()
        await prompt_staff(context, who.chat_id, language, student.name)
        return
    text = await history.history_text(svc, alert_id, viewer)
    await query.answer()
    if text is not None:
        await context.bot.send_message(who.chat_id, text)


async def log_call(update: Update, context: Context) -> None:
    """Record a phone call made outside the bot: /called <student number or name>."""
    who = context.sender
    svc = context.svc
    t = svc.catalog.t
    if who.person is None or not who.person.is_staff:
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
    offers = await actions.call_offers(svc, viewer, found[0])
    if not offers:
        await reply(update, context, text)
        return
    # One tap says this call was the handling of an alert, which stops its escalation.
    screen = screens.call_offer(svc.catalog, who.language, text, found[0].name, offers)
    await context.bot.send_message(who.chat_id, screen.text, reply_markup=markup(screen.keyboard))


async def _press_call(context: Context, press: Press, alert_id: int) -> None:
    """Record the presser's logged call as the handling of the alert."""
    svc = context.svc
    query, language = press.query, press.who.language
    outcome = await actions.handle_by_call(svc, alert_id, press.person)
    keys = {"gone": "alerts.toast.already", "no_call": "alerts.toast.no_call"}
    key = keys.get(outcome, f"alerts.toast.call_{outcome}")
    await query.answer(svc.catalog.t(language, key), show_alert=outcome == "no_call")
    if outcome == "no_call":
        return
    # The button did its work: the ones left are the other alerts the call may have handled.
    left = shown_keyboard(getattr(query.message, "reply_markup", None)).without(query.data or "")
    try:
        await query.edit_message_reply_markup(markup(left))
    except BadRequest:
        log.debug("call offer for alert %d unchanged", alert_id)
    if outcome == "resolved":
        await ask_resolution(context, press.who.chat_id, language, alert_id)


async def ask_resolution(context: Context, chat_id: int, language: str, alert_id: int) -> None:
    """Ask the staff member who resolved an alert for one line on what was done."""
    screen = screens.resolution_ask(context.svc.catalog, language, alert_id)
    await context.bot.send_message(chat_id, screen.text, reply_markup=markup(screen.keyboard))


async def press_resolution(update: Update, context: Context) -> None:
    """Skip the 处置情况 line."""
    press = await bound_press(update, context)
    if press is None:
        return
    svc = context.svc
    query, language = press.query, press.who.language
    if not press.person.is_staff:
        await query.answer(svc.catalog.t(language, "common.not_allowed"), show_alert=True)
        return
    alert_id = press.id_at(0)
    if len(press.data) != 2 or alert_id is None or press.data.text(1) != "skip":
        await query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
        return
    await actions.skip_resolution(svc, press.person, alert_id)
    await query.answer(svc.catalog.t(language, "alerts.resolution.skipped"))
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest:
        log.debug("resolution question already without its button")


async def handle_resolution(update: Update, context: Context, who: Sender) -> bool:
    """Take a staff member's text as the 处置情况 line of the alert they just resolved."""
    message = update.effective_message
    if message is None or not message.text or who.person is None or not who.person.is_staff:
        return False
    svc = context.svc
    alert_id = await actions.resolution_waiting(svc, who.person)
    if alert_id is None:
        return False
    saved = await actions.record_resolution(svc, who.person, alert_id, message.text)
    key = "alerts.resolution.saved" if saved else "alerts.resolution.too_long"
    await reply(update, context, svc.catalog.t(who.language, key, limit=actions.RESOLUTION_LIMIT))
    return True
