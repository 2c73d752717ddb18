"""SQL for bureau liaisons (包联): which bureau officer supervises which schools."""

from __future__ import annotations

import aiosqlite

from bot.storage.db import Database


async def school_ids_named(db: Database, names: list[str]) -> dict[str, int]:
    """The ids of the schools named, by name; a name not in the roster is left out."""
    if not names:
        return {}
    marks = ",".join("?" * len(names))
    rows = await db.fetchall(f"SELECT name, id FROM schools WHERE name IN ({marks})", names)
    return {str(r[0]): int(r[1]) for r in rows}


async def assign(
    tx: aiosqlite.Connection, person_id: int, school_ids: list[int], *, now: int
) -> int:
    """Add the schools to the liaison's; returns how many were new."""
    added = 0
    for school_id in school_ids:
        cursor = await tx.execute(
            "INSERT OR IGNORE INTO liaison_schools (person_id, school_id, assigned_at)"
            " VALUES (?, ?, ?)",
            (person_id, school_id, now),
        )
        added += cursor.rowcount
    return added


async def unassign(tx: aiosqlite.Connection, person_id: int, school_ids: list[int]) -> int:
    marks = ",".join("?" * len(school_ids))
    cursor = await tx.execute(
        f"DELETE FROM liaison_schools WHERE person_id = ? AND school_id IN ({marks})",
        [person_id, *school_ids],
    )
    return cursor.rowcount


async def audit(tx: aiosqlite.Connection, *, at: int, person_id: int, scope: str) -> None:
    await tx.execute(
        "INSERT INTO audit (at, actor_id, action, student_id, scope) VALUES (?, NULL, ?, ?, ?)",
        (at, "liaison.assign", person_id, scope),
    )


async def schools_of(db: Database, person_id: int) -> list[str]:
    rows = await db.fetchall(
        "SELECT s.name FROM liaison_schools ls JOIN schools s ON s.id = ls.school_id"
        " WHERE ls.person_id = ? ORDER BY s.name",
        (person_id,),
    )
    return [str(r[0]) for r in rows]
