"""/notice (compose: text, audience, confirmation, preview, send), /notices (reports) and the
nt:<draft or notice id>:<verb>[:arg] buttons.

The draft lives in the notice_drafts table, so the flow survives a restart and the next plain
text of an author whose draft awaits text becomes the text (handle_text, called by the free-text
dispatcher). Draft verbs: m (menu), a (audience), conf, back, send, cancel, noop. Notice verbs: ok
(a recipient's receipt), rep (report), rem (remind), xlsx, wd (ask to withdraw), wdy (withdraw).
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest

from bot.core.access import Viewer
from bot.core.ids import is_id
from bot.core.keyboard import Button, Keyboard, callback, parse
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
from bot.notices.store import Draft
from handlers.common import Context, Sender, bound_sender, reply, viewer_for

log = logging.getLogger(__name__)


def _markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    """The one place a capability's Keyboard becomes python-telegram-bot's markup."""
    markup = keyboard.markup()
    return InlineKeyboardMarkup.de_json(markup, None) if markup is not None else None


def _button(text: str, number: int, *parts: str) -> Button:
    return Button(text, callback(AREA, number, *parts))


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
    t = svc.catalog.t
    limit = render.text_limit(svc.catalog, viewer.person)
    cancel = _button(t(who.language, "notices.button.cancel"), draft_id, "cancel")
    await context.bot.send_message(
        who.chat_id,
        t(who.language, "notices.ask_text", limit=limit),
        reply_markup=_markup(Keyboard.of([cancel])),
    )


def _is_reply(message: Message) -> bool:
    # A reply is an answer to a relayed student message, never the text of a notice.
    return message.reply_to_message is not None


async def handle_text(update: Update, context: Context, who: Sender) -> bool:
    """Take a staff member's text as their draft's text when a draft awaits it."""
    message = update.effective_message
    if message is None or not message.text or who.person is None or who.person.is_student:
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
    if message is None or who.person is None or who.person.is_student or _is_reply(message):
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
        key = "notices.too_long" if outcome.length > outcome.limit else "notices.empty"
        await reply(
            update,
            context,
            svc.catalog.t(who.language, key, length=outcome.length, limit=outcome.limit),
        )
        return
    viewer = await viewer_for(svc, who.person)
    await _send_audience_menu(context, who, viewer, draft.id, draft.needs_confirmation)


async def _send_audience_menu(
    context: Context, who: Sender, viewer: Viewer, draft_id: int, needs_confirmation: bool
) -> None:
    svc = context.svc
    keyboard = await menus.audience_keyboard(
        svc, viewer, who.language, draft_id, needs_confirmation
    )
    await context.bot.send_message(
        who.chat_id,
        svc.catalog.t(who.language, "notices.choose_audience"),
        reply_markup=_markup(keyboard),
    )


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
    if not found:
        await reply(update, context, t(who.language, "notices.list_empty"))
        return
    lines = [t(who.language, "notices.list_head")]
    lines += [render.list_line(svc, who.language, n) for n in found]
    buttons = [
        [_button(f"#{n.id} " + t(who.language, "notices.button.open"), n.id, "rep")] for n in found
    ]
    await context.bot.send_message(
        who.chat_id, "\n".join(lines), reply_markup=_markup(Keyboard.of(*buttons))
    )


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
    await query.answer(svc.catalog.t(who.language, f"notices.toast.{result}"))
    if result in ("thanks", "already"):
        try:
            # The receipt is recorded: the button has done its work.
            await query.edit_message_reply_markup(reply_markup=None)
        except BadRequest:
            log.debug("receipt button of notice %d already gone", notice_id)


async def _edit(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(text, reply_markup=markup)
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
        text = await receipts.report_text(svc, lang, notice)
        markup = _markup(receipts.report_buttons(svc.catalog, lang, notice))
        if arg == "1":
            # The report's own refresh button (or "keep it"): redraw that message in place.
            await _edit(update, text, markup)
        else:
            await context.bot.send_message(who.chat_id, text, reply_markup=markup)
    elif verb == "rem":
        reminded = await reminders.remind(svc, notice)
        if reminded.status == "sent":
            key = "notices.remind.sent" if reminded.count else "notices.remind.nobody"
        else:
            key = f"notices.remind.{reminded.status}"
        await query.answer(
            t(lang, key, count=reminded.count, minutes=reminded.wait_minutes), show_alert=True
        )
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
        buttons = [
            [
                _button(t(lang, "notices.button.wdy"), notice.id, "wdy"),
                _button(t(lang, "notices.button.keep"), notice.id, "rep", "1"),
            ]
        ]
        await context.bot.send_message(
            who.chat_id,
            t(lang, "notices.withdraw.ask", id=notice.id),
            reply_markup=_markup(Keyboard.of(*buttons)),
        )
    elif verb == "wdy":
        outcome = await withdrawal.withdraw(svc, notice)
        await query.answer()
        if outcome.status == "already":
            await _edit(update, t(lang, "notices.withdraw.already", id=notice.id))
            return
        lines = [
            t(
                lang,
                "notices.withdraw.done",
                id=notice.id,
                stopped=outcome.stopped,
                deleting=outcome.deleting,
            )
        ]
        if outcome.too_old:
            lines.append(t(lang, "notices.withdraw.too_old", count=outcome.too_old))
        if outcome.unknown:
            lines.append(t(lang, "notices.withdraw.unknown", count=outcome.unknown))
        report = _button(t(lang, "notices.button.open"), notice.id, "rep")
        await _edit(update, "\n".join(lines), _markup(Keyboard.of([report])))


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
        if outcome.status == "sent":
            assert outcome.notice_id is not None
            report = _button(t(lang, "notices.button.open"), outcome.notice_id, "rep")
            await _edit(
                update,
                t(lang, "notices.sent", id=outcome.notice_id, queued=outcome.queued),
                _markup(Keyboard.of([report])),
            )
        else:
            await context.bot.send_message(who.chat_id, t(lang, f"notices.send_{outcome.status}"))
        return
    if verb == "cancel":
        cancelled = await drafts.cancel_draft(svc, draft_id, who.person)
        await query.answer()
        await _edit(update, t(lang, "notices.cancelled" if cancelled else "notices.send_gone"))
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
            await _set_markup(update, _markup(keyboard))
        return
    if verb == "m":
        await query.answer()
        keyboard = await menus.audience_keyboard(
            svc, viewer, lang, draft.id, draft.needs_confirmation, arg
        )
        await _set_markup(update, _markup(keyboard))
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
    await _set_markup(update, None)
    await _send_preview(context, who, viewer, chosen)


async def _set_markup(update: Update, markup: InlineKeyboardMarkup | None) -> None:
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest:
        log.debug("keyboard unchanged")


async def _send_preview(context: Context, who: Sender, viewer: Viewer, draft: Draft) -> None:
    """The notice exactly as recipients will see it, then who gets it with Send and Cancel."""
    svc = context.svc
    t = svc.catalog.t
    lang = who.language
    shown = await drafts.preview(svc, draft, viewer, lang)
    markup = None
    if draft.needs_confirmation:
        label = t(lang, "notices.button.confirm")
        markup = _markup(Keyboard.of([_button(label, draft.id, "noop")]))
    chat = who.chat_id
    if draft.media_kind and draft.media_file_id:
        caption_fits = len(shown.rendered) <= render.CAPTION_LIMIT
        send = context.bot.send_photo if draft.media_kind == "photo" else context.bot.send_document
        await send(
            chat,
            draft.media_file_id,
            caption=shown.rendered if caption_fits else None,
            reply_markup=markup if caption_fits else None,
        )
        if not caption_fits:
            await context.bot.send_message(chat, shown.rendered, reply_markup=markup)
    else:
        await context.bot.send_message(chat, shown.rendered, reply_markup=markup)
    lines = [
        t(lang, "notices.preview.head", audience=shown.audience),
        t(
            lang,
            "notices.preview.count",
            total=shown.total,
            counts=render.counts_text(svc.catalog, lang, shown.counts),
        ),
    ]
    if shown.no_account:
        lines.append(t(lang, "notices.preview.no_account", count=shown.no_account))
    lines.append(
        t(
            lang,
            "notices.preview.confirm_on"
            if draft.needs_confirmation
            else "notices.preview.confirm_off",
        )
    )
    rows = []
    if shown.total > shown.no_account:
        rows.append([_button(t(lang, "notices.button.send"), draft.id, "send")])
    else:
        lines.append(t(lang, "notices.preview.nobody"))
    rows.append(
        [
            _button(t(lang, "notices.button.change"), draft.id, "back"),
            _button(t(lang, "notices.button.cancel"), draft.id, "cancel"),
        ]
    )
    await context.bot.send_message(
        chat, "\n".join(lines), reply_markup=_markup(Keyboard.of(*rows))
    )
