"""SQL for the schools and classes a notice can name."""

from __future__ import annotations

from collections.abc import Sequence

from bot.notices.store.reader import Reader, fetch_one
from bot.storage.db import Database


async def schools(db: Database) -> list[tuple[int, str]]:
    rows = await db.fetchall("SELECT id, name FROM schools ORDER BY name")
    return [(r[0], r[1]) for r in rows]


async def classes(
    db: Database, *, school_id: int | None = None, ids: Sequence[int] = ()
) -> list[tuple[int, str]]:
    """(id, name) of the classes of one school, or of the given ids, in name order."""
    if ids:
        marks = ",".join("?" * len(ids))
        rows = await db.fetchall(
            f"SELECT id, name FROM classes WHERE id IN ({marks}) ORDER BY name", list(ids)
        )
    else:
        rows = await db.fetchall(
            "SELECT id, name FROM classes WHERE school_id = ? ORDER BY name", (school_id,)
        )
    return [(r[0], r[1]) for r in rows]


async def class_school(db: Reader, class_id: int) -> int | None:
    row = await fetch_one(db, "SELECT school_id FROM classes WHERE id = ?", (class_id,))
    return None if row is None else int(row[0])


async def school_name(db: Database, school_id: int) -> str | None:
    value = await db.scalar("SELECT name FROM schools WHERE id = ?", (school_id,))
    return None if value is None else str(value)


async def class_name(db: Database, class_id: int) -> tuple[str, str] | None:
    """(school name, class name) of a class."""
    row = await db.fetchone(
        "SELECT s.name, c.name FROM classes c JOIN schools s ON s.id = c.school_id WHERE c.id = ?",
        (class_id,),
    )
    return None if row is None else (row[0], row[1])


async def school_by_name(db: Database, name: str) -> int | None:
    value = await db.scalar("SELECT id FROM schools WHERE name = ?", (name,))
    return None if value is None else int(value)


async def class_by_name(db: Database, school: str, name: str) -> int | None:
    value = await db.scalar(
        "SELECT c.id FROM classes c JOIN schools s ON s.id = c.school_id"
        " WHERE s.name = ? AND c.name = ?",
        (school, name),
    )
    return None if value is None else int(value)
