"""/notice (compose: text, audience, confirmation, preview, send), /notices (reports) and the
nt:<draft or notice id>:<verb>[:arg] buttons.

The draft lives in the notice_drafts table, so the flow survives a restart and the next plain
text of an author whose draft awaits text becomes the text (handle_text, called by the free-text
dispatcher). Draft verbs: m (menu), a (audience), conf, back, send, cancel, noop. Notice verbs: ok
(a recipient's receipt), rep (report), rem (remind), xlsx, wd (ask to withdraw), wdy (withdraw).
"""

from __future__ import annotations

import logging

from telegram import InputFile, Message, Update
from telegram.error import BadRequest

from bot.core.access import Viewer
from bot.core.ids import is_id
from bot.core.keyboard import Keyboard, Screen, parse
from bot.notices import (
    drafts,
    export,
    menus,
    receipts,
    reminders,
    render,
    sending,
    withdrawal,
)
from bot.notices.audience import may_compose
from bot.notices.render import AREA, Media
from bot.notices.store.drafts import Draft
from handlers.common import Context, Sender, bound_sender, markup, reply, viewer_for

log = logging.getLogger(__name__)


async def _composer(update: Update, context: Context) -> tuple[Sender, Viewer] | None:
    """The sender as a viewer who may write notices, or None after saying why not."""
    bound = await bound_sender(update, context)
    if bound is None:
        return None
    who, person = bound
    svc = context.svc
    viewer = await viewer_for(svc, person)
    if not may_compose(viewer):
        await reply(update, context, svc.catalog.t(who.language, "notices.not_allowed"))
        return None
    return who, viewer


async def start_notice(update: Update, context: Context) -> None:
    """Start a new notice draft and ask for its text."""
    found = await _composer(update, context)
    if found is None:
        return
    who, viewer = found
    svc = context.svc
    draft_id = await drafts.start_draft(svc, viewer.person)
    await _show(context, who, render.ask_text(svc.catalog, who.language, draft_id, viewer.person))


async def _show(context: Context, who: Sender, screen: Screen) -> None:
    """Send the screen as a new message in the sender's chat."""
    await context.bot.send_message(who.chat_id, screen.text, reply_markup=markup(screen.keyboard))


def _is_reply(message: Message) -> bool:
    # A reply is an answer to a relayed student message, never the text of a notice.
    return message.reply_to_message is not None


async def handle_text(update: Update, context: Context, who: Sender) -> bool:
    """Take a staff member's text as their draft's text when a draft awaits it."""
    message = update.effective_message
    if message is None or not message.text or who.person is None or not who.person.is_staff:
        return False
    if _is_reply(message):
        return False
    svc = context.svc
    draft = await drafts.draft_for(svc, who.person)
    if draft is None or draft.stage != "text":
        return False
    await _take_text(update, context, who, draft, message.text)
    return True


async def handle_media(update: Update, context: Context, who: Sender) -> bool:
    """Attach a photo or document to a draft still being written; a caption is its text."""
    message = update.effective_message
    if message is None or who.person is None or not who.person.is_staff or _is_reply(message):
        return False
    if message.photo:
        media = Media("photo", message.photo[-1].file_id)
    elif message.document is not None:
        media = Media("document", message.document.file_id)
    else:
        return False
    svc = context.svc
    draft = await drafts.draft_for(svc, who.person)
    if draft is None or draft.stage not in ("text", "audience"):
        return False
    await drafts.attach(svc, draft, who.person, media)
    t = svc.catalog.t
    if draft.stage == "text" and message.caption:
        await _take_text(update, context, who, draft, message.caption)
    elif draft.stage == "text":
        await reply(update, context, t(who.language, "notices.media_attached_ask_text"))
    else:
        await reply(update, context, t(who.language, "notices.media_attached"))
    return True


async def _take_text(
    update: Update, context: Context, who: Sender, draft: Draft, text: str
) -> None:
    assert who.person is not None
    svc = context.svc
    outcome = await drafts.accept_text(svc, draft, who.person, text)
    if not outcome.accepted:
        await reply(update, context, drafts.refusal_text(svc.catalog, who.language, outcome))
        return
    viewer = await viewer_for(svc, who.person)
    await _send_audience_menu(context, who, viewer, draft.id, draft.needs_confirmation)


