"""Sending a notice: ONE transaction consumes the draft and writes the notice, its recipients
and every outbox row (dedup key nt:<notice>:<person>), so a double tap sends once and a crash
after the commit loses nothing: the delivery worker resumes the rows."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiosqlite

from bot.core.access import Viewer
from bot.core.i18n import Catalog
from bot.core.keyboard import Keyboard, Screen
from bot.core.services import Services
from bot.delivery import outbox
from bot.notices.audience import Audience, may_target, notice_school, scope_school
from bot.notices.render import Media, copies, open_button
from bot.notices.store import audiences as audience_store
from bot.notices.store import drafts as draft_store
from bot.notices.store import notices as notice_store
from bot.notices.store import places as place_store
from bot.notices.store import receipts as receipt_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Queued:
    notice_id: int
    targeted: int
    queued: int
    no_account: int


@dataclass(frozen=True)
class SendOutcome:
    status: str  # sent | already | gone | not_allowed | incomplete
    notice_id: int | None = None
    queued: int = 0


async def _queue(
    tx: aiosqlite.Connection,
    svc: Services,
    *,
    audience: Audience,
    text: str,
    needs_confirmation: bool,
    author: Viewer | None,
    media: Media | None,
    draft_id: int | None,
    now: int,
) -> Queued:
    class_school = None
    if audience.kind == "class" and audience.class_id is not None:
        class_school = await place_store.class_school(tx, audience.class_id)
    person = author.person if author is not None else None
    people = await audience_store.candidates(
        tx,
        audience,
        scope_school=scope_school(author) if author is not None else None,
        exclude_id=person.id if person is not None else None,
    )
    notice_id = await notice_store.next_notice_id(tx)
    batch_id = await outbox.ensure_batch(tx, "notice", str(notice_id), now)
    await notice_store.insert_notice(
        tx,
        draft_id=draft_id,
        author_id=person.id if person is not None else None,
        school_id=notice_school(author, audience, class_school),
        audience=audience.spec,
        text=text,
        media_kind=media.kind if media else None,
        media_file_id=media.file_id if media else None,
        needs_confirmation=needs_confirmation,
        batch_id=batch_id,
        now=now,
    )
    await receipt_store.insert_recipients(tx, notice_id, people)
    default = svc.config.general.language
    items = [
        item
        for p in people
        if p.chat_id is not None
        for item in copies(
            svc.catalog,
            notice_id,
            text,
            person,
            needs_confirmation,
            media,
            p,
            p.language or default,
        )
    ]
    await outbox.enqueue_many(tx, items, now=now, batch_id=batch_id)
    await receipt_store.link_outbox(tx, notice_id, media is not None)
    reachable = sum(1 for p in people if p.chat_id is not None)
    return Queued(notice_id, len(people), reachable, len(people) - reachable)


async def queue_notice(
    svc: Services,
    audience: Audience,
    text: str,
    *,
    needs_confirmation: bool = False,
    author: Viewer | None = None,
    media: Media | None = None,
) -> Queued:
    """Queue a notice in one transaction and wake the delivery worker.

    author None is the bureau (the command line, a benchmark): every person the audience names.
    With an author, the audience is confined to their scope and must be one they may target.
    """
    if author is not None and not await may_send(svc, author, audience):
        raise PermissionError("the author may not send to this audience")
    now = svc.now()
    async with svc.db.transaction() as tx:
        queued = await _queue(
            tx,
            svc,
            audience=audience,
            text=text,
            needs_confirmation=needs_confirmation,
            author=author,
            media=media,
            draft_id=None,
            now=now,
        )
    log.info("notice %d queued: %d copies", queued.notice_id, queued.queued)
    svc.wake_outbox()
    return queued


async def may_send(svc: Services, viewer: Viewer, audience: Audience) -> bool:
    class_school = None
    if audience.kind == "class" and audience.class_id is not None:
        class_school = await place_store.class_school(svc.db, audience.class_id)
    if (
        audience.kind == "school"
        and audience.school_id is not None
        and await place_store.school_name(svc.db, audience.school_id) is None
    ):
        return False
    return may_target(viewer, audience, class_school)


async def send_draft(svc: Services, draft_id: int, viewer: Viewer) -> SendOutcome:
    """Send the draft once: the second of two taps finds it consumed."""
    author = viewer.person
    now = svc.now()
    async with svc.db.transaction() as tx:
        draft = await draft_store.draft_by_id(tx, draft_id)
        if draft is None or draft.author_id != author.id:
            sent = await notice_store.notice_by_draft(tx, draft_id)
            if sent is not None and sent.author_id == author.id:
                return SendOutcome("already", sent.id)
            return SendOutcome("gone")
        if draft.text is None or draft.audience is None or draft.stage != "preview":
            return SendOutcome("incomplete")
        audience = Audience.parse(draft.audience)
        class_school = None
        if audience.class_id is not None:
            class_school = await place_store.class_school(tx, audience.class_id)
        if not may_target(viewer, audience, class_school):
            return SendOutcome("not_allowed")
        await draft_store.delete_draft(tx, draft.id, author.id)
        media = (
            Media(draft.media_kind, draft.media_file_id)
            if draft.media_kind and draft.media_file_id
            else None
        )
        queued = await _queue(
            tx,
            svc,
            audience=audience,
            text=draft.text,
            needs_confirmation=draft.needs_confirmation,
            author=viewer,
            media=media,
            draft_id=draft.id,
            now=now,
        )
    log.info("notice %d sent by person %d: %d copies", queued.notice_id, author.id, queued.queued)
    svc.wake_outbox()
    return SendOutcome("sent", queued.notice_id, queued.queued)


def outcome_screen(catalog: Catalog, language: str, outcome: SendOutcome) -> Screen:
    """The "sent" line with the button to the report, or why nothing was sent."""
    if outcome.status != "sent":
        return Screen(catalog.t(language, f"notices.send_{outcome.status}"))
    assert outcome.notice_id is not None
    return Screen(
        catalog.t(language, "notices.sent", id=outcome.notice_id, queued=outcome.queued),
        Keyboard.of([open_button(catalog, language, outcome.notice_id)]),
    )
