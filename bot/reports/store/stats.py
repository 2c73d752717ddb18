"""SQL for the admins' /stats figures and their /audit reading, limited to a scope of students."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.storage.db import Database
from bot.storage.records import Person, Scope


@dataclass(frozen=True)
class IsolatedCount:
    school_name: str
    kind: str
    students: int


@dataclass(frozen=True)
class RoundCount:
    """One round's check-ins in the scope: answered, and expected (asked and not cancelled)."""

    local_date: str
    slot: str
    slot_index: int
    closed: bool
    answered: int
    expected: int


@dataclass(frozen=True)
class AlertTimes:
    level: str
    opened_at: int
    acknowledged_at: int | None
    resolved_at: int | None


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as /audit shows it: a view of one student, or one export or view of a
    scope with how many students (and records) it covered."""

    at: int
    actor_name: str
    action: str
    student_name: str | None
    student_number: str | None
    scope: str | None
    students: int = 1
    rows: int | None = None


@dataclass(frozen=True)
class ScopeNames:
    """Names for the ids an audit scope holds ('class:3', 'notice:1', 'round:5')."""

    schools: dict[int, str]
    # (school name, class name)
    classes: dict[int, tuple[str, str]]
    notices: dict[int, str]
    rounds: dict[int, tuple[str, str]]


async def isolated_by_kind(db: Database, scope: Scope, now: int) -> list[IsolatedCount]:
    """Students of the scope in isolation at `now`, counted per school and kind."""
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "SELECT s.name AS school_name, i.kind, COUNT(*) AS students FROM isolations i"
        " JOIN people p ON p.id = i.student_id JOIN schools s ON s.id = p.school_id"
        " WHERE i.started_at <= ? AND (i.ended_at IS NULL OR i.ended_at > ?)"
        f" AND i.purged_at IS NULL AND {condition}"
        " GROUP BY s.id, i.kind ORDER BY s.name, i.kind",
        [now, now, *params],
    )
    return [IsolatedCount(r["school_name"], r["kind"], r["students"]) for r in rows]


async def round_counts(
    db: Database, scope: Scope, date_from: str, date_to: str
) -> list[RoundCount]:
    """Each round of the local dates from..to (inclusive) with check-ins in the scope."""
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "SELECT r.local_date, r.slot, r.slot_index, r.closed_at IS NOT NULL AS closed,"
        " SUM(c.status = 'answered') AS answered, COUNT(*) AS expected FROM rounds r"
        " JOIN checkins c ON c.round_id = r.id JOIN people p ON p.id = c.student_id"
        " WHERE r.local_date BETWEEN ? AND ? AND c.status NOT IN ('not_sent', 'cancelled')"
        f" AND {condition} GROUP BY r.id ORDER BY r.local_date, r.slot_index",
        [date_from, date_to, *params],
    )
    return [
        RoundCount(
            r["local_date"],
            r["slot"],
            r["slot_index"],
            bool(r["closed"]),
            r["answered"],
            r["expected"],
        )
        for r in rows
    ]


async def alerts_opened(db: Database, scope: Scope, since: int) -> list[AlertTimes]:
    """Alerts about the scope's students opened at or after `since`."""
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "SELECT a.level, a.opened_at, a.acknowledged_at, a.resolved_at FROM alerts a"
        f" JOIN people p ON p.id = a.student_id WHERE a.opened_at >= ? AND {condition}"
        " ORDER BY a.opened_at",
        [since, *params],
    )
    return [
        AlertTimes(r["level"], r["opened_at"], r["acknowledged_at"], r["resolved_at"])
        for r in rows
    ]


async def delivery_problems(db: Database, scope: Scope, since: int) -> dict[str, int]:
    """Outbox rows created since `since` that ended unknown, unreachable or failed, by status.

    Rows to nobody in particular (a group chat) have no school, so only an unlimited scope
    counts them.
    """
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "SELECT o.status, COUNT(*) AS n FROM outbox o LEFT JOIN people p ON p.id = o.person_id"
        " WHERE o.created_at >= ? AND o.status IN ('unknown', 'unreachable', 'failed')"
        f" AND {condition} GROUP BY o.status",
        [since, *params],
    )
    return {r["status"]: r["n"] for r in rows}


async def staff_by_number(db: Database, number: str) -> Person | None:
    row = await db.fetchone(
        "SELECT * FROM people WHERE role NOT IN ('student', 'guardian') AND number = ?",
        (number.strip(),),
    )
    return None if row is None else Person.from_row(row)


async def audit_lines(
    db: Database,
    *,
    school_id: int | None,
    student_id: int | None = None,
    actor_id: int | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[AuditLine]:
    """Newest first, `limit` entries after the first `offset`. With school_id: entries about that
    school's students, and entries about no one student made by that school's staff; an entry
    about another school's student never shows, even when a counselor of this school made it.
    The rows one export or scope view wrote (one per student) are one entry."""
    where = ["1 = 1"]
    params: list[int] = []
    if student_id is not None:
        where.append("a.student_id = ?")
        params.append(student_id)
    if actor_id is not None:
        where.append("a.actor_id = ?")
        params.append(actor_id)
    if school_id is not None:
        where.append("(s.school_id = ? OR (a.student_id IS NULL AND p.school_id = ?))")
        params += [school_id, school_id]
    rows = await db.fetchall(
        "SELECT a.at, COALESCE(p.name, '') AS actor_name, a.action, MIN(s.name) AS student_name,"
        " MIN(s.number) AS student_number, a.scope, COUNT(a.student_id) AS students,"
        " MAX(a.rows) AS rows FROM audit a"
        " LEFT JOIN people p ON p.id = a.actor_id LEFT JOIN people s ON s.id = a.student_id"
        f" WHERE {' AND '.join(where)}"
        # Entries with a scope were written together by one export or view; others stand alone.
        " GROUP BY a.at, a.actor_id, a.action, a.scope,"
        "  CASE WHEN a.scope IS NULL THEN a.id END"
        " ORDER BY a.at DESC, MAX(a.id) DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [
        AuditLine(
            r["at"],
            r["actor_name"],
            r["action"],
            r["student_name"],
            r["student_number"],
            r["scope"],
            r["students"],
            r["rows"],
        )
        for r in rows
    ]


async def scope_names(
    db: Database,
    *,
    school_ids: set[int],
    class_ids: set[int],
    notice_ids: set[int],
    round_ids: set[int],
) -> ScopeNames:
    """The names audit scopes refer to by id."""

    async def lookup(sql: str, ids: set[int]) -> list[Any]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return list(await db.fetchall(sql.format(marks=marks), sorted(ids)))

    schools = await lookup("SELECT id, name FROM schools WHERE id IN ({marks})", school_ids)
    classes = await lookup(
        "SELECT c.id, s.name, c.name FROM classes c JOIN schools s ON s.id = c.school_id"
        " WHERE c.id IN ({marks})",
        class_ids,
    )
    notices = await lookup("SELECT id, text FROM notices WHERE id IN ({marks})", notice_ids)
    rounds = await lookup(
        "SELECT id, local_date, slot FROM rounds WHERE id IN ({marks})", round_ids
    )
    return ScopeNames(
        {r[0]: r[1] for r in schools},
        {r[0]: (r[1], r[2]) for r in classes},
        {r[0]: r[1] for r in notices},
        {r[0]: (r[1], r[2]) for r in rounds},
    )
