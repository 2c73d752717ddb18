"""Counselor feedback on the crisis screen: messages staff say it missed (/missed), and crisis
alerts labelled "Not a concern", kept as labelled examples and exported for review (XLSX, no
names or student ids) so the screen can be improved on what students really write."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, get_args
from zoneinfo import ZoneInfo

import aiosqlite

from bot.core import xlsx
from bot.core.access import Viewer
from bot.core.clock import from_epoch
from bot.core.i18n import Catalog
from bot.core.keyboard import Button, Keyboard, Screen, callback
from bot.core.services import Services
from bot.safeguarding import screen as crisis
from bot.safeguarding import store
from bot.safeguarding.crisis_facts import crisis_parts
from bot.storage import audit
from bot.storage.db import Database
from bot.storage.records import Person

log = logging.getLogger(__name__)

CATEGORIES: tuple[str, ...] = get_args(crisis.Category)
# What a staff member may say a missed message is: a warning sign, or that they cannot tell.
LABELS = (*CATEGORIES, "unsure")
# Long enough for a forwarded paragraph; a pasted essay is cut rather than refused.
TEXT_LIMIT = 2000
COLUMNS = ("text", "label", "label_tier", "screen_now", "source", "reported", "labelled")
WIDTHS = (60, 22, 10, 26, 14, 17, 17)
# cm:<example id>:<label>: the reporter labels the message they said the screen missed.
AREA = "cm"
# Labels per row of buttons: two fit a phone's width in either language.
LABELS_PER_ROW = 2


def label_screen(catalog: Catalog, language: str, example_id: int) -> Screen:
    """Ask the reporter what the missed message is, with one button per label."""
    buttons = [
        Button(
            catalog.t(language, f"crisis_review.label.{label}"), callback(AREA, example_id, label)
        )
        for label in LABELS
    ]
    rows = (buttons[i : i + LABELS_PER_ROW] for i in range(0, len(buttons), LABELS_PER_ROW))
    return Screen(catalog.t(language, "crisis_review.missed.ask"), Keyboard.of(*rows))


def label_tier(label: str | None) -> str:
    """The tier a label means: urgent or concern for a warning sign, else the label itself."""
    if label in CATEGORIES:
        return crisis.tier_of(label)
    return label or ""


async def record_missed(
    services: Services, viewer: Viewer, text: str, student_id: int | None = None
) -> int:
    """Keep a message a staff member says the screen missed, unlabelled until they choose."""
    now = services.now()
    async with services.db.transaction() as tx:
        example_id = await store.add_example(
            tx,
            source="missed",
            text=text[:TEXT_LIMIT],
            labelled_by=viewer.person.id,
            now=now,
            student_id=student_id,
        )
    # Who reported, not what: the text is a student's health data.
    log.info("person %d reported a message the crisis screen missed", viewer.person.id)
    return example_id


async def keep_not_concern(
    tx: aiosqlite.Connection,
    facts: dict[str, Any],
    *,
    student_id: int,
    alert_id: int,
    labelled_by: int,
    now: int,
) -> None:
    """Keep each message a crisis alert held as an example labelled "none": the counselor said
    the screen raised it for nothing."""
    for said in crisis_parts(facts).values():
        text = str(said.get("message") or said.get("span") or "")
        if not text:
            continue
        await store.add_example(
            tx,
            source="not_concern",
            text=text,
            label="none",
            labelled_by=labelled_by,
            now=now,
            student_id=student_id,
            alert_id=alert_id,
        )


async def label_missed(services: Services, person: Person, example_id: int, label: str) -> bool:
    """Label one's own reported message; False for an unknown label or someone else's report."""
    if label not in LABELS:
        return False
    async with services.db.transaction() as tx:
        return await store.set_label(tx, example_id, person.id, label, services.now())


def verdict(catalog: Catalog, language: str, text: str) -> str:
    """What the screen says of the text today, in words."""
    hit = crisis.screen_text(text)
    if hit is None:
        return catalog.t(language, "crisis_review.verdict.none")
    return (
        catalog.t(language, f"crisis_review.tier.{hit.tier}")
        + " · "
        + catalog.t(language, f"alerts.crisis_category.{hit.category}")
    )


def label_text(catalog: Catalog, language: str, label: str | None) -> str:
    if label is None:
        return catalog.t(language, "crisis_review.label.pending")
    return catalog.t(language, f"crisis_review.label.{label}")


async def export_review(
    db: Database, catalog: Catalog, language: str, tz: ZoneInfo, path: Path, now: int
) -> int:
    """Write every labelled example to an XLSX file (text stays text) and audit the export;
    returns how many rows."""
    examples = await store.all_examples(db)
    book = xlsx.Book({}, path=path)
    header = [catalog.t(language, f"crisis_review.xlsx.{c}") for c in COLUMNS]
    sheet = book.sheet(catalog.t(language, "crisis_review.xlsx.sheet"), WIDTHS, header)

    def when(seconds: int | None) -> str | None:
        if seconds is None:
            return None
        return from_epoch(seconds).astimezone(tz).strftime("%Y-%m-%d %H:%M")

    for example in examples:
        tier = label_tier(example.label)
        sheet.append(
            [
                example.text,
                label_text(catalog, language, example.label),
                catalog.t(language, f"crisis_review.tier.{tier}") if tier else None,
                verdict(catalog, language, example.text),
                catalog.t(language, f"crisis_review.source.{example.source}"),
                when(example.created_at),
                when(example.labelled_at),
            ]
        )
    book.close()
    async with db.transaction() as tx:
        await audit.record(
            tx, actor_id=None, action="crisis_review_export", now=now, scope="crisis_examples"
        )
    return len(examples)
