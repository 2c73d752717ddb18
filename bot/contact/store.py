"""SQL for contact between students and staff: the contact log and open conversations."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiosqlite

from bot.storage.db import Database
from bot.storage.people import _PERSON
from bot.storage.records import Person


@dataclass(frozen=True)
class Session:
    """A person's open conversation: their texts go to peer_ids, about student_id."""

    person_id: int
    student_id: int
    peer_ids: tuple[int, ...]
    expires_at: int


@dataclass(frozen=True)
class Relayed:
    """A contact row found from the relayed message someone replied to."""

    student_id: int
    staff_id: int
    direction: str
    at: int


async def log_contact(
    tx: aiosqlite.Connection,
    *,
    student_id: int,
    staff_id: int,
    direction: str,
    channel: str,
    outbox_id: int | None,
    message_ref: str | None,
    now: int,
) -> int:
    cursor = await tx.execute(
        "INSERT INTO contacts (student_id, staff_id, at, direction, channel, outbox_id,"
        " message_ref) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (student_id, staff_id, now, direction, channel, outbox_id, message_ref),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def relayed_message(db: Database, chat_id: int, message_id: int) -> Relayed | None:
    """The contact whose relayed copy is this message in this chat (message ids are per chat)."""
    found = await relayed_payload(db, chat_id, message_id)
    return None if found is None else found[0]


async def relayed_payload(
    db: Database, chat_id: int, message_id: int
) -> tuple[Relayed, str] | None:
    """The contact and the payload (JSON) of the relayed copy that is this message."""
    row = await db.fetchone(
        "SELECT c.student_id, c.staff_id, c.direction, c.at, o.payload FROM contacts c"
        " JOIN outbox o ON o.id = c.outbox_id WHERE o.chat_id = ? AND o.message_id = ?"
        " ORDER BY c.id DESC LIMIT 1",
        (chat_id, message_id),
    )
    return None if row is None else (Relayed(row[0], row[1], row[2], row[3]), row[4])


async def open_session(
    tx: aiosqlite.Connection,
    person_id: int,
    student_id: int,
    peer_ids: list[int],
    *,
    now: int,
    expires_at: int,
) -> None:
    await tx.execute(
        "INSERT INTO contact_sessions (person_id, student_id, peer_ids, started_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (person_id) DO UPDATE SET"
        " student_id = excluded.student_id, peer_ids = excluded.peer_ids,"
        " started_at = excluded.started_at, expires_at = excluded.expires_at",
        (person_id, student_id, json.dumps(sorted(peer_ids)), now, expires_at),
    )


async def session_for(db: Database, person_id: int, now: int) -> Session | None:
    row = await db.fetchone(
        "SELECT person_id, student_id, peer_ids, expires_at FROM contact_sessions"
        " WHERE person_id = ? AND expires_at > ?",
        (person_id, now),
    )
    if row is None:
        return None
    return Session(row[0], row[1], tuple(json.loads(row[2])), row[3])


async def extend_session(tx: aiosqlite.Connection, person_id: int, expires_at: int) -> None:
    await tx.execute(
        "UPDATE contact_sessions SET expires_at = MAX(expires_at, ?) WHERE person_id = ?",
        (expires_at, person_id),
    )


async def close_session(tx: aiosqlite.Connection, person_id: int) -> bool:
    cursor = await tx.execute("DELETE FROM contact_sessions WHERE person_id = ?", (person_id,))
    return cursor.rowcount == 1


async def isolated_students_without_contact(
    db: Database, class_ids: frozenset[int], since: int, now: int
) -> list[Person]:
    """Isolated students of these classes that no staff member wrote to or phoned since `since`."""
    if not class_ids:
        return []
    marks = ",".join("?" * len(class_ids))
    rows = await db.fetchall(
        f"{_PERSON} WHERE role = 'student' AND class_id IN ({marks})"
        " AND id IN (SELECT student_id FROM isolations WHERE started_at <= ?"
        "  AND (ended_at IS NULL OR ended_at > ?) AND purged_at IS NULL)"
        " AND id NOT IN (SELECT student_id FROM contacts WHERE at >= ?"
        "  AND direction IN ('out', 'call'))"
        " ORDER BY number",
        [*sorted(class_ids), now, now, since],
    )
    return [Person.from_row(r) for r in rows]


async def find_students(db: Database, query: str) -> list[Person]:
    """Students whose number or name is exactly `query`."""
    rows = await db.fetchall(
        f"{_PERSON} WHERE role = 'student' AND (number = ? OR name = ?) ORDER BY id",
        (query, query),
    )
    return [Person.from_row(r) for r in rows]
