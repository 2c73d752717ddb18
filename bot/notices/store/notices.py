"""SQL for the notices themselves."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import aiosqlite

from bot.notices.store.reader import Reader, fetch_one
from bot.storage.db import Database


@dataclass(frozen=True)
class Notice:
    id: int
    draft_id: int | None
    author_id: int | None
    school_id: int | None
    audience: str
    text: str
    media_kind: str | None
    media_file_id: str | None
    needs_confirmation: bool
    batch_id: int
    created_at: int
    reminded_at: int | None
    reminders: int
    withdrawn_at: int | None
    withdraw_batch_id: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Notice:
        return cls(
            id=row["id"],
            draft_id=row["draft_id"],
            author_id=row["author_id"],
            school_id=row["school_id"],
            audience=row["audience"],
            text=row["text"],
            media_kind=row["media_kind"],
            media_file_id=row["media_file_id"],
            needs_confirmation=bool(row["needs_confirmation"]),
            batch_id=row["batch_id"],
            created_at=row["created_at"],
            reminded_at=row["reminded_at"],
            reminders=row["reminders"],
            withdrawn_at=row["withdrawn_at"],
            withdraw_batch_id=row["withdraw_batch_id"],
        )


_NOTICE = (
    "SELECT id, draft_id, author_id, school_id, audience, text, media_kind, media_file_id,"
    " needs_confirmation, batch_id, created_at, reminded_at, reminders, withdrawn_at,"
    " withdraw_batch_id FROM notices"
)


async def insert_notice(
    tx: aiosqlite.Connection,
    *,
    draft_id: int | None,
    author_id: int | None,
    school_id: int | None,
    audience: str,
    text: str,
    media_kind: str | None,
    media_file_id: str | None,
    needs_confirmation: bool,
    batch_id: int,
    now: int,
) -> int:
    cursor = await tx.execute(
        "INSERT INTO notices (draft_id, author_id, school_id, audience, text, media_kind,"
        " media_file_id, needs_confirmation, batch_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            draft_id,
            author_id,
            school_id,
            audience,
            text,
            media_kind,
            media_file_id,
            int(needs_confirmation),
            batch_id,
            now,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def next_notice_id(tx: aiosqlite.Connection) -> int:
    """The id the next notice will get (the writer lock is held, so nobody takes it first)."""
    async with tx.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM notices") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def notice_by_id(db: Reader, notice_id: int) -> Notice | None:
    row = await fetch_one(db, f"{_NOTICE} WHERE id = ?", (notice_id,))
    return None if row is None else Notice.from_row(row)


async def notice_by_draft(db: Reader, draft_id: int) -> Notice | None:
    row = await fetch_one(db, f"{_NOTICE} WHERE draft_id = ?", (draft_id,))
    return None if row is None else Notice.from_row(row)


async def recent_notices(
    db: Database,
    *,
    everything: bool,
    author_id: int | None,
    school_id: int | None,
    limit: int,
    before_id: int | None = None,
) -> list[Notice]:
    """The latest notices (older than before_id, when given): all of them, or those by the
    author or lying in the school."""
    below = before_id if before_id is not None else -1
    if everything:
        rows = await db.fetchall(
            f"{_NOTICE} WHERE (? < 0 OR id < ?) ORDER BY id DESC LIMIT ?", (below, below, limit)
        )
    else:
        rows = await db.fetchall(
            f"{_NOTICE} WHERE (author_id = ? OR (school_id IS NOT NULL AND school_id = ?))"
            " AND (? < 0 OR id < ?) ORDER BY id DESC LIMIT ?",
            (author_id, school_id, below, below, limit),
        )
    return [Notice.from_row(r) for r in rows]
