"""SQL for the recipients of a notice: their copies, confirmations, reminders and withdrawal."""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite

from bot.notices.store.audiences import Candidate
from bot.notices.store.reader import fetch_all
from bot.notices.store.reports import CHILDREN, children_of
from bot.storage.db import Database


async def insert_recipients(
    tx: aiosqlite.Connection, notice_id: int, people: Sequence[Candidate]
) -> None:
    await tx.executemany(
        "INSERT INTO notice_recipients (notice_id, person_id, role, school_id, class_id)"
        " VALUES (?, ?, ?, ?, ?)",
        [(notice_id, c.person_id, c.role, c.school_id, c.class_id) for c in people],
    )


async def link_outbox(tx: aiosqlite.Connection, notice_id: int, media: bool) -> None:
    """Point each recipient at the outbox rows just queued for them (found by dedup key)."""
    await tx.execute(
        "UPDATE notice_recipients AS r SET outbox_id = (SELECT o.id FROM outbox o"
        " WHERE o.dedup_key = 'nt:' || r.notice_id || ':' || r.person_id) WHERE r.notice_id = ?",
        (notice_id,),
    )
    if media:
        await tx.execute(
            "UPDATE notice_recipients AS r SET media_outbox_id = (SELECT o.id FROM outbox o"
            " WHERE o.dedup_key = 'nt:' || r.notice_id || ':' || r.person_id || ':m')"
            " WHERE r.notice_id = ?",
            (notice_id,),
        )


async def confirm(
    tx: aiosqlite.Connection, notice_id: int, person_id: int, now: int
) -> bool | None:
    """Record a receipt once: True when recorded now, False if already, None if the person is
    not a recipient."""
    cursor = await tx.execute(
        "UPDATE notice_recipients SET confirmed_at = ?"
        " WHERE notice_id = ? AND person_id = ? AND confirmed_at IS NULL",
        (now, notice_id, person_id),
    )
    if cursor.rowcount == 1:
        return True
    async with tx.execute(
        "SELECT 1 FROM notice_recipients WHERE notice_id = ? AND person_id = ?",
        (notice_id, person_id),
    ) as found:
        return False if await found.fetchone() is not None else None


async def claim_reminder(
    tx: aiosqlite.Connection, notice_id: int, now: int, earliest_last: int
) -> bool:
    """Take the right to remind now, unless someone reminded after earliest_last."""
    cursor = await tx.execute(
        "UPDATE notices SET reminded_at = ?, reminders = reminders + 1 WHERE id = ?"
        " AND withdrawn_at IS NULL AND (reminded_at IS NULL OR reminded_at <= ?)",
        (now, notice_id, earliest_last),
    )
    return cursor.rowcount == 1


async def unconfirmed(
    tx: aiosqlite.Connection, notice_id: int
) -> list[tuple[int, int, str | None]]:
    """(person id, chat id, language) of recipients whose copy reached them (or may have) and
    who have not confirmed."""
    async with tx.execute(
        "SELECT p.id, p.chat_id, p.language FROM notice_recipients r"
        " JOIN people p ON p.id = r.person_id JOIN outbox o ON o.id = r.outbox_id"
        " WHERE r.notice_id = ? AND r.confirmed_at IS NULL AND p.chat_id IS NOT NULL"
        " AND o.status IN ('sent', 'unknown') ORDER BY p.id",
        (notice_id,),
    ) as cursor:
        return [(r[0], r[1], r[2]) for r in await cursor.fetchall()]


async def unconfirmed_names(
    db: Database, notice_id: int
) -> list[tuple[str, tuple[str, ...] | None]]:
    """Names of the recipients a copy reached (or may have) who have not confirmed, by class
    and number, each with a guardian's children."""
    rows = await fetch_all(
        db,
        f"SELECT p.name, p.role, {CHILDREN} FROM notice_recipients r"
        " JOIN people p ON p.id = r.person_id"
        " JOIN outbox o ON o.id = r.outbox_id LEFT JOIN classes c ON c.id = p.class_id"
        " WHERE r.notice_id = ? AND r.confirmed_at IS NULL AND o.status IN ('sent', 'unknown')"
        " ORDER BY c.name, p.number, p.id",
        (notice_id,),
    )
    return [(r[0], children_of(r[1], r[2])) for r in rows]


async def mark_reminded(
    tx: aiosqlite.Connection, notice_id: int, person_ids: Sequence[int], now: int
) -> None:
    await tx.executemany(
        "UPDATE notice_recipients SET reminded_at = ? WHERE notice_id = ? AND person_id = ?",
        [(now, notice_id, p) for p in person_ids],
    )


async def add_messages(tx: aiosqlite.Connection, notice_id: int, kind: str, batch_id: int) -> None:
    """Remember the rows of a reminder or deletion batch as the notice's."""
    await tx.execute(
        "INSERT OR IGNORE INTO notice_messages (notice_id, outbox_id, kind)"
        " SELECT ?, id, ? FROM outbox WHERE batch_id = ?",
        (notice_id, kind, batch_id),
    )


async def reminder_batches(tx: aiosqlite.Connection, notice_id: int) -> list[int]:
    async with tx.execute(
        "SELECT DISTINCT o.batch_id FROM notice_messages m JOIN outbox o ON o.id = m.outbox_id"
        " WHERE m.notice_id = ? AND m.kind = 'reminder' AND o.batch_id IS NOT NULL",
        (notice_id,),
    ) as cursor:
        return [r[0] for r in await cursor.fetchall()]


async def sent_copies(
    tx: aiosqlite.Connection, notice_id: int
) -> list[tuple[int, int, int, str, int | None]]:
    """(outbox id, person id, chat id, status, sent_at) of every message the notice sent or is
    sending: copies, attachments and reminders."""
    async with tx.execute(
        "SELECT o.id, o.person_id, o.chat_id, o.status, o.sent_at FROM outbox o WHERE o.id IN ("
        " SELECT outbox_id FROM notice_recipients WHERE notice_id = :n AND outbox_id IS NOT NULL"
        " UNION SELECT media_outbox_id FROM notice_recipients"
        "  WHERE notice_id = :n AND media_outbox_id IS NOT NULL"
        " UNION SELECT outbox_id FROM notice_messages WHERE notice_id = :n AND kind = 'reminder'"
        ") AND o.status IN ('sent', 'sending', 'unknown') ORDER BY o.id",
        {"n": notice_id},
    ) as cursor:
        return [(r[0], r[1], r[2], r[3], r[4]) for r in await cursor.fetchall()]


async def mark_withdrawn(
    tx: aiosqlite.Connection, notice_id: int, now: int, batch_id: int
) -> bool:
    cursor = await tx.execute(
        "UPDATE notices SET withdrawn_at = ?, withdraw_batch_id = ?"
        " WHERE id = ? AND withdrawn_at IS NULL",
        (now, batch_id, notice_id),
    )
    return cursor.rowcount == 1
