"""SQL for the outbox: exactly-once enqueue, claiming due rows, and recording what happened."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import aiosqlite

from bot.core.keyboard import Keyboard
from bot.storage.db import Database


class Lane(IntEnum):
    """Priority: a lower number always goes first."""

    URGENT = 0
    ALERT = 1
    CHECKIN = 2
    BULK = 3


@dataclass(frozen=True)
class Outgoing:
    """A message to start; payload holds the Bot API parameters except chat_id.

    An edit or delete of a message that another outbox row sent names it with
    payload["edit_of"] = that row's id; the worker fills in message_id when it sends. A reply
    to such a message names it with payload["reply_of"]; it goes as a plain message if that
    one never went out.
    """

    dedup_key: str
    lane: Lane
    chat_id: int
    method: str
    payload: dict[str, Any]
    person_id: int | None = None
    not_before: int = 0


def message(
    dedup_key: str,
    lane: Lane,
    chat_id: int,
    text: str,
    *,
    keyboard: Keyboard | None = None,
    person_id: int | None = None,
    not_before: int = 0,
    **options: Any,
) -> Outgoing:
    """A sendMessage row: text, an optional keyboard, and any other Bot API parameters."""
    payload: dict[str, Any] = {"text": text, **options}
    markup = keyboard.markup() if keyboard is not None else None
    if markup is not None:
        payload["reply_markup"] = markup
    return Outgoing(
        dedup_key=dedup_key,
        lane=lane,
        chat_id=chat_id,
        method="sendMessage",
        payload=payload,
        person_id=person_id,
        not_before=not_before,
    )


@dataclass(frozen=True)
class Row:
    """An outbox row as the delivery worker sees it."""

    id: int
    lane: int
    batch_id: int | None
    person_id: int | None
    chat_id: int
    method: str
    payload: dict[str, Any]
    attempts: int
    created_at: int


@dataclass(frozen=True)
class Outcome:
    """What one send attempt came to; status 'pending' means try again at not_before."""

    id: int
    status: str
    at: int
    message_id: int | None = None
    error: str | None = None
    not_before: int = 0


@dataclass(frozen=True)
class BatchReport:
    batch_id: int
    kind: str
    ref: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def queued(self) -> int:
        return sum(self.counts.values())

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def finished(self) -> bool:
        return self.count("pending") == 0 and self.count("sending") == 0


# Pending rows that may go once due. An edit or delete, or a reply, waits until the message it
# changes or answers has gone out (or never will), so it is not counted as due before that.
_REFERENCE = (
    "COALESCE(json_extract(o.payload, '$.edit_of'), json_extract(o.payload, '$.reply_of'))"
)
_WAITING = (
    f"o.status = 'pending' AND ({_REFERENCE} IS NULL OR NOT EXISTS ("
    f" SELECT 1 FROM outbox t WHERE t.id = {_REFERENCE} AND t.status IN ('pending', 'sending')))"
)

_INSERT = (
    "INSERT OR IGNORE INTO outbox (dedup_key, lane, batch_id, person_id, chat_id, method,"
    " payload, not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _values(item: Outgoing, now: int, batch_id: int | None) -> tuple[Any, ...]:
    return (
        item.dedup_key,
        int(item.lane),
        batch_id,
        item.person_id,
        item.chat_id,
        item.method,
        json.dumps(item.payload, ensure_ascii=False, separators=(",", ":")),
        item.not_before,
        now,
    )


async def ensure_batch(tx: aiosqlite.Connection, kind: str, ref: str, now: int) -> int:
    await tx.execute(
        "INSERT OR IGNORE INTO batches (kind, ref, created_at) VALUES (?, ?, ?)", (kind, ref, now)
    )
    async with tx.execute(
        "SELECT id FROM batches WHERE kind = ? AND ref = ?", (kind, ref)
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def enqueue(
    tx: aiosqlite.Connection, item: Outgoing, *, now: int, batch_id: int | None = None
) -> int | None:
    """The new row's id, or None when a row with this dedup key already exists."""
    cursor = await tx.execute(_INSERT, _values(item, now, batch_id))
    return cursor.lastrowid if cursor.rowcount == 1 else None


async def enqueue_many(
    tx: aiosqlite.Connection, items: Iterable[Outgoing], *, now: int, batch_id: int | None = None
) -> int:
    """Enqueue in one statement; returns how many rows were new."""
    before = tx.total_changes
    await tx.executemany(_INSERT, (_values(item, now, batch_id) for item in items))
    return tx.total_changes - before


async def reference_state(db: Database, outbox_id: int) -> tuple[str, int | None] | None:
    """(status, message_id) of a row another row edits or deletes."""
    row = await db.fetchone("SELECT status, message_id FROM outbox WHERE id = ?", (outbox_id,))
    return None if row is None else (row[0], row[1])


async def batch_report(db: Database, batch_id: int) -> BatchReport:
    head = await db.fetchone("SELECT kind, ref FROM batches WHERE id = ?", (batch_id,))
    rows = await db.fetchall(
        "SELECT status, COUNT(*) FROM outbox WHERE batch_id = ? GROUP BY status", (batch_id,)
    )
    kind, ref = (head[0], head[1]) if head is not None else ("", "")
    return BatchReport(batch_id, kind, ref, {r[0]: r[1] for r in rows})


