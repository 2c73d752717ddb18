"""/student <name or number> (with sv:<student_id> buttons when several match) and
/ledger [date | from to] for class teachers, doctors, counselors and admins."""

from __future__ import annotations

import logging
from datetime import date

from telegram import InputFile, Update

from bot.core.access import Viewer, may_see_screen_scores, reads_notes
from bot.core.clock import from_epoch
from bot.reports import ledger
from bot.reports import student as studentview
from bot.reports.ledger import RangeError
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


async def show_student(update: Update, context: Context) -> None:
    """Show one student's isolation so far, or let the sender choose among several matches."""
    found = await staff_viewer(update, context)
    if found is None:
        return
    who, viewer = found
    svc = context.svc
    t = svc.catalog.t
    query = " ".join(context.args or []).strip()
    if not query:
        await reply(update, context, t(who.language, "staffviews.student.usage"))
        return
    lookup = await studentview.find_students(svc, viewer, query)
    if not lookup.matches:
        # Outside the scope and unknown read the same, so nobody learns who exists elsewhere.
        await reply(update, context, t(who.language, "common.no_student", query=query))
        return
    if len(lookup.matches) > 1:
        screen = studentview.choices(svc.catalog, who.language, query, lookup.matches)
        await context.bot.send_message(
            who.chat_id, screen.text, reply_markup=markup(screen.keyboard)
        )
        return
    await _send_view(context, who, viewer, lookup.matches[0].student.id)


async def choose_student(update: Update, context: Context) -> None:
    """Show the student a sv:<student_id> button names, if the presser may see them."""
    press = await bound_press(update, context)
    if press is None:
        return
    svc = context.svc
    t = svc.catalog.t
    query, who, language = press.query, press.who, press.who.language
    student_id = press.id_at(0)
    if len(press.data) != 1 or student_id is None or not press.person.is_staff:
        await query.answer(t(language, "common.bad_button"), show_alert=True)
        return
    viewer = await viewer_for(svc, press.person)
    if not await _send_view(context, who, viewer, student_id, query_answered=False):
        await query.answer(t(language, "staffviews.student.not_allowed"), show_alert=True)
        return
    await query.answer()


async def _send_view(
    context: Context, who: Sender, viewer: Viewer, student_id: int, *, query_answered: bool = True
) -> bool:
    svc = context.svc
    view = await studentview.student_view(svc, viewer, student_id, who.language)
    if view is None:
        if query_answered:
            text = svc.catalog.t(who.language, "staffviews.student.not_allowed")
            await context.bot.send_message(who.chat_id, text)
        return False
    screen = studentview.view_screen(svc.catalog, who.language, view)
    await context.bot.send_message(who.chat_id, screen.text, reply_markup=markup(screen.keyboard))
    if view.chart is not None:
        await context.bot.send_photo(
            who.chat_id, InputFile(view.chart, filename="chart.png"), caption=view.caption
        )
    return True


async def export_ledger(update: Update, context: Context) -> None:
    """Send the ledger of the sender's scope for today, a day, or a period, as an XLSX file."""
    found = await staff_viewer(update, context)
    if found is None:
        return
    who, viewer = found
    svc = context.svc
    t = svc.catalog.t
    scope = ledger.scope_for(viewer)
    if scope is None:
        await reply(update, context, t(who.language, "staffviews.ledger.not_allowed"))
        return
    today = from_epoch(svc.now()).astimezone(svc.tz).date()
    try:
        date_from, date_to = ledger.parse_range(list(context.args or []), today)
    except RangeError as error:
        await reply(update, context, t(who.language, error.key))
        return
    if date_to == date.max:
        # The export runs to the midnight after the last day, which no date can hold.
        await reply(update, context, t(who.language, "staffviews.ledger.bad_date"))
        return
    try:
        request = ledger.Request(
            scope=scope,
            date_from=date_from,
            date_to=date_to,
            language=who.language,
            counselor=may_see_screen_scores(viewer),
            note_text=reads_notes(viewer),
            actor_id=viewer.person.id,
            now=svc.now(),
            staff=viewer.role in ("doctor", "admin"),
            staff_notes=viewer.role == "doctor",
        )
        export = await ledger.export_ledger(
            svc.db, svc.catalog, svc.config, request, max_rows=ledger.MAX_ROWS_BOT
        )
    except ledger.TooLarge as large:
        text = t(
            who.language,
            "staffviews.ledger.too_large",
            rows=large.rows,
            limit=large.limit,
            days=large.days_that_fit,
        )
        await reply(update, context, text)
        return
    totals = export.totals
    log.info("ledger export: %d rows for %d students", totals.rows, totals.students)
    span = date_from.isoformat() if date_from == date_to else f"{date_from} – {date_to}"
    caption = t(
        who.language,
        "staffviews.ledger.caption",
        span=span,
        students=t(who.language, "staffviews.ledger.students", count=totals.students),
        rows=t(who.language, "staffviews.ledger.rows", count=totals.rows),
        abnormal=totals.abnormal,
    )
    await context.bot.send_document(
        who.chat_id, InputFile(export.content, filename=export.filename), caption=caption
    )
