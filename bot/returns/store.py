"""SQL for returns to school (返校复学): who returns when, their declarations and clearances."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.db import Database


@dataclass(frozen=True)
class Returning:
    """One person in one return, with what the readiness list shows of them."""

    return_id: int
    person_id: int
    number: str
    name: str
    role: str
    school_id: int | None
    school_name: str
    class_name: str
    chat_id: int | None
    language: str | None
    status: str
    answers: str
    flag: str | None
    hold_reason: str | None
    return_date: str
    isolation_id: int


_RETURNING = (
    "SELECT rp.return_id, rp.person_id, p.number, p.name, p.role, rp.school_id,"
    " COALESCE(s.name, ''), COALESCE(c.name, ''), p.chat_id, p.language, rp.status,"
    " rp.answers, rp.flag, rp.hold_reason, r.return_date, rp.isolation_id"
    " FROM return_people rp JOIN returns r ON r.id = rp.return_id"
    " JOIN people p ON p.id = rp.person_id"
    " LEFT JOIN schools s ON s.id = rp.school_id LEFT JOIN classes c ON c.id = p.class_id"
)


async def open_return(
    tx: aiosqlite.Connection,
    *,
    return_date: str,
    audience: str,
    school_ids: list[int],
    class_id: int | None,
    ending: bool,
    opened_by: int | None,
    now: int,
) -> tuple[int, int]:
    """Open a return for the people isolated now in the schools (or the class), or only those
    whose planned end has come by the date; returns (return id, people added). A person
    already in a return that is not yet released is not added again."""
    cursor = await tx.execute(
        "INSERT INTO returns (return_date, audience, opened_by, opened_at) VALUES (?, ?, ?, ?)",
        (return_date, audience, opened_by, now),
    )
    return_id = cursor.lastrowid
    assert return_id is not None
    marks = ",".join("?" * len(school_ids)) or "NULL"
    sql = (
        "INSERT INTO return_people (return_id, person_id, isolation_id, school_id)"
        " SELECT ?, p.id, i.id, p.school_id FROM isolations i JOIN people p ON p.id = i.student_id"
        " WHERE i.ended_at IS NULL AND p.deactivated_at IS NULL"
        f" AND p.school_id IN ({marks})"
        " AND NOT EXISTS (SELECT 1 FROM return_people o JOIN returns r ON r.id = o.return_id"
        "  WHERE o.person_id = p.id AND o.status NOT IN ('released') AND r.released_at IS NULL)"
    )
    params: list[object] = [return_id, *school_ids]
    if class_id is not None:
        sql += " AND p.class_id = ?"
        params.append(class_id)
    if ending:
        sql += " AND i.planned_end_date IS NOT NULL AND i.planned_end_date <= ?"
        params.append(return_date)
    added = await tx.execute(sql, params)
    if added.rowcount == 0:
        # Nobody to bring back: no return is left behind for the bureau to watch.
        await tx.execute("DELETE FROM returns WHERE id = ?", (return_id,))
        return return_id, 0
    # One statement, so the audit trail of who was added is written with them.
    await tx.execute(
        "INSERT INTO audit (at, actor_id, action, student_id, scope)"
        " SELECT ?, ?, 'return.open', person_id, ? FROM return_people WHERE return_id = ?",
        (now, opened_by, f"return:{return_id} {return_date} {audience}", return_id),
    )
    return return_id, added.rowcount


async def not_asked(db: Database, *, limit: int) -> list[tuple[int, int]]:
    """(return id, person id) of people waiting in an open return whose declaration is not in
    the outbox yet: those left when opening stopped part-way, and those who linked since."""
    rows = await db.fetchall(
        "SELECT rp.return_id, rp.person_id FROM return_people rp"
        " JOIN returns r ON r.id = rp.return_id JOIN people p ON p.id = rp.person_id"
        " WHERE r.released_at IS NULL AND rp.status = 'waiting' AND p.chat_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM outbox o"
        "  WHERE o.dedup_key = 'rt:' || rp.return_id || ':' || rp.person_id || ':ask')"
        " ORDER BY rp.return_id, rp.person_id LIMIT ?",
        (limit,),
    )
    return [(r[0], r[1]) for r in rows]


async def returning(
    db: Database | aiosqlite.Connection,
    *,
    return_id: int | None = None,
    person_id: int | None = None,
    person_ids: list[int] | None = None,
    school_ids: frozenset[int] | None = None,
    open_only: bool = True,
) -> list[Returning]:
    where, params = ["1"], []
    if return_id is not None:
        where.append("rp.return_id = ?")
        params.append(return_id)
    if person_id is not None:
        where.append("rp.person_id = ?")
        params.append(person_id)
    if person_ids is not None:
        where.append(f"rp.person_id IN ({','.join('?' * len(person_ids)) or 'NULL'})")
        params += person_ids
    if school_ids is not None:
        where.append(f"rp.school_id IN ({','.join('?' * len(school_ids)) or 'NULL'})")
        params += sorted(school_ids)
    if open_only:
        where.append("r.released_at IS NULL")
    sql = (
        f"{_RETURNING} WHERE {' AND '.join(where)}"
        " ORDER BY r.return_date, s.name, c.name, p.role != 'student', p.number"
    )
    if isinstance(db, Database):
        rows = await db.fetchall(sql, params)
    else:
        async with db.execute(sql, params) as cursor:
            rows = list(await cursor.fetchall())
    return [Returning(*r) for r in rows]


async def set_answers(
    tx: aiosqlite.Connection, return_id: int, person_id: int, answers: str
) -> bool:
    """Store the declaration's answers so far; only while not yet declared."""
    cursor = await tx.execute(
        "UPDATE return_people SET answers = ? WHERE return_id = ? AND person_id = ?"
        " AND status = 'waiting'",
        (answers, return_id, person_id),
    )
    return cursor.rowcount == 1


