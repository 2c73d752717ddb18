"""Relayed conversations between a student and their teacher or counselor, and the contact log
(who, when, which way) that shows the teacher whom they have not reached today."""

from __future__ import annotations

import enum
import json
import logging
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from bot.contact import store
from bot.core.access import Viewer, covers_student
from bot.core.clock import from_epoch
from bot.core.services import Services
from bot.delivery.outbox import Lane, Outgoing, enqueue
from bot.people.viewer import viewer
from bot.storage import people
from bot.storage.records import Person

log = logging.getLogger(__name__)

# A conversation stays open this long after its last message; later texts are not relayed.
SESSION_MINUTES = 30
# Room left in a message for the header and hint around the relayed text.
TEXT_LIMIT = 3500
CAPTION_LIMIT = 800
TARGETS = ("teacher", "counselor")
# Kinds passed on with copyMessage: the recipient gets the voice note or file itself.
COPIED = ("voice", "audio", "video", "video_note", "animation", "sticker", "document")
# Telegram copies these without a caption: who sent them goes in a line just before.
CAPTIONLESS = frozenset({"sticker", "video_note"})


@dataclass(frozen=True)
class Message:
    """What a person sent: text, a photo (file_id) or another kind of media (copied from the
    sender's chat), with an optional caption in `text`."""

    chat_id: int
    message_id: int
    text: str = ""
    photo: str | None = None
    kind: str = "text"

    @property
    def channel(self) -> str:
        return "photo" if self.photo else self.kind

    @property
    def ref(self) -> str:
        return f"{self.chat_id}:{self.message_id}"


class Stale(enum.StrEnum):
    """Why a reply or conversation no longer goes through."""

    EXPIRED = "expired"
    OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Route:
    """Where a message goes: the student it is about, its recipients and its direction."""

    student_id: int
    recipients: tuple[int, ...]
    direction: str


async def open_for_student(services: Services, student: Person, target: str) -> list[Person]:
    """Start a student's conversation with their class teacher(s) or counselor(s); returns who
    will receive their messages (empty when nobody of that role is reachable)."""
    staff = await people.staff_for_student(services.db, student.id)
    peers = [p for p in staff if p.role == target and p.chat_id is not None]
    if peers:
        now = services.now()
        async with services.db.transaction() as tx:
            await store.open_session(
                tx,
                student.id,
                student.id,
                [p.id for p in peers],
                now=now,
                expires_at=now + SESSION_MINUTES * 60,
            )
    return peers


async def open_for_staff(services: Services, viewer: Viewer, student: Person) -> bool:
    """Start a staff member's conversation with a student they cover."""
    if not viewer.is_staff or not covers_student(viewer, student) or student.chat_id is None:
        return False
    now = services.now()
    async with services.db.transaction() as tx:
        await store.open_session(
            tx,
            viewer.person.id,
            student.id,
            [student.id],
            now=now,
            expires_at=now + SESSION_MINUTES * 60,
        )
    return True


async def write_to_student(
    services: Services, viewer: Viewer, student: Person, message: Message
) -> list[Person]:
    """Open a conversation with a student the viewer covers and pass them the message; returns
    whom it was enqueued for (nobody when out of scope or the student is not linked)."""
    if not await open_for_staff(services, viewer, student):
        return []
    route = Route(student.id, (student.id,), "out")
    return await relay(services, viewer.person, route, message)


async def close(services: Services, person: Person) -> bool:
    async with services.db.transaction() as tx:
        return await store.close_session(tx, person.id)


async def is_relayed_to(services: Services, person: Person, chat_id: int, message_id: int) -> bool:
    """Whether that message in the person's chat is one the bot relayed to them."""
    return await _relayed_to(services, person, chat_id, message_id) is not None


async def _relayed_to(
    services: Services, person: Person, chat_id: int, message_id: int
) -> store.Relayed | None:
    relayed = await store.relayed_message(services.db, chat_id, message_id)
    if relayed is None:
        return None
    if person.is_student:
        mine = relayed.student_id == person.id and relayed.direction == "out"
    else:
        mine = relayed.staff_id == person.id and relayed.direction == "in"
    return relayed if mine else None


