"""SQL for isolation episodes and finding the student an isolation command names."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.db import Database
from bot.storage.records import Isolation, Person, Scope

_ISOLATION = (
    "SELECT id, student_id, kind, start_date, planned_end_date, started_at, ended_at"
    " FROM isolations"
)
_PERSON = (
    "SELECT p.id, p.role, p.number, p.name, p.school_id, p.class_id, p.language,"
    " p.guardian_consent, p.telegram_user_id, p.chat_id, p.unreachable_at FROM people p"
)


async def open_isolation(db: Database | aiosqlite.Connection, student_id: int) -> Isolation | None:
    sql = f"{_ISOLATION} WHERE student_id = ? AND ended_at IS NULL"
    if isinstance(db, Database):
        row = await db.fetchone(sql, (student_id,))
    else:
        async with db.execute(sql, (student_id,)) as cursor:
            row = await cursor.fetchone()
    return None if row is None else Isolation.from_row(row)


@dataclass(frozen=True)
class DueRelease:
    """An isolated student whose planned end date (隔离结束) has come."""

    student_id: int
    name: str
    number: str
    start_date: str
    planned_end_date: str


async def due_releases(db: Database, local_date: str, scope: Scope) -> list[DueRelease]:
    """Students in scope still isolated on or after their planned end date, earliest first."""
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "SELECT p.id, p.name, p.number, i.start_date, i.planned_end_date FROM isolations i"
        " JOIN people p ON p.id = i.student_id"
        " WHERE i.ended_at IS NULL AND i.planned_end_date IS NOT NULL"
        f" AND i.planned_end_date <= ? AND {condition}"
        " ORDER BY i.planned_end_date, p.number",
        [local_date, *params],
    )
    return [DueRelease(*r) for r in rows]


async def insert_isolation(
    tx: aiosqlite.Connection,
    *,
    student_id: int,
    kind: str,
    start_date: str,
    started_at: int,
    started_by: int | None,
) -> int:
    cursor = await tx.execute(
        "INSERT INTO isolations (student_id, kind, start_date, started_at, started_by)"
        " VALUES (?, ?, ?, ?, ?)",
        (student_id, kind, start_date, started_at, started_by),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def end_isolation(
    tx: aiosqlite.Connection,
    isolation_id: int,
    *,
    ended_at: int,
    end_date: str,
    ended_by: int | None,
) -> bool:
    cursor = await tx.execute(
        "UPDATE isolations SET ended_at = ?, end_date = ?, ended_by = ?"
        " WHERE id = ? AND ended_at IS NULL",
        (ended_at, end_date, ended_by, isolation_id),
    )
    return cursor.rowcount == 1


async def audit(
    tx: aiosqlite.Connection, *, at: int, actor_id: int | None, action: str, student_id: int
) -> None:
    await tx.execute(
        "INSERT INTO audit (at, actor_id, action, student_id) VALUES (?, ?, ?, ?)",
        (at, actor_id, action, student_id),
    )


async def find_people(
    db: Database, query: str, *, school: str | None = None
) -> list[tuple[Person, str]]:
    """Students and staff whose number or exact name is `query`, each with where they belong
    (a student's class, a staff member's school; empty for bureau staff)."""
    sql = (
        "SELECT COALESCE(c.name, s.name, '') AS place,"
        + _PERSON.removeprefix("SELECT")
        + " LEFT JOIN classes c ON c.id = p.class_id LEFT JOIN schools s ON s.id = p.school_id"
        " WHERE (p.number = ? OR p.name = ?)"
    )
    params: list[str] = [query, query]
    if school:
        sql += " AND s.name = ?"
        params.append(school)
    # Students first: a number shared by a student and a staff member names the student, as
    # it did before staff could be isolated.
    rows = await db.fetchall(
        sql + " ORDER BY p.role != 'student', p.school_id, p.class_id, p.number", params
    )
    return [(Person.from_row(r), r["place"]) for r in rows]
