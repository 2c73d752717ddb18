"""/today for staff, and its td:<round_id>:remind button."""

from __future__ import annotations

from telegram import Update

from bot.reports import today
from handlers.common import Context, bound_press, markup, staff_viewer, viewer_for


async def show_today(update: Update, context: Context) -> None:
    """Show the sender's classes or schools today, with a remind button while a round is open."""
    found = await staff_viewer(update, context)
    if found is None:
        return
    who, viewer = found
    svc = context.svc
    view = await today.view_today(svc, viewer, who.language)
    if view is None:
        await context.bot.send_message(
            who.chat_id, svc.catalog.t(who.language, "common.not_allowed")
        )
        return
    screen = today.today_screen(svc.catalog, who.language, view)
    await context.bot.send_message(who.chat_id, screen.text, reply_markup=markup(screen.keyboard))


async def press_remind(update: Update, context: Context) -> None:
    """Remind the presser's students who have not finished the round, once per round."""
    press = await bound_press(update, context)
    if press is None:
        return
    svc = context.svc
    language = press.who.language
    round_id = press.id_at(0)
    if len(press.data) != 2 or round_id is None or press.data.text(1) != "remind":
        await press.query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
        return
    if not press.person.is_staff:
        await press.query.answer(svc.catalog.t(language, "common.not_allowed"), show_alert=True)
        return
    viewer = await viewer_for(svc, press.person)
    done = await today.remind_unanswered(svc, viewer, round_id)
    if done is None:
        await press.query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
        return
    if done.outcome != "sent":
        key = f"today.remind.{done.outcome}"
    elif not done.queued:
        key = "today.remind.already"
    elif done.already:
        key = "today.remind.sent_some"
    else:
        key = "today.remind.sent"
    text = svc.catalog.t(language, key, count=done.queued, already=done.already)
    await press.query.answer(text, show_alert=True)
