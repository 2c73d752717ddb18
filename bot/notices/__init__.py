"""Notices with read receipts: drafts, sending through the outbox, receipts, reports, reminders,
withdrawal and the receipts export.

A notice is sent in ONE transaction that consumes the draft and writes the notice, its
recipients and every outbox row (dedup key nt:<notice>:<person>), so a double tap sends once and
a crash after the commit loses nothing: the delivery worker resumes the rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.core.access import Viewer
from bot.core.clock import from_epoch
from bot.core.config import LANGUAGES
from bot.core.i18n import Catalog
from bot.core.ids import is_id
from bot.core.services import Services
from bot.delivery import outbox
from bot.delivery.outbox import Lane, Outgoing
from bot.notices import store
from bot.notices import workbook as noticexlsx
from bot.notices.audience import (
    SCOPE_KINDS,
    STAFF_ROLES,
    Audience,
    AudienceError,
    may_manage,
    may_target,
    notice_school,
    offered_kinds,
    scope_school,
)
from bot.notices.store import Candidate, Draft, Notice
from bot.storage import audit, people
from bot.storage.records import Person

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
# A bot may delete its messages for 48 h; leave the queued deletion a few minutes to go out.
DELETE_WINDOW_SECONDS = 48 * 3600 - 10 * 60
RECENT_LIMIT = 10
REPORT_GROUP_LINES = 25
# The unconfirmed are named in the report up to this many; the rest are counted.
REPORT_NAMES = 30
PAGE_SIZE = 8
DRAFT_VERBS = ("m", "a", "conf", "back", "send", "cancel", "noop")
NOTICE_VERBS = ("ok", "rep", "rem", "xlsx", "wd", "wdy")
ROLE_ORDER = ("student", *STAFF_ROLES)

Markup = dict[str, list[list[dict[str, str]]]]


@dataclass(frozen=True)
class Media:
    kind: str  # photo | document
    file_id: str


@dataclass(frozen=True)
class Queued:
    notice_id: int
    targeted: int
    queued: int
    no_account: int


@dataclass(frozen=True)
class TextOutcome:
    accepted: bool
    length: int
    limit: int


@dataclass(frozen=True)
class Preview:
    rendered: str
    audience: str
    counts: dict[str, int]
    no_account: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class SendOutcome:
    status: str  # sent | already | gone | not_allowed | incomplete
    notice_id: int | None = None
    queued: int = 0


@dataclass(frozen=True)
class RemindOutcome:
    status: str  # sent | too_soon | withdrawn | not_needed
    count: int = 0
    wait_minutes: int = 0


@dataclass(frozen=True)
class WithdrawOutcome:
    status: str  # withdrawn | already
    stopped: int = 0
    deleting: int = 0
    too_old: int = 0
    unknown: int = 0


@dataclass(frozen=True)
class Option:
    label: str
    data: str  # the callback data after nt:<draft>:


@dataclass(frozen=True)
class Options:
    rows: list[list[Option]] = field(default_factory=list)


# -- rendering ---------------------------------------------------------------------------------


def _sender(catalog: Catalog, language: str, author: Person | None) -> str:
    if author is None:
        return catalog.t(language, "notices.from_bureau")
    role = catalog.t(language, f"roles.{author.role}")
    return catalog.t(language, "notices.from_person", name=author.name, role=role)


def render(
    catalog: Catalog, language: str, text: str, author: Person | None, needs_confirmation: bool
) -> str:
    """The notice as a recipient in this language reads it."""
    parts = [
        catalog.t(language, "notices.header", sender=_sender(catalog, language, author)),
        text,
    ]
    if needs_confirmation:
        parts.append(catalog.t(language, "notices.footer_confirm"))
    return "\n\n".join(parts)


def text_limit(catalog: Catalog, author: Person | None) -> int:
    """The longest text that still fits one Telegram message with header and footer in every
    language."""
    overhead = max(len(render(catalog, lang, "", author, True)) for lang in LANGUAGES)
    return TEXT_LIMIT - overhead


def _confirm_markup(catalog: Catalog, language: str, notice_id: int) -> Markup:
    label = catalog.t(language, "notices.button.confirm")
    return {"inline_keyboard": [[{"text": label, "callback_data": f"nt:{notice_id}:ok"}]]}


def _copies(
    catalog: Catalog,
    notice_id: int,
    text: str,
    author: Person | None,
    needs_confirmation: bool,
    media: Media | None,
    person: Candidate,
    language: str,
) -> list[Outgoing]:
    """The outbox rows that bring one recipient the notice: the attachment (alone, when the text
    is too long for a caption) and then the copy that carries the text and the button."""
    assert person.chat_id is not None
    body = render(catalog, language, text, author, needs_confirmation)
    payload: dict[str, Any] = {}
    if needs_confirmation:
        payload["reply_markup"] = _confirm_markup(catalog, language, notice_id)
    key = f"nt:{notice_id}:{person.person_id}"
    rows = []
    method = "sendMessage"
    if media is not None and len(body) <= CAPTION_LIMIT:
        method = "sendPhoto" if media.kind == "photo" else "sendDocument"
        payload[media.kind] = media.file_id
        payload["caption"] = body
    else:
        payload["text"] = body
        if media is not None:
            rows.append(
                Outgoing(
                    dedup_key=f"{key}:m",
                    lane=Lane.BULK,
                    chat_id=person.chat_id,
                    method="sendPhoto" if media.kind == "photo" else "sendDocument",
                    payload={media.kind: media.file_id},
                    person_id=person.person_id,
                )
            )
    rows.append(
        Outgoing(
            dedup_key=key,
            lane=Lane.BULK,
            chat_id=person.chat_id,
            method=method,
            payload=payload,
            person_id=person.person_id,
        )
    )
    return rows


# -- sending -----------------------------------------------------------------------------------


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
        class_school = await store.class_school(tx, audience.class_id)
    person = author.person if author is not None else None
    people = await store.candidates(
        tx,
        audience,
        scope_school=scope_school(author) if author is not None else None,
        exclude_id=person.id if person is not None else None,
    )
    notice_id = await store.next_notice_id(tx)
    batch_id = await outbox.ensure_batch(tx, "notice", str(notice_id), now)
    await store.insert_notice(
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
    await store.insert_recipients(tx, notice_id, people)
    default = svc.config.general.language
    items = [
        item
        for p in people
        if p.chat_id is not None
        for item in _copies(
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
    await store.link_outbox(tx, notice_id, media is not None)
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
    if author is not None and not await _may_target(svc, author, audience):
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


async def _may_target(svc: Services, viewer: Viewer, audience: Audience) -> bool:
    class_school = None
    if audience.kind == "class" and audience.class_id is not None:
        class_school = await store.class_school(svc.db, audience.class_id)
    if (
        audience.kind == "school"
        and audience.school_id is not None
        and await store.school_name(svc.db, audience.school_id) is None
    ):
        return False
    return may_target(viewer, audience, class_school)


# -- drafts ------------------------------------------------------------------------------------


async def start_draft(svc: Services, author: Person) -> int:
    async with svc.db.transaction() as tx:
        return await store.new_draft(tx, author.id, svc.now())


async def draft_for(svc: Services, author: Person) -> Draft | None:
    return await store.draft_by_author(svc.db, author.id)


async def draft_by_id(svc: Services, draft_id: int, author: Person) -> Draft | None:
    draft = await store.draft_by_id(svc.db, draft_id)
    return draft if draft is not None and draft.author_id == author.id else None


async def accept_text(svc: Services, draft: Draft, author: Person, text: str) -> TextOutcome:
    """Take the text of a draft, unless it is too long to send as one message."""
    limit = text_limit(svc.catalog, author)
    if len(text) > limit or not text.strip():
        return TextOutcome(False, len(text), limit)
    async with svc.db.transaction() as tx:
        stage = "audience" if draft.stage == "text" else draft.stage
        await store.update_draft(tx, draft.id, author.id, svc.now(), text=text, stage=stage)
    return TextOutcome(True, len(text), limit)


async def attach(svc: Services, draft: Draft, author: Person, media: Media) -> None:
    async with svc.db.transaction() as tx:
        await store.update_draft(
            tx, draft.id, author.id, svc.now(), media_kind=media.kind, media_file_id=media.file_id
        )


async def choose_audience(svc: Services, draft: Draft, viewer: Viewer, code: str) -> bool:
    """Set the draft's audience if the author may target it; the draft is then previewed."""
    try:
        audience = Audience.from_code(code)
    except AudienceError:
        return False
    if draft.text is None or not await _may_target(svc, viewer, audience):
        return False
    async with svc.db.transaction() as tx:
        return await store.update_draft(
            tx, draft.id, viewer.person.id, svc.now(), audience=audience.spec, stage="preview"
        )