async def relayed_student_text(
    services: Services, staff: Person, chat_id: int, message_id: int
) -> tuple[int, str] | None:
    """The student and the words of a student's message the bot relayed to this staff member
    as that message in their chat, without the header and hint the bot put around them."""
    found = await store.relayed_payload(services.db, chat_id, message_id)
    if found is None:
        return None
    relayed, payload = found
    if relayed.direction != "in" or relayed.staff_id != staff.id:
        return None
    body = json.loads(payload or "{}")
    shown = str(body.get("text") or body.get("caption") or "")
    # The payload is the header line, the words, a blank line and the hint (_payload below):
    # the hint goes first, so a photo without words leaves none rather than the hint.
    words = shown.rpartition("\n\n")[0].partition("\n")[2]
    return relayed.student_id, words.strip()


async def route_for(
    services: Services, person: Person, message: Message, reply_to: int | None
) -> Route | Stale | None:
    """Where this person's message goes: back along the relayed message they replied to, else
    to their open conversation; None if it is not part of a conversation, Stale when the reply
    is too old or the staff member no longer covers the student."""
    now = services.now()
    if reply_to is not None:
        relayed = await _relayed_to(services, person, message.chat_id, reply_to)
        if relayed is not None:
            if now - relayed.at > services.config.contact.reply_route_days * 86400:
                return Stale.EXPIRED
            staff_id = person.id if not person.is_student else relayed.staff_id
            if not await _still_covers(services, staff_id, relayed.student_id):
                return Stale.OUT_OF_SCOPE
            if person.is_student:
                return Route(person.id, (relayed.staff_id,), "in")
            return Route(relayed.student_id, (relayed.student_id,), "out")
    session = await store.session_for(services.db, person.id, now)
    if session is None:
        return None
    if not person.is_student and not await _still_covers(services, person.id, session.student_id):
        return Stale.OUT_OF_SCOPE
    direction = "in" if person.is_student else "out"
    return Route(session.student_id, session.peer_ids, direction)


async def _still_covers(services: Services, staff_id: int, student_id: int) -> bool:
    """Whether the staff member covers the student today (classes and schools change)."""
    staff = await people.person_by_id(services.db, staff_id)
    student = await people.person_by_id(services.db, student_id)
    if staff is None or student is None or await people.is_deactivated(services.db, staff_id):
        return False
    return covers_student(await viewer(services.db, staff), student)


async def relay(
    services: Services, sender: Person, route: Route, message: Message
) -> list[Person]:
    """Pass the message on to each recipient, log each contact, and keep the conversation open:
    the receiving student's plain replies then go back to the staff member. Returns whom a copy
    was enqueued for."""
    info = await people.student_info(services.db, route.student_id)
    recipients = await people.people_by_ids(services.db, list(route.recipients))
    if info is None:
        return []
    now = services.now()
    channel = message.channel
    sent: list[Person] = []
    async with services.db.transaction() as tx:
        for recipient in recipients:
            if recipient.chat_id is None:
                continue
            if route.direction == "in":
                staff_id, header = (
                    recipient.id,
                    _header_to_staff(services, recipient, info.person.name, info.class_name),
                )
            else:
                staff_id, header = sender.id, _header_to_student(services, recipient, sender)
            dedup_key = f"ct:{sender.id}:{message.ref}:{recipient.id}"
            method, payload = _payload(services, recipient, header, message)
            if message.kind in CAPTIONLESS:
                # The header line goes first and is the message a reply answers; the outbox
                # sends one chat's rows of a lane in the order they were written.
                outbox_id = await enqueue(
                    tx,
                    Outgoing(
                        dedup_key=f"{dedup_key}:header",
                        lane=Lane.ALERT,
                        chat_id=recipient.chat_id,
                        method="sendMessage",
                        payload=_text_payload(services, recipient, header, ""),
                        person_id=recipient.id,
                    ),
                    now=now,
                )
                if outbox_id is None:
                    continue
            copy_id = await enqueue(
                tx,
                Outgoing(
                    dedup_key=dedup_key,
                    lane=Lane.ALERT,
                    chat_id=recipient.chat_id,
                    method=method,
                    payload=payload,
                    person_id=recipient.id,
                ),
                now=now,
            )
            if message.kind not in CAPTIONLESS:
                outbox_id = copy_id
            if outbox_id is None:
                continue
            await store.log_contact(
                tx,
                student_id=info.person.id,
                staff_id=staff_id,
                direction=route.direction,
                channel=channel,
                outbox_id=outbox_id,
                message_ref=message.ref,
                now=now,
            )
            sent.append(recipient)
        expires = now + SESSION_MINUTES * 60
        await store.extend_session(tx, sender.id, expires)
        if route.direction == "out":
            await store.open_session(
                tx, info.person.id, info.person.id, [sender.id], now=now, expires_at=expires
            )
    if sent:
        log.info(
            "relayed %s %s for student %d to %d recipient(s)",
            channel,
            route.direction,
            info.person.id,
            len(sent),
        )
        services.wake_outbox()
    return sent