async def set_photo(
    tx: aiosqlite.Connection, return_id: int, person_id: int, file_id: str
) -> None:
    await tx.execute(
        "UPDATE return_people SET photo_file_id = ? WHERE return_id = ? AND person_id = ?",
        (file_id, return_id, person_id),
    )


async def declare(
    tx: aiosqlite.Connection,
    return_id: int,
    person_id: int,
    *,
    flag: str | None,
    now: int,
) -> bool:
    cursor = await tx.execute(
        "UPDATE return_people SET status = ?, flag = ?, declared_at = ?"
        " WHERE return_id = ? AND person_id = ? AND status = 'waiting'",
        ("flagged" if flag else "ready", flag, now, return_id, person_id),
    )
    return cursor.rowcount == 1


async def decide(
    tx: aiosqlite.Connection,
    return_id: int,
    person_ids: list[int],
    *,
    clear: bool,
    by: int,
    reason: str | None,
    now: int,
) -> list[int]:
    """Clear or hold each person not yet released; returns whose status changed."""
    changed = []
    for person_id in person_ids:
        cursor = await tx.execute(
            "UPDATE return_people SET status = ?, decided_by = ?, decided_at = ?,"
            " hold_reason = ? WHERE return_id = ? AND person_id = ?"
            " AND status IN ('waiting', 'ready', 'flagged', 'cleared', 'held')",
            ("cleared" if clear else "held", by, now, reason, return_id, person_id),
        )
        if cursor.rowcount:
            changed.append(person_id)
    return changed


async def due_returns(db: Database, local_date: str) -> list[int]:
    """Returns whose date has come and whose cleared people are not yet released."""
    rows = await db.fetchall(
        "SELECT id FROM returns WHERE released_at IS NULL AND return_date <= ? ORDER BY id",
        (local_date,),
    )
    return [int(r[0]) for r in rows]


async def mark_released(
    tx: aiosqlite.Connection, return_id: int, person_id: int | None, now: int
) -> None:
    if person_id is None:
        await tx.execute("UPDATE returns SET released_at = ? WHERE id = ?", (now, return_id))
        return
    await tx.execute(
        "UPDATE return_people SET status = 'released', released_at = ?"
        " WHERE return_id = ? AND person_id = ?",
        (now, return_id, person_id),
    )