async def toggle_confirmation(svc: Services, draft: Draft, author: Person) -> bool:
    async with svc.db.transaction() as tx:
        await store.update_draft(
            tx,
            draft.id,
            author.id,
            svc.now(),
            needs_confirmation=int(not draft.needs_confirmation),
        )
    return not draft.needs_confirmation


async def back_to_audience(svc: Services, draft: Draft, author: Person) -> None:
    async with svc.db.transaction() as tx:
        await store.update_draft(tx, draft.id, author.id, svc.now(), stage="audience")


async def cancel_draft(svc: Services, draft_id: int, author: Person) -> bool:
    async with svc.db.transaction() as tx:
        return await store.delete_draft(tx, draft_id, author.id)


async def audience_name(
    svc: Services, language: str, audience: Audience, viewer: Viewer | None
) -> str:
    t = svc.catalog.t
    if audience.kind == "school" and audience.school_id is not None:
        return await store.school_name(svc.db, audience.school_id) or "?"
    if audience.kind == "class" and audience.class_id is not None:
        names = await store.class_name(svc.db, audience.class_id)
        return (
            "?"
            if names is None
            else t(language, "notices.place_class", school=names[0], klass=names[1])
        )
    if audience.class_ids:
        found = [await store.class_name(svc.db, i) for i in audience.class_ids]
        separator = t(language, "notices.audience.separator")
        classes = separator.join(n[1] for n in found if n is not None)
        place = next((n[0] for n in found if n is not None), "?")
        label = t(language, f"notices.audience.{audience.kind}_of", classes=classes)
        return t(language, "notices.in_school", what=label, school=place)
    if audience.kind == "role":
        what = t(language, f"notices.audience.role_{audience.role}")
    else:
        what = t(language, f"notices.audience.{audience.kind}")
    school = scope_school(viewer) if viewer is not None else None
    if school is None:
        return what
    name = await store.school_name(svc.db, school) or "?"
    return t(language, "notices.in_school", what=what, school=name)


