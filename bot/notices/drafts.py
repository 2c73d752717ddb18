"""Drafts of the /notice flow: text, attachment, audience, confirmation and the preview."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.access import STAFF_ROLES, Viewer
from bot.core.i18n import Catalog
from bot.core.keyboard import Button, Keyboard, Screen, callback
from bot.core.services import Services
from bot.notices.audience import Audience, AudienceError, scope_school
from bot.notices.render import (
    AREA,
    Media,
    audience_name,
    button,
    confirm_label,
    counts_text,
    for_guardians,
    render,
    text_limit,
)
from bot.notices.sending import may_send
from bot.notices.store import audiences as audience_store
from bot.notices.store import drafts as draft_store
from bot.notices.store.drafts import Draft
from bot.storage.records import Person

ROLE_ORDER = ("student", "guardian", *STAFF_ROLES)


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


def refusal_text(catalog: Catalog, language: str, outcome: TextOutcome) -> str:
    """Why a text was not taken: too long for one message, or empty."""
    key = "notices.too_long" if outcome.length > outcome.limit else "notices.empty"
    return catalog.t(language, key, length=outcome.length, limit=outcome.limit)


async def start_draft(svc: Services, author: Person) -> int:
    async with svc.db.transaction() as tx:
        return await draft_store.new_draft(tx, author.id, svc.now())


async def draft_for(svc: Services, author: Person) -> Draft | None:
    return await draft_store.draft_by_author(svc.db, author.id)


async def draft_by_id(svc: Services, draft_id: int, author: Person) -> Draft | None:
    draft = await draft_store.draft_by_id(svc.db, draft_id)
    return draft if draft is not None and draft.author_id == author.id else None


async def accept_text(svc: Services, draft: Draft, author: Person, text: str) -> TextOutcome:
    """Take the text of a draft, unless it is too long to send as one message."""
    limit = text_limit(svc.catalog, author)
    if len(text) > limit or not text.strip():
        return TextOutcome(False, len(text), limit)
    async with svc.db.transaction() as tx:
        stage = "audience" if draft.stage == "text" else draft.stage
        await draft_store.update_draft(tx, draft.id, author.id, svc.now(), text=text, stage=stage)
    return TextOutcome(True, len(text), limit)


async def attach(svc: Services, draft: Draft, author: Person, media: Media) -> None:
    async with svc.db.transaction() as tx:
        await draft_store.update_draft(
            tx, draft.id, author.id, svc.now(), media_kind=media.kind, media_file_id=media.file_id
        )


async def choose_audience(svc: Services, draft: Draft, viewer: Viewer, code: str) -> bool:
    """Set the draft's audience if the author may target it; the draft is then previewed."""
    try:
        audience = Audience.from_code(code)
    except AudienceError:
        return False
    if draft.text is None or not await may_send(svc, viewer, audience):
        return False
    async with svc.db.transaction() as tx:
        return await draft_store.update_draft(
            tx, draft.id, viewer.person.id, svc.now(), audience=audience.spec, stage="preview"
        )


async def toggle_confirmation(svc: Services, draft: Draft, author: Person) -> bool:
    async with svc.db.transaction() as tx:
        await draft_store.update_draft(
            tx,
            draft.id,
            author.id,
            svc.now(),
            needs_confirmation=int(not draft.needs_confirmation),
        )
    return not draft.needs_confirmation


async def back_to_audience(svc: Services, draft: Draft, author: Person) -> None:
    async with svc.db.transaction() as tx:
        await draft_store.update_draft(tx, draft.id, author.id, svc.now(), stage="audience")


async def cancel_draft(svc: Services, draft_id: int, author: Person) -> bool:
    async with svc.db.transaction() as tx:
        return await draft_store.delete_draft(tx, draft_id, author.id)


async def preview(svc: Services, draft: Draft, viewer: Viewer, language: str) -> Preview:
    """The notice as recipients will read it, and how many it would reach, by role."""
    assert draft.text is not None and draft.audience is not None
    audience = Audience.parse(draft.audience)
    counts = await audience_store.candidate_counts(
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
            svc.catalog,
            language,
            draft.text,
            viewer.person,
            draft.needs_confirmation,
            audience.guardians,
        ),
        audience=await audience_name(svc, language, audience, viewer),
        counts={role: by_role[role] for role in ROLE_ORDER if by_role.get(role)},
        no_account=no_account,
    )


def preview_keyboard(catalog: Catalog, language: str, draft: Draft) -> Keyboard:
    """The recipients' confirm button under the preview copy, pressing it only says so."""
    if not draft.needs_confirmation:
        return Keyboard()
    label = confirm_label(catalog, language, for_guardians(draft.audience))
    return Keyboard.of([Button(label, callback(AREA, draft.id, "noop"))])


def preview_summary(catalog: Catalog, language: str, draft: Draft, shown: Preview) -> Screen:
    """Who the notice reaches, whether it asks for receipts, then Send, Change and Cancel."""
    t = catalog.t
    lines = [
        t(language, "notices.preview.head", audience=shown.audience),
        t(
            language,
            "notices.preview.count",
            total=shown.total,
            counts=counts_text(catalog, language, shown.counts),
        ),
    ]
    if shown.no_account:
        lines.append(t(language, "notices.preview.no_account", count=shown.no_account))
    if not draft.needs_confirmation:
        confirm = "notices.preview.confirm_off"
    elif for_guardians(draft.audience):
        confirm = "notices.preview.agree_on"
    else:
        confirm = "notices.preview.confirm_on"
    lines.append(t(language, confirm))
    rows = []
    if shown.total > shown.no_account:
        rows.append([button(catalog, language, "send", draft.id)])
    else:
        lines.append(t(language, "notices.preview.nobody"))
    change = Button(t(language, "notices.button.change"), callback(AREA, draft.id, "back"))
    rows.append([change, button(catalog, language, "cancel", draft.id)])
    return Screen("\n".join(lines), Keyboard.of(*rows))
