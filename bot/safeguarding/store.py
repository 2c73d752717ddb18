"""SQL for the labelled examples that feed the crisis screen's review."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.db import Database


@dataclass(frozen=True)
class Example:
    id: int
    source: str
    text: str
    label: str | None
    labelled_by: int
    created_at: int
    labelled_at: int | None


_COLUMNS = "id, source, text, label, labelled_by, created_at, labelled_at"


async def add_example(
    tx: aiosqlite.Connection,
    *,
    source: str,
    text: str,
    labelled_by: int,
    now: int,
    label: str | None = None,
    student_id: int | None = None,
    alert_id: int | None = None,
) -> int:
    cursor = await tx.execute(
        "INSERT INTO crisis_examples (source, text, label, labelled_by, created_at, labelled_at,"
        " student_id, alert_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            source,
            text,
            label,
            labelled_by,
            now,
            now if label is not None else None,
            student_id,
            alert_id,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def example_by_id(db: Database, example_id: int) -> Example | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM crisis_examples WHERE id = ?", (example_id,))
    return None if row is None else Example(*row)


async def set_label(
    tx: aiosqlite.Connection, example_id: int, person_id: int, label: str, now: int
) -> bool:
    """Label (or relabel) one's own example; False if it is not theirs or is gone."""
    cursor = await tx.execute(
        "UPDATE crisis_examples SET label = ?, labelled_at = ? WHERE id = ? AND labelled_by = ?",
        (label, now, example_id, person_id),
    )
    return cursor.rowcount == 1


async def all_examples(db: Database) -> list[Example]:
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM crisis_examples ORDER BY created_at, id")
    return [Example(*r) for r in rows]
