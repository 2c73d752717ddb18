"""Alert cards: sending them to their recipients, redrawing them when the alert changes; what a
card says is bot.alerts.screens."""

from __future__ import annotations

from typing import Any

import aiosqlite

from bot.alerts.levels import deliver_at, lane
from bot.alerts.screens import render_card
from bot.alerts.store import alerts as alert_store
from bot.alerts.store.alerts import Alert
from bot.alerts.wording import clock_text
from bot.core.access import covers_student
from bot.core.services import Services
from bot.delivery import outbox
from bot.delivery.outbox import Outgoing, enqueue
from bot.people.viewer import viewer
from bot.safeguarding.crisis_facts import crisis_lines
from bot.storage import audit, people
from bot.storage.records import Person, StudentInfo


async def add_cards(
    tx: aiosqlite.Connection,
    services: Services,
    alert: Alert,
    info: StudentInfo,
    recipients: list[Person],
    *,
    reason: str,
    now: int,
) -> int:
    """Send a card to each recipient who has none yet; returns how many were added."""
    deliver = deliver_at(services, alert.level, now)
    added = 0
    for person in recipients:
        if person.chat_id is None:
            continue
        if not await alert_store.add_card(
            tx, alert.id, person.id, reason=reason, deliver_at=deliver, now=now
        ):
            continue
        await _send_card(tx, services, alert, info, person, deliver=deliver, now=now)
        added += 1
    return added


async def _send_card(
    tx: aiosqlite.Connection,
    services: Services,
    alert: Alert,
    info: StudentInfo,
    person: Person,
    *,
    deliver: int,
    now: int,
) -> None:
    assert person.chat_id is not None
    text, keyboard = await render_card(services, alert, info, person)
    outbox_id = await enqueue(
        tx,
        outbox.message(
            f"al:{alert.id}:{person.id}:send:{alert.revision}",
            lane(alert.level),
            person.chat_id,
            text,
            keyboard=keyboard,
            person_id=person.id,
            not_before=deliver if deliver > now else 0,
        ),
        now=now,
    )
    if outbox_id is not None:
        await alert_store.point_card(tx, alert.id, person.id, outbox_id, deliver)
        await _audit_card(tx, person, info, now)


async def _audit_card(
    tx: aiosqlite.Connection, person: Person, info: StudentInfo, now: int
) -> None:
    """A card shows the student's health data to its reader: recorded like any other view."""
    await audit.record(
        tx, actor_id=person.id, action="alert_card", now=now, student_id=info.person.id
    )


async def refresh_cards(
    tx: aiosqlite.Connection,
    services: Services,
    alert: Alert,
    info: StudentInfo,
    *,
    now: int,
    resend: bool = False,
    skip_person: int | None = None,
) -> None:
    """Bring every recipient's card up to date: edit it, or send it anew when `resend`."""
    cards = await alert_store.cards(tx, alert.id)
    recipients = {
        p.id: p for p in await people.people_by_ids(services.db, [c.person_id for c in cards])
    }
    for card in cards:
        person = recipients.get(card.person_id)
        if card.person_id == skip_person or person is None or person.chat_id is None:
            continue
        if not await covers(services, person, info.person):
            # A teacher whose student moved to another class keeps the old card, nothing new.
            continue
        if resend or card.outbox_id is None:
            if card.outbox_id is not None:
                # A card still held for quiet hours would arrive after the louder one.
                await outbox.withdraw_unsent(tx, card.outbox_id)
            deliver = max(deliver_at(services, alert.level, now), now)
            await _send_card(tx, services, alert, info, person, deliver=deliver, now=now)
            continue
        text, keyboard = await render_card(services, alert, info, person)
        # An edit must not overtake the card it edits while that card waits out quiet hours.
        not_before = card.deliver_at if card.deliver_at > now else 0
        edited = await enqueue(
            tx,
            Outgoing(
                dedup_key=f"al:{alert.id}:{person.id}:edit:{alert.revision}",
                lane=lane(alert.level),
                chat_id=person.chat_id,
                method="editMessageText",
                payload={
                    "edit_of": card.outbox_id,
                    "text": text,
                    "reply_markup": keyboard.markup(),
                },
                person_id=person.id,
                not_before=not_before,
            ),
            now=now,
        )
        if edited is not None:
            await _audit_card(tx, person, info, now)


async def notify_again(
    tx: aiosqlite.Connection,
    services: Services,
    alert: Alert,
    info: StudentInfo,
    said: dict[str, Any],
    level: str,
    now: int,
) -> None:
    """Tell of a new crisis message in a new message, as a reply to the card: the owner once
    someone took the alert, every recipient while nobody has."""
    cards = {c.person_id: c for c in await alert_store.cards(tx, alert.id)}
    if alert.state == "acknowledged" and alert.owner_id is not None:
        ids = [alert.owner_id]
    else:
        ids = list(cards)
    deliver = deliver_at(services, level, now)
    for person in await people.people_by_ids(services.db, ids):
        card = cards.get(person.id)
        if person.chat_id is None or not await covers(services, person, info.person):
            continue
        if card is not None and card.deliver_at > now:
            # The card itself waits out quiet hours and will say it when it comes.
            continue
        reply: dict[str, Any] = {}
        if card is not None and card.outbox_id is not None:
            reply["reply_of"] = card.outbox_id
        queued = await enqueue(
            tx,
            outbox.message(
                f"al:{alert.id}:{person.id}:again:{alert.revision}",
                lane(level),
                person.chat_id,
                _again_text(services, alert, info, person, said),
                person_id=person.id,
                not_before=deliver if deliver > now else 0,
                **reply,
            ),
            now=now,
        )
        if queued is not None:
            await _audit_card(tx, person, info, now)


def _again_text(
    services: Services, alert: Alert, info: StudentInfo, viewer: Person, said: dict[str, Any]
) -> str:
    catalog = services.catalog
    language = viewer.language or services.config.general.language
    t = catalog.t
    lines = [
        t(language, f"alerts.level.{alert.level}") + " · " + t(language, "alerts.kind.crisis"),
        t(
            language,
            "alerts.again.lead",
            name=info.person.name,
            class_name=info.class_name,
            when=clock_text(services, alert.seen_at),
        ),
    ]
    lines += crisis_lines(catalog, language, said, whole=viewer.role == "counselor")
    lines.append(
        t(
            language,
            "alerts.card.repeated",
            count=alert.signals,
            since=clock_text(services, alert.opened_at),
        )
    )
    return "\n".join(lines)


async def covers(services: Services, person: Person, student: Person) -> bool:
    return covers_student(await viewer(services.db, person), student)