async def to_warn(db: Database, tomorrow: str) -> list[int]:
    """Returns for tomorrow whose not-ready list has not gone to the bureau yet."""
    rows = await db.fetchall(
        "SELECT id FROM returns WHERE return_date = ? AND warned_at IS NULL"
        " AND released_at IS NULL",
        (tomorrow,),
    )
    return [int(r[0]) for r in rows]


async def mark_warned(tx: aiosqlite.Connection, return_id: int, now: int) -> None:
    await tx.execute("UPDATE returns SET warned_at = ? WHERE id = ?", (now, return_id))


async def fevers_since(db: Database, person_id: int, since: int, warning_c: float) -> bool:
    """Whether the person's check-ins since `since` show a fever or any symptom."""
    row = await db.fetchone(
        "SELECT 1 FROM checkins c JOIN rounds r ON r.id = c.round_id"
        " WHERE c.student_id = ? AND r.scheduled_at >= ?"
        " AND (c.temperature_c >= ? OR (c.symptoms IS NOT NULL AND c.symptoms != '')) LIMIT 1",
        (person_id, since, warning_c),
    )
    return row is not None


async def class_named(db: Database, school_id: int, name: str) -> int | None:
    row = await db.fetchone(
        "SELECT id FROM classes WHERE school_id = ? AND name = ?", (school_id, name)
    )
    return None if row is None else int(row[0])


async def schools_named(db: Database, names: list[str]) -> dict[str, int]:
    if not names:
        return {}
    rows = await db.fetchall(
        f"SELECT name, id FROM schools WHERE name IN ({','.join('?' * len(names))})", names
    )
    return {str(r[0]): int(r[1]) for r in rows}


async def audit(
    tx: aiosqlite.Connection,
    *,
    at: int,
    actor_id: int | None,
    action: str,
    person_id: int | None,
    scope: str,
) -> None:
    await tx.execute(
        "INSERT INTO audit (at, actor_id, action, student_id, scope) VALUES (?, ?, ?, ?, ?)",
        (at, actor_id, action, person_id, scope),
    )


@dataclass(frozen=True)
class ReportRow:
    """One returning person as the readiness report lists them: declaration and clearance."""

    return_date: str
    school_name: str
    class_name: str
    number: str
    name: str
    role: str
    status: str
    answers: str
    # SQLite's 0 or 1.
    has_photo: int
    flag: str | None
    declared_at: int | None
    decided_by: str | None
    decided_at: int | None
    hold_reason: str | None
    released_at: int | None
    person_id: int


async def report_rows(
    db: Database, school_ids: frozenset[int] | None, date_from: str, date_to: str
) -> list[ReportRow]:
    """Everyone in a return dated date_from..date_to (released ones too), of the schools or of
    every school."""
    where = "r.return_date BETWEEN ? AND ?"
    params: list[object] = [date_from, date_to]
    if school_ids is not None:
        where += f" AND rp.school_id IN ({','.join('?' * len(school_ids)) or 'NULL'})"
        params += sorted(school_ids)
    rows = await db.fetchall(
        "SELECT r.return_date, COALESCE(s.name, ''), COALESCE(c.name, ''), p.number, p.name,"
        " p.role, rp.status, rp.answers, rp.photo_file_id IS NOT NULL, rp.flag, rp.declared_at,"
        " d.name, rp.decided_at, rp.hold_reason, rp.released_at, rp.person_id"
        " FROM return_people rp JOIN returns r ON r.id = rp.return_id"
        " JOIN people p ON p.id = rp.person_id LEFT JOIN people d ON d.id = rp.decided_by"
        " LEFT JOIN schools s ON s.id = rp.school_id LEFT JOIN classes c ON c.id = p.class_id"
        f" WHERE {where} ORDER BY r.return_date, s.name, c.name, p.role != 'student', p.number",
        params,
    )
    return [ReportRow(*r) for r in rows]