async def preview(svc: Services, draft: Draft, viewer: Viewer, language: str) -> Preview:
    """The notice as recipients will read it, and how many it would reach, by role."""
    assert draft.text is not None and draft.audience is not None
    audience = Audience.parse(draft.audience)
    counts = await store.candidate_counts(
        svc.db, audience, scope_school=scope_school(viewer), exclude_id=viewer.person.id
    )
    by_role: dict[str, int] = {}
    no_account = 0
    for (role, bound), n in counts.items():
        by_role[role] = by_role.get(role, 0) + n
        if not bound:
            no_account += n
    return Preview(
        rendered=render(
            svc.catalog, language, draft.text, viewer.person, draft.needs_confirmation
        ),
        audience=await audience_name(svc, language, audience, viewer),
        counts={role: by_role[role] for role in ROLE_ORDER if by_role.get(role)},
        no_account=no_account,
    )


def counts_text(catalog: Catalog, language: str, counts: dict[str, int]) -> str:
    """'3 students, 1 class teacher' in the catalog's words."""
    parts = [
        catalog.t(language, "notices.count_role", count=n, role=catalog.t(language, f"roles.{r}"))
        for r, n in counts.items()
    ]
    return catalog.t(language, "notices.list_separator").join(parts) or "0"


async def send_draft(svc: Services, draft_id: int, viewer: Viewer) -> SendOutcome:
    """Send the draft once: the second of two taps finds it consumed."""
    author = viewer.person
    now = svc.now()
    async with svc.db.transaction() as tx:
        draft = await store.draft_by_id(tx, draft_id)
        if draft is None or draft.author_id != author.id:
            sent = await store.notice_by_draft(tx, draft_id)
            if sent is not None and sent.author_id == author.id:
                return SendOutcome("already", sent.id)
            return SendOutcome("gone")
        if draft.text is None or draft.audience is None or draft.stage != "preview":
            return SendOutcome("incomplete")
        audience = Audience.parse(draft.audience)
        class_school = None
        if audience.class_id is not None:
            class_school = await store.class_school(tx, audience.class_id)
        if not may_target(viewer, audience, class_school):
            return SendOutcome("not_allowed")
        await store.delete_draft(tx, draft.id, author.id)
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