def _language(services: Services, person: Person) -> str:
    return person.language or services.config.general.language


def _header_to_staff(services: Services, staff: Person, name: str, class_name: str) -> str:
    return services.catalog.t(
        _language(services, staff), "contact.relay.from_student", name=name, class_name=class_name
    )


def _header_to_student(services: Services, student: Person, staff: Person) -> str:
    language = _language(services, student)
    role = services.catalog.t(language, f"roles.{staff.role}")
    return services.catalog.t(language, "contact.relay.from_staff", name=staff.name, role=role)


def _payload(
    services: Services, recipient: Person, header: str, message: Message
) -> tuple[str, dict[str, Any]]:
    """The Bot API method and parameters that carry the message to the recipient."""
    if message.kind in CAPTIONLESS:
        return "copyMessage", {"from_chat_id": message.chat_id, "message_id": message.message_id}
    if message.photo or message.kind in COPIED:
        hint = services.catalog.t(_language(services, recipient), "contact.relay.reply_hint")
        caption = message.text[:CAPTION_LIMIT]
        body = f"{header}\n{caption}" if caption else header
        if message.photo:
            return "sendPhoto", {"photo": message.photo, "caption": f"{body}\n\n{hint}"}
        return "copyMessage", {
            "from_chat_id": message.chat_id,
            "message_id": message.message_id,
            "caption": f"{body}\n\n{hint}",
        }
    return "sendMessage", _text_payload(services, recipient, header, message.text)


def _text_payload(services: Services, recipient: Person, header: str, text: str) -> dict[str, Any]:
    hint = services.catalog.t(_language(services, recipient), "contact.relay.reply_hint")
    text = text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "…"
    body = f"{header}\n{text}" if text else header
    return {"text": f"{body}\n\n{hint}"}


async def log_call(services: Services, viewer: Viewer, student: Person) -> bool:
    """Record a phone call a staff member made outside the bot to a student they cover."""
    if not viewer.is_staff or not covers_student(viewer, student):
        return False
    now = services.now()
    async with services.db.transaction() as tx:
        await store.log_contact(
            tx,
            student_id=student.id,
            staff_id=viewer.person.id,
            direction="call",
            channel="phone",
            outbox_id=None,
            message_ref=None,
            now=now,
        )
    log.info("call to student %d logged by person %d", student.id, viewer.person.id)
    return True


def _day_start(services: Services, now: int) -> int:
    local = from_epoch(now).astimezone(services.tz)
    return int(datetime.combine(local.date(), time(0), tzinfo=services.tz).timestamp())


async def not_contacted_today(services: Services, viewer: Viewer) -> list[Person]:
    """Isolated students of the teacher's classes nobody wrote to or phoned today."""
    now = services.now()
    return await store.isolated_students_without_contact(
        services.db, viewer.class_ids, _day_start(services, now), now
    )


async def find_student(services: Services, viewer: Viewer, query: str) -> list[Person]:
    """Students the viewer covers whose number or name is `query`."""
    return [s for s in await store.find_students(services.db, query) if covers_student(viewer, s)]