async def _send_audience_menu(
    context: Context, who: Sender, viewer: Viewer, draft_id: int, needs_confirmation: bool
) -> None:
    screen = await menus.audience_screen(
        context.svc, viewer, who.language, draft_id, needs_confirmation
    )
    await _show(context, who, screen)


async def list_notices(update: Update, context: Context) -> None:
    """List recent notices the sender may follow, each with a button to its report."""
    who = context.sender
    svc = context.svc
    t = svc.catalog.t
    if who.person is None or who.person.role not in ("teacher", "admin"):
        await reply(update, context, t(who.language, "notices.not_allowed"))
        return
    viewer = await viewer_for(svc, who.person)
    found = await receipts.recent(svc, viewer)
    await _show(context, who, receipts.list_screen(svc, who.language, found))


async def press_button(update: Update, context: Context) -> None:
    """Act on a notice or a draft button, for whoever may."""
    query = update.callback_query
    if query is None:
        return
    svc = context.svc
    who = context.sender
    language = who.language
    t = svc.catalog.t
    data = parse(query.data, AREA)
    # is_id also bounds the number to what SQLite stores: a forged huge id is a bad button.
    number = data.number(0) if data is not None and is_id(data.text(0) or "") else None
    verb = data.text(1) if data is not None else None
    if data is None or number is None or verb is None or len(data) > 3:
        await query.answer(t(language, "common.bad_button"), show_alert=True)
        return
    if who.person is None:
        await query.answer(t(language, "common.not_bound"), show_alert=True)
        return
    arg = data.text(2) or ""
    if verb == "ok":
        await _confirm(update, context, who, number)
    elif verb in render.NOTICE_VERBS:
        await _notice_action(update, context, who, number, verb, arg)
    elif verb in render.DRAFT_VERBS:
        await _draft_action(update, context, who, number, verb, arg)
    else:
        await query.answer(t(language, "common.bad_button"), show_alert=True)


async def _confirm(update: Update, context: Context, who: Sender, notice_id: int) -> None:
    query = update.callback_query
    assert query is not None and who.person is not None
    svc = context.svc
    result = await receipts.confirm(svc, notice_id, who.person)
    # A guardian's tap is a 家长回执: thank them for it as such.
    agreed = result == "thanks" and who.person.role == "guardian"
    toast = "notices.toast.thanks_agree" if agreed else f"notices.toast.{result}"
    await query.answer(svc.catalog.t(who.language, toast))
    if result in ("thanks", "already"):
        try:
            # The receipt is recorded: the button has done its work.
            await query.edit_message_reply_markup(reply_markup=None)
        except BadRequest:
            log.debug("receipt button of notice %d already gone", notice_id)


async def _edit(update: Update, screen: Screen) -> None:
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(screen.text, reply_markup=markup(screen.keyboard))
    except BadRequest:
        # Same text and buttons as before (a refresh with nothing new, a double tap).
        log.debug("message unchanged")


async def _notice_action(
    update: Update, context: Context, who: Sender, notice_id: int, verb: str, arg: str
) -> None:
    query = update.callback_query
    assert query is not None and who.person is not None
    svc = context.svc
    t = svc.catalog.t
    lang = who.language
    viewer = await viewer_for(svc, who.person)
    notice = await receipts.notice_for(svc, notice_id, viewer)
    if notice is None:
        await query.answer(t(lang, "notices.not_found"), show_alert=True)
        return
    if verb == "rep":
        await query.answer()
        report = Screen(
            await receipts.report_text(svc, lang, notice),
            receipts.report_buttons(svc.catalog, lang, notice),
        )
        if arg == "1":
            # The report's own refresh button (or "keep it"): redraw that message in place.
            await _edit(update, report)
        else:
            await _show(context, who, report)
    elif verb == "rem":
        reminded = await reminders.remind(svc, notice)
        await query.answer(reminders.outcome_text(svc.catalog, lang, reminded), show_alert=True)
    elif verb == "xlsx":
        await query.answer()
        name, data = await export.export(svc, notice, viewer, lang)
        await context.bot.send_document(
            who.chat_id,
            InputFile(data, filename=name),
            caption=t(lang, "notices.export_caption", id=notice.id),
        )
    elif verb == "wd":
        await query.answer()
        await _show(context, who, withdrawal.ask_screen(svc.catalog, lang, notice))
    elif verb == "wdy":
        outcome = await withdrawal.withdraw(svc, notice)
        await query.answer()
        await _edit(update, withdrawal.outcome_screen(svc.catalog, lang, notice, outcome))