# -- audience menus ----------------------------------------------------------------------------


def _paged(
    items: list[Option], page: int, menu: str, t_more: str, t_prev: str
) -> list[list[Option]]:
    start = page * PAGE_SIZE
    chunk = items[start : start + PAGE_SIZE]
    rows = [chunk[i : i + 2] for i in range(0, len(chunk), 2)]
    nav = []
    if page > 0:
        nav.append(Option(t_prev, f"m:{menu}.{page - 1}"))
    if start + PAGE_SIZE < len(items):
        nav.append(Option(t_more, f"m:{menu}.{page + 1}"))
    if nav:
        rows.append(nav)
    return rows


async def audience_options(
    svc: Services, viewer: Viewer, language: str, menu: str = "top"
) -> Options:
    """The audience buttons of one menu: top, roles, schools.<page>, cschools.<page> (a school
    whose classes to list) or classes.<school>.<page>. Only audiences the viewer may target."""
    t = svc.catalog.t
    more, prev = t(language, "notices.button.more"), t(language, "notices.button.prev")
    kinds = offered_kinds(viewer)
    name, *args = menu.split(".")
    numbers = [int(a) for a in args if is_id(a)]
    rows: list[list[Option]] = []
    if name == "top" and viewer.role == "teacher":
        mine = await store.classes(svc.db, ids=sorted(viewer.class_ids))
        rows = [[Option(n, f"a:c{i}")] for i, n in mine]
        ids = [i for i, _ in mine]
        if len(ids) > 1:
            every = Audience("classes", class_ids=tuple(ids))
            rows.append(
                [Option(t(language, "notices.audience.all_my_classes"), f"a:{every.code}")]
            )
        if ids:
            isolated = Audience("isolated", class_ids=tuple(ids))
            label = t(language, "notices.audience.isolated_mine")
            rows.append([Option(label, f"a:{isolated.code}")])
    elif name == "top":
        scope = [Option(t(language, f"notices.audience.{k}"), f"a:{k}") for k in SCOPE_KINDS]
        rows = [scope[:2], scope[2:]]
        more_rows = [Option(t(language, "notices.button.by_role"), "m:roles")]
        if "school" in kinds and viewer.is_bureau_admin:
            more_rows.append(Option(t(language, "notices.button.one_school"), "m:schools.0"))
        if "class" in kinds:
            target = (
                "m:cschools.0"
                if viewer.is_bureau_admin
                else f"m:classes.{viewer.person.school_id}.0"
            )
            more_rows.append(Option(t(language, "notices.button.one_class"), target))
        rows.append(more_rows)
    elif name == "roles" and "role" in kinds:
        roles = [Option(t(language, f"notices.audience.role_{r}"), f"a:r{r}") for r in STAFF_ROLES]
        rows = [roles[:2], roles[2:]]
    elif name in ("schools", "cschools") and viewer.is_bureau_admin and len(numbers) == 1:
        found = await store.schools(svc.db)
        items = [
            Option(n, f"a:s{i}" if name == "schools" else f"m:classes.{i}.0") for i, n in found
        ]
        rows = _paged(items, numbers[0], name, more, prev)
    elif name == "classes" and "class" in kinds and len(numbers) == 2:
        school_id, page = numbers
        if viewer.is_bureau_admin or school_id == viewer.person.school_id:
            found = await store.classes(svc.db, school_id=school_id)
            rows = _paged(
                [Option(n, f"a:c{i}") for i, n in found], page, f"classes.{school_id}", more, prev
            )
    if name != "top" and viewer.role != "teacher":
        rows.append([Option(t(language, "notices.button.back"), "m:top")])
    return Options(rows)


