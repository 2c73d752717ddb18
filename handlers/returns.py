"""/return (a school admin opens a return), /readiness (the doctor's list, the bureau's table;
/readiness xlsx the report as a spreadsheet),
the declaration buttons (rt:<return>:<question>:y|n, rt:<return>:ok), the doctor's decisions
(rd:<return>:<person>:c|h, rd:<return>:all) and a test result photo."""

from __future__ import annotations

from datetime import date

from telegram import CallbackQuery, InputFile, Update
from telegram.error import BadRequest

from bot.checkins.schedule import local_date
from bot.core.keyboard import Screen, parse
from bot.returns import declaration, opening, readiness, report, store
from handlers.common import (
    Context,
    Sender,
    bound_press,
    markup,
    reply,
    staff_viewer,
    viewer_for,
)

# What a teacher types for "those whose planned end has come".
ENDING = ("到期", "ending")


async def open_return(update: Update, context: Context) -> None:
    """Open a return for the school (a class, or those due) on a date; declarations go out."""
    found = await staff_viewer(update, context, roles=("admin",))
    if found is None:
        return
    who, viewer = found
    svc = context.svc
    t = svc.catalog.t
    school_id = viewer.person.school_id
    if school_id is None:
        # The bureau opens returns for several schools with `classcare return open`.
        await reply(update, context, t(who.language, "returns.not_allowed"))
        return
    args = list(context.args or [])
    if not args or len(args) > 2:
        await reply(update, context, t(who.language, "returns.usage"))
        return
    today = date.fromisoformat(local_date(svc.now(), svc.tz))
    day = opening.parse_return_date(args[0], today)
    if day is None:
        await reply(update, context, t(who.language, "returns.bad_date"))
        return
    class_id = None
    ending = len(args) == 2 and args[1].lower() in ENDING
    if len(args) == 2 and not ending:
        class_id = await store.class_named(svc.db, school_id, args[1])
        if class_id is None:
            await reply(update, context, t(who.language, "returns.no_class", name=args[1]))
            return
    opened = await opening.open_return(
        svc,
        return_date=day,
        school_ids=[school_id],
        class_id=class_id,
        ending=ending,
        opened_by=viewer.person.id,
        now=svc.now(),
    )
    if not opened.people:
        await reply(update, context, t(who.language, "returns.nobody"))
        return
    text = t(
        who.language,
        "returns.opened",
        date=svc.catalog.day(who.language, day),
        count=opened.people,
        asked=opened.asked,
    )
    await reply(update, context, text)


async def show_readiness(update: Update, context: Context) -> None:
    """The returning people of the viewer's school, or of every school for the bureau."""
    found = await staff_viewer(update, context, roles=("doctor", "admin"))
    if found is None:
        return
    who, viewer = found
    svc = context.svc
    if [a.lower() for a in context.args or []] == ["xlsx"]:
        content, rows = await report.readiness_report(svc, viewer, who.language)
        t = svc.catalog.t
        await context.bot.send_document(
            who.chat_id,
            InputFile(content, filename=f"{t(who.language, 'returns.report.file')}.xlsx"),
            caption=t(who.language, "returns.report.caption", count=rows),
        )
        return
    screen = await readiness.readiness(svc, viewer, who.language)
    message = update.effective_message
    assert message is not None
    await message.reply_text(screen.text, reply_markup=markup(screen.keyboard))


async def press_declaration(update: Update, context: Context) -> None:
    """Store one declaration answer, or submit it, and show the next step in place."""
    press = await bound_press(update, context)
    if press is None:
        return
    svc = context.svc
    language = press.who.language
    data = parse(press.query.data, declaration.AREA)
    return_id = data.number(0) if data is not None else None
    step = data.text(1) if data is not None else None
    if data is None or return_id is None or step is None:
        await press.query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
        return
    shown = await declaration.answer(svc, press.person.id, language, return_id, step, data.text(2))
    if shown is None:
        await press.query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
        return
    await press.query.answer(shown.toast)
    await _edit(press.query, shown.screen)


async def press_decision(update: Update, context: Context) -> None:
    """The doctor clears or holds one person, or clears everyone ready, in one tap."""
    press = await bound_press(update, context)
    if press is None:
        return
    svc = context.svc
    language = press.who.language
    data = parse(press.query.data, readiness.DECISION_AREA)
    return_id = data.number(0) if data is not None else None
    target = data.text(1) if data is not None else None
    if data is None or return_id is None or target is None:
        await press.query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
        return
    viewer = await viewer_for(svc, press.person)
    toast = await readiness.decide(svc, viewer, language, return_id, target, data.text(2) or "")
    if toast is None:
        await press.query.answer(svc.catalog.t(language, "common.not_allowed"), show_alert=True)
        return
    await press.query.answer(toast)
    await _edit(press.query, await readiness.readiness(svc, viewer, language))


async def handle_photo(update: Update, context: Context, who: Sender) -> bool:
    """Keep a photo as the test result of the sender's open declaration, if they have one."""
    message = update.effective_message
    if message is None or not message.photo or who.person is None:
        return False
    svc = context.svc
    if not await declaration.take_photo(svc, who.person.id, message.photo[-1].file_id):
        return False
    await reply(update, context, svc.catalog.t(who.language, "returns.declare.photo_kept"))
    return True


async def _edit(query: CallbackQuery, screen: Screen) -> None:
    try:
        await query.edit_message_text(screen.text, reply_markup=markup(screen.keyboard))
    except BadRequest as exc:
        # A double tap re-renders the same screen; Telegram refuses an edit that changes nothing.
        if "not modified" not in exc.message.lower():
            raise