async def unsummarized_batches(db: Database) -> list[int]:
    rows = await db.fetchall(
        "SELECT b.id FROM batches b WHERE b.summarized_at IS NULL AND NOT EXISTS ("
        " SELECT 1 FROM outbox o WHERE o.batch_id = b.id AND o.status IN ('pending', 'sending'))"
    )
    return [r[0] for r in rows]


async def mark_summarized(tx: aiosqlite.Connection, batch_ids: list[int], now: int) -> None:
    await tx.executemany(
        "UPDATE batches SET summarized_at = ? WHERE id = ?", [(now, b) for b in batch_ids]
    )


async def cancel_pending(tx: aiosqlite.Connection, batch_id: int) -> int:
    """Stop rows of a batch that have not gone out; rows already in flight still finish."""
    cursor = await tx.execute(
        "UPDATE outbox SET status = 'cancelled' WHERE batch_id = ? AND status = 'pending'",
        (batch_id,),
    )
    return cursor.rowcount


async def withdraw_unsent(tx: aiosqlite.Connection, outbox_id: int) -> int:
    """Cancel a message that has not gone out yet, with the pending edits of it."""
    cursor = await tx.execute(
        "UPDATE outbox SET status = 'cancelled' WHERE status = 'pending'"
        " AND (id = ? OR json_extract(payload, '$.edit_of') = ?)",
        (outbox_id, outbox_id),
    )
    return cursor.rowcount


async def withdraw_for_person(
    tx: aiosqlite.Connection, person_id: int, chat_id: int | None
) -> int:
    """Cancel every message not yet sent to a person (or their chat): they left or unbound."""
    cursor = await tx.execute(
        "UPDATE outbox SET status = 'cancelled' WHERE status = 'pending'"
        " AND (person_id = ? OR chat_id = ?)",
        (person_id, chat_id),
    )
    return cursor.rowcount


async def release_in_flight(tx: aiosqlite.Connection) -> int:
    """After a crash: rows claimed but not recorded go out again (the bounded duplicates)."""
    cursor = await tx.execute(
        "UPDATE outbox SET status = 'pending', resent_after_crash = 1 WHERE status = 'sending'"
    )
    return cursor.rowcount


async def return_claimed(tx: aiosqlite.Connection, ids: list[int]) -> None:
    """Give back rows that were claimed but never attempted (a clean stop)."""
    await tx.executemany(
        "UPDATE outbox SET status = 'pending', attempts = attempts - 1"
        " WHERE id = ? AND status = 'sending'",
        [(i,) for i in ids],
    )


async def claim(tx: aiosqlite.Connection, lane: int, limit: int, now: int) -> list[Row]:
    """Take up to limit due rows of a lane, oldest first, marking them in flight."""
    async with tx.execute(
        "SELECT id, lane, batch_id, person_id, chat_id, method, payload, attempts, created_at"
        f" FROM outbox o WHERE {_WAITING} AND lane = ? AND not_before <= ? ORDER BY id LIMIT ?",
        (lane, now, limit),
    ) as cursor:
        rows = list(await cursor.fetchall())
    if rows:
        await tx.executemany(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = ?",
            [(r[0],) for r in rows],
        )
    return [
        Row(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7] + 1, r[8]) for r in rows
    ]


async def next_due_at(db: Database) -> int | None:
    """When the earliest waiting row becomes due (for the worker's sleep)."""
    value = await db.scalar(f"SELECT MIN(o.not_before) FROM outbox o WHERE {_WAITING}")
    return None if value is None else int(value)


async def record(tx: aiosqlite.Connection, outcomes: list[Outcome]) -> None:
    await tx.executemany(
        "UPDATE outbox SET status = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END,"
        " message_id = COALESCE(?, message_id), error = ?, not_before = ? WHERE id = ?",
        [(o.status, o.status, o.at, o.message_id, o.error, o.not_before, o.id) for o in outcomes],
    )
    # A message that arrived shows the person reachable again (they unblocked the bot), so a
    # later block starts a new episode with its own alert.
    await tx.executemany(
        "UPDATE people SET unreachable_at = NULL WHERE unreachable_at IS NOT NULL"
        " AND id = (SELECT person_id FROM outbox WHERE id = ?)",
        [(o.id,) for o in outcomes if o.status == "sent"],
    )


async def mark_unreachable(tx: aiosqlite.Connection, person_ids: list[int], now: int) -> None:
    await tx.executemany(
        "UPDATE people SET unreachable_at = COALESCE(unreachable_at, ?) WHERE id = ?",
        [(now, p) for p in person_ids],
    )


async def status_counts(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT status, COUNT(*) FROM outbox GROUP BY status")
    return {r[0]: r[1] for r in rows}


async def due_count(db: Database, now: int) -> int:
    return int(
        await db.scalar(
            "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')"
            " AND not_before <= ?",
            (now,),
        )
    )