# -- receipts, reports, reminders, withdrawal --------------------------------------------------


async def confirm(svc: Services, notice_id: int, person: Person) -> str:
    """Record that a recipient read the notice: thanks | already | withdrawn | not_recipient."""
    notice = await store.notice_by_id(svc.db, notice_id)
    if notice is None:
        return "not_recipient"
    if notice.withdrawn_at is not None:
        return "withdrawn"
    async with svc.db.transaction() as tx:
        recorded = await store.confirm(tx, notice_id, person.id, svc.now())
    if recorded is None:
        return "not_recipient"
    return "thanks" if recorded else "already"


async def notice_for(svc: Services, notice_id: int, viewer: Viewer) -> Notice | None:
    """The notice, if the viewer may see its report and act on it."""
    notice = await store.notice_by_id(svc.db, notice_id)
    if notice is None or not await _may_manage_now(svc, viewer, notice):
        return None
    return notice


async def recent(svc: Services, viewer: Viewer) -> list[Notice]:
    found = await store.recent_notices(
        svc.db,
        everything=viewer.is_bureau_admin,
        author_id=viewer.person.id,
        school_id=viewer.person.school_id if viewer.is_school_admin else None,
        limit=RECENT_LIMIT,
    )
    return [n for n in found if await _may_manage_now(svc, viewer, n)]


async def _may_manage_now(svc: Services, viewer: Viewer, notice: Notice) -> bool:
    """Authors manage a notice only while its audience is still theirs to address: a teacher
    moved to another class no longer reads or reminds the old class."""
    author_id = notice.author_id
    if author_id == viewer.person.id:
        try:
            audience = Audience.parse(notice.audience)
        except AudienceError:
            audience = None
        if audience is None or not await _may_target(svc, viewer, audience):
            author_id = None
    return may_manage(viewer, author_id, notice.school_id)


def _local(svc: Services, seconds: int) -> str:
    return from_epoch(seconds).astimezone(svc.tz).strftime("%m-%d %H:%M")


def excerpt(text: str, length: int = 40) -> str:
    line = " ".join(text.split())
    return line if len(line) <= length else line[: length - 1] + "…"


def list_line(svc: Services, language: str, notice: Notice) -> str:
    state = "notices.list_withdrawn" if notice.withdrawn_at is not None else "notices.list_line"
    return svc.catalog.t(
        language,
        state,
        id=notice.id,
        at=_local(svc, notice.created_at),
        excerpt=excerpt(notice.text),
    )