async def _draft_action(
    update: Update, context: Context, who: Sender, draft_id: int, verb: str, arg: str
) -> None:
    query = update.callback_query
    assert query is not None and who.person is not None
    svc = context.svc
    t = svc.catalog.t
    lang = who.language
    viewer = await viewer_for(svc, who.person)
    if verb == "send":
        outcome = await sending.send_draft(svc, draft_id, viewer)
        await query.answer()
        screen = sending.outcome_screen(svc.catalog, lang, outcome)
        if outcome.status == "sent":
            # The preview's buttons become "sent", so the notice cannot be sent twice from there.
            await _edit(update, screen)
        else:
            await _show(context, who, screen)
        return
    if verb == "cancel":
        cancelled = await drafts.cancel_draft(svc, draft_id, who.person)
        await query.answer()
        key = "notices.cancelled" if cancelled else "notices.send_gone"
        await _edit(update, Screen(t(lang, key)))
        return
    if verb == "noop":
        await query.answer(t(lang, "notices.toast.preview"))
        return
    draft = await drafts.draft_by_id(svc, draft_id, who.person)
    if draft is None:
        await query.answer(t(lang, "notices.send_gone"), show_alert=True)
        return
    if verb == "conf":
        now_on = await drafts.toggle_confirmation(svc, draft, who.person)
        await query.answer()
        if draft.stage == "audience":
            keyboard = await menus.audience_keyboard(svc, viewer, lang, draft.id, now_on)
            await _set_keyboard(update, keyboard)
        return
    if verb == "m":
        await query.answer()
        keyboard = await menus.audience_keyboard(
            svc, viewer, lang, draft.id, draft.needs_confirmation, arg
        )
        await _set_keyboard(update, keyboard)
        return
    if verb == "back":
        await drafts.back_to_audience(svc, draft, who.person)
        await query.answer()
        await _send_audience_menu(context, who, viewer, draft.id, draft.needs_confirmation)
        return
    # verb == "a": choose the audience, then show the preview.
    if draft.stage not in ("audience", "preview") or not await drafts.choose_audience(
        svc, draft, viewer, arg
    ):
        await query.answer(t(lang, "common.not_allowed"), show_alert=True)
        return
    await query.answer()
    chosen = await drafts.draft_by_id(svc, draft.id, who.person)
    assert chosen is not None
    await _set_keyboard(update, Keyboard())
    await _send_preview(context, who, viewer, chosen)


async def _set_keyboard(update: Update, keyboard: Keyboard) -> None:
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_reply_markup(reply_markup=markup(keyboard))
    except BadRequest:
        log.debug("keyboard unchanged")


async def _send_preview(context: Context, who: Sender, viewer: Viewer, draft: Draft) -> None:
    """The notice exactly as recipients will see it, then who gets it with Send and Cancel."""
    svc = context.svc
    lang = who.language
    shown = await drafts.preview(svc, draft, viewer, lang)
    copy_markup = markup(drafts.preview_keyboard(svc.catalog, lang, draft))
    chat = who.chat_id
    if draft.media_kind and draft.media_file_id:
        caption_fits = len(shown.rendered) <= render.CAPTION_LIMIT
        send = context.bot.send_photo if draft.media_kind == "photo" else context.bot.send_document
        await send(
            chat,
            draft.media_file_id,
            caption=shown.rendered if caption_fits else None,
            reply_markup=copy_markup if caption_fits else None,
        )
        if not caption_fits:
            await context.bot.send_message(chat, shown.rendered, reply_markup=copy_markup)
    else:
        await context.bot.send_message(chat, shown.rendered, reply_markup=copy_markup)
    await _show(context, who, drafts.preview_summary(svc.catalog, lang, draft, shown))
