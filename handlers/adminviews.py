"""/stats and /audit [student number or name | staff number] for school and bureau admins."""

from __future__ import annotations

from telegram import Update
from telegram.error import BadRequest

from bot.reports import adminviews
from handlers.common import Context, bound_press, markup, reply, staff_viewer, viewer_for

# Far past any real audit trail; keeps a forged page number's offset within SQLite's integers.
MAX_PAGE = 100_000


async def show_stats(update: Update, context: Context) -> None:
    """Send the admin's scope in figures: isolated now, rounds, alerts and delivery lately."""
    found = await staff_viewer(update, context, roles=("admin",))
    if found is None:
        return
    who, viewer = found
    await reply(update, context, await adminviews.stats_text(context.svc, viewer, who.language))


async def show_audit(update: Update, context: Context) -> None:
    """Send the newest audit entries of the admin's scope, of one student, or of one staff."""
    found = await staff_viewer(update, context, roles=("admin",))
    if found is None:
        return
    who, viewer = found
    query = " ".join(context.args or []).strip()
    page = await adminviews.audit_text(context.svc, viewer, who.language, query)
    keyboard = adminviews.audit_keyboard(context.svc.catalog, who.language, page)
    await context.bot.send_message(who.chat_id, page.text, reply_markup=markup(keyboard))


async def page_audit(update: Update, context: Context) -> None:
    """Show the newer or older page an au:<page>[:s|p:<id>] button names, in place."""
    press = await bound_press(update, context)
    if press is None:
        return
    svc = context.svc
    t = svc.catalog.t
    query, person, data, language = press.query, press.person, press.data, press.who.language
    if person.role != "admin":
        await query.answer(t(language, "common.not_allowed"), show_alert=True)
        return
    page_number = press.id_at(0)
    if len(data) not in (1, 3) or page_number is None or page_number > MAX_PAGE:
        await query.answer(t(language, "common.bad_button"), show_alert=True)
        return
    viewer = await viewer_for(svc, person)
    page = await adminviews.audit_page(svc, viewer, language, data.parts[1:], page_number)
    if page is None:
        await query.answer(t(language, "common.not_allowed"), show_alert=True)
        return
    await query.answer()
    keyboard = adminviews.audit_keyboard(svc.catalog, language, page)
    try:
        await query.edit_message_text(page.text, reply_markup=markup(keyboard))
    except BadRequest as error:
        # Pressing the same page twice leaves the message as it is.
        if "not modified" not in str(error):
            raise
