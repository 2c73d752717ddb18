"""SQL for the day at a glance (/today), the teachers' digest and the schools' report."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.db import Database
from bot.storage.records import Scope


@dataclass(frozen=True)
class IsolatedStudent:
    id: int
    number: str
    name: str
    class_name: str
    school_id: int
    school_name: str
    linked: bool = True


@dataclass(frozen=True)
class DayCheckin:
    """One isolated student's check-in in one of today's rounds."""

    id: int
    round_id: int
    student_id: int
    status: str
    started: bool
    temperature_c: float | None
    symptoms: str | None
    mood: int | None
    # Answered by a guardian (家长代答).
    by_guardian: bool = False


@dataclass(frozen=True)
class OpenAlert:
    student_id: int
    kind: str
    level: str


@dataclass(frozen=True)
class Recipient:
    """A bound staff member a digest or report goes to, with the scope it covers."""

    person_id: int
    role: str
    chat_id: int
    language: str | None
    school_id: int | None


async def isolated_students(db: Database, scope: Scope, now: int) -> list[IsolatedStudent]:
    """Students (or, for a staff scope, staff) of the scope in isolation at `now`, by school,
    class and number."""
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "SELECT p.id, p.number, p.name, COALESCE(cl.name, '') AS class_name,"
        " COALESCE(p.school_id, 0), COALESCE(s.name, '') AS school_name, p.chat_id IS NOT NULL"
        " FROM isolations i JOIN people p ON p.id = i.student_id"
        " LEFT JOIN classes cl ON cl.id = p.class_id LEFT JOIN schools s ON s.id = p.school_id"
        " WHERE i.started_at <= ? AND (i.ended_at IS NULL OR i.ended_at > ?)"
        f" AND i.purged_at IS NULL AND {condition}"
        " ORDER BY s.name, cl.name, p.number, p.id",
        [now, now, *params],
    )
    return [IsolatedStudent(*r) for r in rows]


async def day_checkins(db: Database, local_date: str, scope: Scope) -> list[DayCheckin]:
    condition, params = scope.where("p")
    rows = await db.fetchall(
        # Submitted once and reopened with Edit: the submitted answers stand, so it counts as
        # answered, as closing the window will make it.
        "SELECT c.id, c.round_id, c.student_id,"
        " CASE WHEN c.status = 'open' AND c.answered_at IS NOT NULL THEN 'answered'"
        "  ELSE c.status END, c.started_at IS NOT NULL,"
        " c.temperature_c, c.symptoms, c.mood, c.answered_by IS NOT NULL"
        " FROM rounds r JOIN checkins c ON c.round_id = r.id"
        " JOIN people p ON p.id = c.student_id"
        f" WHERE r.local_date = ? AND c.status != 'cancelled' AND {condition}"
        " ORDER BY r.slot_index, c.id",
        [local_date, *params],
    )
    return [
        DayCheckin(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7], bool(r[8])) for r in rows
    ]


async def open_alerts(db: Database, scope: Scope) -> list[OpenAlert]:
    """Alerts of the scope's students nobody has resolved yet, most serious first."""
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "SELECT a.student_id, a.kind, a.level FROM alerts a JOIN people p ON p.id = a.student_id"
        f" WHERE a.state != 'resolved' AND {condition}"
        " ORDER BY CASE a.level WHEN 'urgent' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, a.id",
        params,
    )
    return [OpenAlert(*r) for r in rows]


async def contacted_since(db: Database, scope: Scope, since: int) -> frozenset[int]:
    """Students of the scope a staff member wrote to or phoned since `since`."""
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "SELECT DISTINCT ct.student_id FROM contacts ct JOIN people p ON p.id = ct.student_id"
        f" WHERE ct.at >= ? AND ct.direction IN ('out', 'call') AND {condition}",
        [since, *params],
    )
    return frozenset(int(r[0]) for r in rows)


@dataclass(frozen=True)
class DayNote:
    """A note a student wrote to the class teacher in a check-in of the day."""

    student_id: int
    name: str
    slot: str
    note: str


async def day_notes(db: Database, local_date: str, scope: Scope) -> list[DayNote]:
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "SELECT c.student_id, p.name, r.slot, c.note FROM rounds r"
        " JOIN checkins c ON c.round_id = r.id JOIN people p ON p.id = c.student_id"
        f" WHERE r.local_date = ? AND c.note IS NOT NULL AND c.note != '' AND {condition}"
        " ORDER BY r.slot_index, p.name, c.id",
        [local_date, *params],
    )
    return [DayNote(*r) for r in rows]


async def batch_exists(db: Database, kind: str, ref: str) -> bool:
    row = await db.fetchone("SELECT 1 FROM batches WHERE kind = ? AND ref = ?", (kind, ref))
    return row is not None


async def report_recipients(db: Database) -> list[Recipient]:
    """Bound teachers, doctors and admins, each with the school they belong to."""
    rows = await db.fetchall(
        "SELECT id, role, chat_id, language, school_id FROM people"
        " WHERE role IN ('teacher', 'doctor', 'admin') AND chat_id IS NOT NULL"
        " AND unreachable_at IS NULL ORDER BY id"
    )
    return [Recipient(*r) for r in rows]


async def school_ids(db: Database) -> list[tuple[int, str]]:
    rows = await db.fetchall("SELECT id, name FROM schools ORDER BY name")
    return [(int(r[0]), str(r[1])) for r in rows]


async def class_names(db: Database, class_ids: frozenset[int]) -> list[str]:
    if not class_ids:
        return []
    marks = ",".join("?" * len(class_ids))
    rows = await db.fetchall(
        f"SELECT name FROM classes WHERE id IN ({marks}) ORDER BY name", sorted(class_ids)
    )
    return [str(r[0]) for r in rows]
