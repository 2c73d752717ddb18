"""How a notice reads: the recipient's copy, its limits, its buttons, the short lines that name
it in lists and the composer's first question."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.core.access import Viewer
from bot.core.clock import from_epoch
from bot.core.config import LANGUAGES
from bot.core.i18n import Catalog
from bot.core.keyboard import Button, Keyboard, Screen, callback
from bot.core.services import Services
from bot.delivery.outbox import Lane, Outgoing
from bot.notices.audience import Audience, AudienceError, scope_school
from bot.notices.store import places as place_store
from bot.notices.store.audiences import Candidate
from bot.notices.store.notices import Notice
from bot.storage.records import Person

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
DRAFT_VERBS = ("m", "a", "conf", "back", "send", "cancel", "noop")
NOTICE_VERBS = ("ok", "rep", "rem", "xlsx", "wd", "wdy")

AREA = "nt"


@dataclass(frozen=True)
class Media:
    kind: str  # photo | document
    file_id: str


def sender_line(catalog: Catalog, language: str, author: Person | None) -> str:
    if author is None:
        return catalog.t(language, "notices.from_bureau")
    role = catalog.t(language, f"roles.{author.role}")
    return catalog.t(language, "notices.from_person", name=author.name, role=role)


def for_guardians(spec: str | None) -> bool:
    """A notice to guardians asks a 家长回执: "I have read and agree", not just "read"."""
    if spec is None:
        return False
    try:
        return Audience.parse(spec).guardians
    except AudienceError:
        return False


def render(
    catalog: Catalog,
    language: str,
    text: str,
    author: Person | None,
    needs_confirmation: bool,
    agree: bool = False,
) -> str:
    """The notice as a recipient in this language reads it; `agree` for a 家长回执."""
    parts = [
        catalog.t(language, "notices.header", sender=sender_line(catalog, language, author)),
        text,
    ]
    if needs_confirmation:
        footer = "notices.footer_agree" if agree else "notices.footer_confirm"
        parts.append(catalog.t(language, footer))
    return "\n\n".join(parts)


def text_limit(catalog: Catalog, author: Person | None) -> int:
    """The longest text that still fits one Telegram message with header and footer in every
    language."""
    overhead = max(
        len(render(catalog, lang, "", author, True, agree))
        for lang in LANGUAGES
        for agree in (False, True)
    )
    return TEXT_LIMIT - overhead


def button(catalog: Catalog, language: str, verb: str, number: int, *args: str) -> Button:
    """The button labelled notices.button.<verb> that sends nt:<number>:<verb>[:args]."""
    label = catalog.t(language, f"notices.button.{verb}")
    return Button(label, callback(AREA, number, verb, *args))


def open_button(catalog: Catalog, language: str, notice_id: int, prefix: str = "") -> Button:
    """The button that opens a notice's report in a new message."""
    label = prefix + catalog.t(language, "notices.button.open")
    return Button(label, callback(AREA, notice_id, "rep"))


def ask_text(catalog: Catalog, language: str, draft_id: int, author: Person) -> Screen:
    """The composer's first question: the notice's text, up to the limit, or Cancel."""
    limit = text_limit(catalog, author)
    return Screen(
        catalog.t(language, "notices.ask_text", limit=limit),
        Keyboard.of([button(catalog, language, "cancel", draft_id)]),
    )


def confirm_label(catalog: Catalog, language: str, agree: bool) -> str:
    """The receipt button: 已读 for students and staff, 已阅读并同意 for a 家长回执."""
    return catalog.t(language, "notices.button.agree" if agree else "notices.button.confirm")


def confirm_keyboard(
    catalog: Catalog, language: str, notice_id: int, agree: bool = False
) -> Keyboard:
    label = confirm_label(catalog, language, agree)
    return Keyboard.of([Button(label, callback(AREA, notice_id, "ok"))])


def copies(
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
    agree = person.role == "guardian"
    body = render(catalog, language, text, author, needs_confirmation, agree)
    payload: dict[str, Any] = {}
    if needs_confirmation:
        payload["reply_markup"] = confirm_keyboard(catalog, language, notice_id, agree).markup()
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


def local_time(svc: Services, seconds: int) -> str:
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
        at=local_time(svc, notice.created_at),
        excerpt=excerpt(notice.text),
    )


async def audience_name(
    svc: Services, language: str, audience: Audience, viewer: Viewer | None
) -> str:
    t = svc.catalog.t
    if audience.guardians:
        students = await audience_name(svc, language, audience.students, viewer)
        return t(language, "notices.audience.guardians_of", students=students)
    if audience.kind == "school" and audience.school_id is not None:
        return await place_store.school_name(svc.db, audience.school_id) or "?"
    if audience.kind == "class" and audience.class_id is not None:
        names = await place_store.class_name(svc.db, audience.class_id)
        return (
            "?"
            if names is None
            else t(language, "notices.place_class", school=names[0], klass=names[1])
        )
    if audience.class_ids:
        found = [await place_store.class_name(svc.db, i) for i in audience.class_ids]
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
    name = await place_store.school_name(svc.db, school) or "?"
    return t(language, "notices.in_school", what=what, school=name)


def counts_text(catalog: Catalog, language: str, counts: dict[str, int]) -> str:
    """'3 students, 1 class teacher' in the catalog's words."""
    parts = [
        catalog.t(language, "notices.count_role", count=n, role=catalog.t(language, f"roles.{r}"))
        for r, n in counts.items()
    ]
    return catalog.t(language, "notices.list_separator").join(parts) or "0"


def guardian_name(
    catalog: Catalog, language: str, name: str, children: tuple[str, ...] | None
) -> str:
    """A recipient as a receipt list names them: a guardian with the children it is for."""
    if children is None:
        return name
    separator = catalog.t(language, "notices.audience.separator")
    return catalog.t(language, "notices.guardian_of", name=name, children=separator.join(children))
