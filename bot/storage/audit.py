"""SQL for the audit trail of views and exports of students' health data."""

from __future__ import annotations

import aiosqlite


async def record(
    tx: aiosqlite.Connection,
    *,
    actor_id: int | None,
    action: str,
    now: int,
    student_id: int | None = None,
    scope: str | None = None,
    rows: int | None = None,
) -> None:
    """Note that someone viewed or exported health data: one student, or a scope like 'class:3';
    `rows` is how many records an export held."""
    await tx.execute(
        "INSERT INTO audit (at, actor_id, action, student_id, scope, rows)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (now, actor_id, action, student_id, scope, rows),
    )


async def record_many(
    tx: aiosqlite.Connection,
    *,
    actor_id: int | None,
    action: str,
    now: int,
    student_ids: list[int],
    scope: str | None = None,
    rows: int | None = None,
) -> None:
    await tx.executemany(
        "INSERT INTO audit (at, actor_id, action, student_id, scope, rows)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(now, actor_id, action, sid, scope, rows) for sid in student_ids],
    )


async def record_view(
    tx: aiosqlite.Connection,
    *,
    actor_id: int | None,
    action: str,
    now: int,
    student_ids: list[int],
    scope: str,
    rows: int | None = None,
) -> None:
    """Note a view of a scope: one row per student shown, or one for the scope if none was."""
    if student_ids:
        await record_many(
            tx,
            actor_id=actor_id,
            action=action,
            now=now,
            student_ids=student_ids,
            scope=scope,
            rows=rows,
        )
    else:
        await record(tx, actor_id=actor_id, action=action, now=now, scope=scope, rows=rows)
