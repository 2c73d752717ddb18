"""SQL for notice drafts: one unfinished draft per author."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.notices.store.reader import Reader, fetch_one


@dataclass(frozen=True)
class Draft:
    id: int
    author_id: int
    stage: str
    text: str | None
    media_kind: str | None
    media_file_id: str | None
    audience: str | None
    needs_confirmation: bool

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Draft:
        return cls(
            id=row["id"],
            author_id=row["author_id"],
            stage=row["stage"],
            text=row["text"],
            media_kind=row["media_kind"],
            media_file_id=row["media_file_id"],
            audience=row["audience"],
            needs_confirmation=bool(row["needs_confirmation"]),
        )


_DRAFT = (
    "SELECT id, author_id, stage, text, media_kind, media_file_id, audience, needs_confirmation"
    " FROM notice_drafts"
)


async def new_draft(tx: aiosqlite.Connection, author_id: int, now: int) -> int:
    """Start a fresh draft for the author, dropping any unfinished one."""
    await tx.execute("DELETE FROM notice_drafts WHERE author_id = ?", (author_id,))
    cursor = await tx.execute(
        "INSERT INTO notice_drafts (author_id, stage, created_at, updated_at)"
        " VALUES (?, 'text', ?, ?)",
        (author_id, now, now),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def draft_by_author(db: Reader, author_id: int) -> Draft | None:
    row = await fetch_one(db, f"{_DRAFT} WHERE author_id = ?", (author_id,))
    return None if row is None else Draft.from_row(row)


async def draft_by_id(db: Reader, draft_id: int) -> Draft | None:
    row = await fetch_one(db, f"{_DRAFT} WHERE id = ?", (draft_id,))
    return None if row is None else Draft.from_row(row)


_DRAFT_FIELDS = ("stage", "text", "media_kind", "media_file_id", "audience", "needs_confirmation")


async def update_draft(
    tx: aiosqlite.Connection, draft_id: int, author_id: int, now: int, **fields: Any
) -> bool:
    """Change fields of the author's draft; False when the draft is gone (sent or cancelled)."""
    unknown = set(fields) - set(_DRAFT_FIELDS)
    if unknown:
        raise ValueError(f"not draft fields: {sorted(unknown)}")
    sets = ", ".join(f"{name} = ?" for name in fields)
    cursor = await tx.execute(
        f"UPDATE notice_drafts SET {sets}, updated_at = ? WHERE id = ? AND author_id = ?",
        (*fields.values(), now, draft_id, author_id),
    )
    return cursor.rowcount == 1


async def delete_draft(tx: aiosqlite.Connection, draft_id: int, author_id: int) -> bool:
    cursor = await tx.execute(
        "DELETE FROM notice_drafts WHERE id = ? AND author_id = ?", (draft_id, author_id)
    )
    return cursor.rowcount == 1
