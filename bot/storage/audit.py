"""SQL for the audit trail of views and exports of students' health data."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.db import Database


@dataclass(frozen=True)
class AuditEntry:
    at: int
    actor_id: int | None
    actor_name: str
    action: str
    student_id: int | None
    student_name: str
    scope: str | None


async def record(
    tx: aiosqlite.Connection,
    *,
    actor_id: int | None,
    action: str,
    now: int,
    student_id: int | None = None,
    scope: str | None = None,
) -> None:
    """Note that someone viewed or exported health data: one student, or a scope like 'class:3'."""
    await tx.execute(
        "INSERT INTO audit (at, actor_id, action, student_id, scope) VALUES (?, ?, ?, ?, ?)",
        (now, actor_id, action, student_id, scope),
    )


async def record_many(
    tx: aiosqlite.Connection,
    *,
    actor_id: int | None,
    action: str,
    now: int,
    student_ids: list[int],
    scope: str | None = None,
) -> None:
    await tx.executemany(
        "INSERT INTO audit (at, actor_id, action, student_id, scope) VALUES (?, ?, ?, ?, ?)",
        [(now, actor_id, action, sid, scope) for sid in student_ids],
    )


async def entries(
    db: Database,
    *,
    student_id: int | None = None,
    actor_id: int | None = None,
    school_id: int | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """Newest first; school_id limits to entries about that school's students or by its staff."""
    where = ["1 = 1"]
    params: list[int] = []
    if student_id is not None:
        where.append("a.student_id = ?")
        params.append(student_id)
    if actor_id is not None:
        where.append("a.actor_id = ?")
        params.append(actor_id)
    if school_id is not None:
        where.append("(s.school_id = ? OR p.school_id = ?)")
        params += [school_id, school_id]
    rows = await db.fetchall(
        "SELECT a.at, a.actor_id, COALESCE(p.name, '') AS actor_name, a.action, a.student_id,"
        " COALESCE(s.name, '') AS student_name, a.scope FROM audit a"
        " LEFT JOIN people p ON p.id = a.actor_id LEFT JOIN people s ON s.id = a.student_id"
        f" WHERE {' AND '.join(where)} ORDER BY a.at DESC, a.id DESC LIMIT ?",
        [*params, limit],
    )
    return [AuditEntry(*row) for row in rows]