async def report_text(svc: Services, language: str, notice: Notice) -> str:
    """Where every copy stands: targeted, sent, failed, unreachable, unknown, confirmed, and
    per school and class."""
    t = svc.catalog.t
    copies = await store.copy_counts(svc.db, notice.id)
    confirmed, resent = await store.receipt_counts(svc.db, notice.id)
    viewer_audience = Audience.parse(notice.audience)
    lines = [
        t(
            language,
            "notices.report.head",
            id=notice.id,
            at=_local(svc, notice.created_at),
            excerpt=excerpt(notice.text),
        ),
        t(
            language,
            "notices.report.audience",
            audience=await _stored_audience_name(svc, language, notice, viewer_audience),
        ),
        t(
            language,
            "notices.report.counts",
            targeted=sum(copies.values()),
            waiting=copies.get("pending", 0) + copies.get("sending", 0),
            sent=copies.get("sent", 0),
            failed=copies.get("failed", 0),
            unreachable=copies.get("unreachable", 0),
            unknown=copies.get("unknown", 0),
            no_account=copies.get("no_account", 0),
        ),
    ]
    if notice.needs_confirmation:
        reached = copies.get("sent", 0) + copies.get("unknown", 0)
        lines.append(t(language, "notices.report.confirmed", confirmed=confirmed, reached=reached))
        waiting_for = await store.unconfirmed_names(svc.db, notice.id)
        if waiting_for and notice.withdrawn_at is None:
            separator = t(language, "notices.audience.separator")
            names = separator.join(waiting_for[:REPORT_NAMES])
            lines.append(
                t(language, "notices.report.unconfirmed", count=len(waiting_for), names=names)
            )
            if len(waiting_for) > REPORT_NAMES:
                more = len(waiting_for) - REPORT_NAMES
                lines.append(t(language, "notices.report.more", count=more))
    if resent:
        lines.append(t(language, "notices.report.resent", count=resent))
    if notice.reminded_at is not None:
        lines.append(
            t(
                language,
                "notices.report.reminded",
                count=notice.reminders,
                at=_local(svc, notice.reminded_at),
            )
        )
    if notice.withdrawn_at is not None:
        lines.append(
            t(
                language,
                "notices.report.withdrawn",
                at=_local(svc, notice.withdrawn_at),
                stopped=copies.get("cancelled", 0),
            )
        )
        if notice.withdraw_batch_id is not None:
            deletes = await store.batch_counts(svc.db, notice.withdraw_batch_id)
            lines.append(
                t(
                    language,
                    "notices.report.deleted",
                    deleted=deletes.get("sent", 0),
                    waiting=deletes.get("pending", 0) + deletes.get("sending", 0),
                    failed=sum(deletes.get(s, 0) for s in ("failed", "unreachable", "unknown")),
                )
            )
    groups = await store.group_counts(svc.db, notice.id)
    if groups:
        lines.append(t(language, "notices.report.by_group"))
        for group in groups[:REPORT_GROUP_LINES]:
            place = group.school or t(language, "notices.report.bureau")
            if group.class_name:
                place = t(language, "notices.place_class", school=place, klass=group.class_name)
            else:
                place = t(language, "notices.report.staff_of", school=place)
            key = (
                "notices.report.group_confirm"
                if notice.needs_confirmation
                else "notices.report.group"
            )
            lines.append(
                t(
                    language,
                    key,
                    place=place,
                    targeted=group.targeted,
                    sent=group.sent,
                    confirmed=group.confirmed,
                    unreachable=group.unreachable,
                )
            )
        if len(groups) > REPORT_GROUP_LINES:
            lines.append(
                t(language, "notices.report.more_groups", count=len(groups) - REPORT_GROUP_LINES)
            )
    return "\n".join(lines)


async def _stored_audience_name(
    svc: Services, language: str, notice: Notice, audience: Audience
) -> str:
    name = await audience_name(svc, language, audience, None)
    scoped = audience.kind in (*SCOPE_KINDS, "role") and not audience.class_ids
    if scoped and notice.school_id is not None:
        school = await store.school_name(svc.db, notice.school_id) or "?"
        return svc.catalog.t(language, "notices.in_school", what=name, school=school)
    return name


def report_buttons(catalog: Catalog, language: str, notice: Notice) -> Markup:
    def button(verb: str, arg: str = "") -> dict[str, str]:
        return {
            "text": catalog.t(language, f"notices.button.{verb}"),
            "callback_data": f"nt:{notice.id}:{verb}{arg}",
        }

    # rep:1 refreshes the report in place; a report opened from elsewhere is a new message.
    rows = [[button("rep", ":1"), button("xlsx")]]
    if notice.withdrawn_at is None:
        if notice.needs_confirmation:
            rows.append([button("rem")])
        rows.append([button("wd")])
    return {"inline_keyboard": rows}


async def remind(svc: Services, notice: Notice) -> RemindOutcome:
    """Send the unconfirmed a reminder with the button, at most once per configured interval."""
    if notice.withdrawn_at is not None:
        return RemindOutcome("withdrawn")
    if not notice.needs_confirmation:
        return RemindOutcome("not_needed")
    now = svc.now()
    interval = svc.config.notices.remind_interval_minutes * 60
    author = None
    if notice.author_id is not None:
        author = await people.person_by_id(svc.db, notice.author_id)
    default = svc.config.general.language
    async with svc.db.transaction() as tx:
        if not await store.claim_reminder(tx, notice.id, now, now - interval):
            fresh = await store.notice_by_id(tx, notice.id)
            if fresh is not None and fresh.withdrawn_at is not None:
                return RemindOutcome("withdrawn")
            last = fresh.reminded_at if fresh is not None and fresh.reminded_at else now
            wait = max(1, -(-(last + interval - now) // 60))
            return RemindOutcome("too_soon", wait_minutes=wait)
        targets = await store.unconfirmed(tx, notice.id)
        batch_id = await outbox.ensure_batch(tx, "notice_reminder", f"{notice.id}:{now}", now)
        items = []
        for person_id, chat_id, language in targets:
            lang = language or default
            text = svc.catalog.t(
                lang,
                "notices.reminder",
                sender=_sender(svc.catalog, lang, author),
                at=_local(svc, notice.created_at),
                excerpt=excerpt(notice.text, 200),
            )
            items.append(
                Outgoing(
                    dedup_key=f"nt:{notice.id}:{person_id}:r{now}",
                    lane=Lane.BULK,
                    chat_id=chat_id,
                    method="sendMessage",
                    payload={
                        "text": text,
                        "reply_markup": _confirm_markup(svc.catalog, lang, notice.id),
                    },
                    person_id=person_id,
                )
            )
        await outbox.enqueue_many(tx, items, now=now, batch_id=batch_id)
        await store.add_messages(tx, notice.id, "reminder", batch_id)
        await store.mark_reminded(tx, notice.id, [p for p, _, _ in targets], now)
    log.info("notice %d: reminded %d", notice.id, len(targets))
    svc.wake_outbox()
    return RemindOutcome("sent", len(targets))


async def withdraw(svc: Services, notice: Notice) -> WithdrawOutcome:
    """Stop copies not yet sent and delete those Telegram still lets the bot delete."""
    now = svc.now()
    async with svc.db.transaction() as tx:
        batch_id = await outbox.ensure_batch(tx, "notice_withdraw", str(notice.id), now)
        if not await store.mark_withdrawn(tx, notice.id, now, batch_id):
            return WithdrawOutcome("already")
        stopped = await outbox.cancel_pending(tx, notice.batch_id)
        for reminders in await store.reminder_batches(tx, notice.id):
            await outbox.cancel_pending(tx, reminders)
        deletions = []
        too_old = unknown = 0
        for outbox_id, person_id, chat_id, status, sent_at in await store.sent_copies(
            tx, notice.id
        ):
            if status == "unknown":
                # Timed out after the request left: there is no message id to delete by.
                unknown += 1
            elif sent_at is not None and now - sent_at > DELETE_WINDOW_SECONDS:
                too_old += 1
            else:
                # A copy still in flight is deleted once it is recorded as sent (edit_of waits).
                deletions.append(
                    Outgoing(
                        dedup_key=f"nt:{notice.id}:del:{outbox_id}",
                        lane=Lane.BULK,
                        chat_id=chat_id,
                        method="deleteMessage",
                        payload={"edit_of": outbox_id},
                        person_id=person_id,
                    )
                )
        await outbox.enqueue_many(tx, deletions, now=now, batch_id=batch_id)
        await store.add_messages(tx, notice.id, "delete", batch_id)
    log.info(
        "notice %d withdrawn: %d stopped, %d to delete, %d too old, %d unknown",
        notice.id,
        stopped,
        len(deletions),
        too_old,
        unknown,
    )
    svc.wake_outbox()
    return WithdrawOutcome("withdrawn", stopped, len(deletions), too_old, unknown)


async def export(
    svc: Services, notice: Notice, viewer: Viewer | None, language: str
) -> tuple[str, bytes]:
    """The receipts as an XLSX file (name, bytes); the export is audited."""
    rows = await store.recipients(svc.db, notice.id)
    data = noticexlsx.receipts_workbook(svc.catalog, language, notice, rows, svc.tz)
    async with svc.db.transaction() as tx:
        await audit.record(
            tx,
            actor_id=viewer.person.id if viewer is not None else None,
            action="notice_receipts_export",
            now=svc.now(),
            scope=f"notice:{notice.id}",
            rows=len(rows),
        )
    return f"notice-{notice.id}-receipts.xlsx", data
