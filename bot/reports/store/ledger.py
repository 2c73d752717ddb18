"""SQL for the ledger (台账) and the per-student view: check-ins, their alerts and contacts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from bot.storage.db import Database
from bot.storage.records import Isolation, Person, Scope


class LedgerRow(NamedTuple):
    """One student's check-in in one round, with the names a ledger row shows. The fields are
    checkin_rows' columns in order: a fortnight of a school is 56,000 rows, built as tuples."""

    checkin_id: int
    local_date: str
    slot: str
    slot_index: int
    scheduled_at: int
    student_id: int
    number: str
    name: str
    class_id: int
    class_name: str
    school_name: str
    isolation_kind: str
    status: str
    answered_at: int | None
    temperature_c: float | None
    temperature_status: str | None
    symptoms: str | None
    mood: int | None
    # SQLite's 0 or 1.
    with_screen: int
    screen_1: int | None
    screen_2: int | None
    screen_3: int | None
    screen_4: int | None
    has_note: int
    # Only filled when the reader may see note text (counselors).
    note: str | None
    # The isolation's first day and planned end (None when no end was planned).
    start_date: str
    planned_end_date: str | None
    # The guardian who answered for the student (家长代答); None when the student did.
    answered_by: int | None = None

    @property
    def screen(self) -> tuple[int, int, int, int] | None:
        """The four screen answers, or None until all four are in."""
        a, b, c, d = self.screen_1, self.screen_2, self.screen_3, self.screen_4
        if a is None or b is None or c is None or d is None:
            return None
        return a, b, c, d


@dataclass(frozen=True)
class Contact:
    student_id: int
    at: int
    direction: str
    channel: str
    staff_name: str
    staff_role: str = ""


@dataclass(frozen=True)
class CheckinAlert:
    """An alert a check-in raised or fed, and how it was handled (处置情况)."""

    checkin_id: int
    kind: str
    level: str
    state: str = "open"
    # Who resolved it (or, while open, who took it) and when.
    handler: str | None = None
    handled_at: int | None = None
    # What was done (处置情况), in the words the resolver typed after Resolved; None if skipped.
    resolution_note: str | None = None


# Outer joins: an isolated staff member has no class, and bureau staff no school.
_CHECKINS_FROM = (
    " FROM rounds r JOIN checkins c ON c.round_id = r.id"
    " JOIN people p ON p.id = c.student_id"
    " LEFT JOIN classes cl ON cl.id = p.class_id LEFT JOIN schools s ON s.id = p.school_id"
    " JOIN isolations i ON i.id = c.isolation_id"
    " WHERE r.local_date BETWEEN ? AND ? AND c.status != 'cancelled'"
)


async def checkin_rows(
    db: Database,
    *,
    date_from: str,
    date_to: str,
    scope: Scope,
    with_note_text: bool = False,
    isolation_id: int | None = None,
) -> list[LedgerRow]:
    """Every check-in of the scope's students in rounds dated date_from..date_to (inclusive),
    except those cancelled by the end of isolation; ordered by date, slot, school, class,
    student number."""
    condition, params = scope.where("p")
    note = "c.note" if with_note_text else "NULL"
    sql = (
        "SELECT c.id, r.local_date, r.slot, r.slot_index, r.scheduled_at, c.student_id,"
        " p.number, p.name, COALESCE(p.class_id, 0), COALESCE(cl.name, '') AS class_name,"
        " COALESCE(s.name, '') AS school_name, i.kind,"
        " c.status, c.answered_at, c.temperature_c, c.temperature_status, c.symptoms, c.mood,"
        " c.with_screen, c.screen_1, c.screen_2, c.screen_3, c.screen_4,"
        " (c.note IS NOT NULL AND c.note != '') AS has_note,"
        f" {note} AS note, i.start_date, i.planned_end_date, c.answered_by"
        f"{_CHECKINS_FROM} AND {condition}"
    )
    args: list[object] = [date_from, date_to, *params]
    if isolation_id is not None:
        sql += " AND c.isolation_id = ?"
        args.append(isolation_id)
    sql += " ORDER BY r.local_date, r.slot_index, s.name, cl.name, p.number, p.id"
    return [LedgerRow._make(r) for r in await db.fetchall(sql, args)]


async def checkin_totals(
    db: Database, *, date_from: str, date_to: str, scope: Scope
) -> tuple[int, int]:
    """How many rows checkin_rows would return, and from how many schools (by name), without
    reading them."""
    condition, params = scope.where("p")
    row = await db.fetchone(
        f"SELECT COUNT(*), COUNT(DISTINCT s.name){_CHECKINS_FROM} AND {condition}",
        [date_from, date_to, *params],
    )
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


async def checkin_alerts(
    db: Database, *, start_at: int, end_at: int, scope: Scope
) -> list[CheckinAlert]:
    """Alerts that a check-in's answer (or its miss) raised or fed, for signals applied in
    [start_at, end_at). A check-in's signals carry the source `ci:<id>` in their key."""
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "SELECT g.key, a.kind, a.level, a.state,"
        " COALESCE(rb.name, ow.name) AS handler,"
        " COALESCE(a.resolved_at, a.acknowledged_at) AS handled_at,"
        " a.resolution AS resolution_note"
        " FROM alert_signals g"
        " JOIN alerts a ON a.id = g.alert_id JOIN people p ON p.id = a.student_id"
        " LEFT JOIN people rb ON rb.id = a.resolved_by LEFT JOIN people ow ON ow.id = a.owner_id"
        " WHERE g.at >= ? AND g.at < ? AND g.key LIKE '%:ci:%'"
        f" AND {condition} ORDER BY g.at, a.id",
        [start_at, end_at, *params],
    )
    found = []
    for row in rows:
        parts = str(row["key"]).split(":")
        if len(parts) >= 3 and parts[1] == "ci" and parts[2].isdigit():
            found.append(
                CheckinAlert(
                    int(parts[2]),
                    row["kind"],
                    row["level"],
                    row["state"],
                    row["handler"],
                    row["handled_at"],
                    row["resolution_note"],
                )
            )
    return found


async def contacts(db: Database, *, start_at: int, end_at: int, scope: Scope) -> list[Contact]:
    """Relayed messages and logged calls between staff and the scope's students, oldest first."""
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "SELECT ct.student_id, ct.at, ct.direction, ct.channel, st.name AS staff_name,"
        " st.role AS staff_role"
        " FROM contacts ct JOIN people p ON p.id = ct.student_id"
        " JOIN people st ON st.id = ct.staff_id"
        f" WHERE ct.at >= ? AND ct.at < ? AND {condition} ORDER BY ct.at, ct.id",
        [start_at, end_at, *params],
    )
    return [
        Contact(
            r["student_id"],
            r["at"],
            r["direction"],
            r["channel"],
            r["staff_name"],
            r["staff_role"],
        )
        for r in rows
    ]


async def places(
    db: Database, *, date_from: str, date_to: str, scope: Scope
) -> list[tuple[str, str]]:
    """The (school, class) names of the scope's check-ins in the range, for a ledger's title."""
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "SELECT DISTINCT COALESCE(s.name, ''), COALESCE(cl.name, '')"
        f"{_CHECKINS_FROM} AND {condition} ORDER BY 1, 2",
        [date_from, date_to, *params],
    )
    return [(r[0], r[1]) for r in rows]


async def find_students(db: Database, query: str, *, limit: int = 20) -> list[tuple[Person, str]]:
    """Students whose number is `query` or whose name contains it, with their class name;
    an exact number or name comes first."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = await db.fetchall(
        "SELECT p.id, p.role, p.number, p.name, p.school_id, p.class_id, p.language,"
        " p.guardian_consent, p.telegram_user_id, p.chat_id, p.unreachable_at,"
        " c.name AS class_name FROM people p JOIN classes c ON c.id = p.class_id"
        " WHERE p.role = 'student' AND (p.number = ? OR p.name LIKE ? ESCAPE '\\')"
        " ORDER BY (p.number = ? OR p.name = ?) DESC, p.school_id, c.name, p.number LIMIT ?",
        (query, f"%{escaped}%", query, query, limit),
    )
    return [(Person.from_row(r), r["class_name"]) for r in rows]


async def latest_isolation(db: Database, student_id: int) -> Isolation | None:
    """The student's current isolation, or the one that ended last."""
    row = await db.fetchone(
        "SELECT id, student_id, kind, start_date, planned_end_date, started_at, ended_at"
        " FROM isolations WHERE student_id = ? AND purged_at IS NULL"
        " ORDER BY (ended_at IS NULL) DESC, started_at DESC, id DESC LIMIT 1",
        (student_id,),
    )
    return None if row is None else Isolation.from_row(row)


async def school_ids_named(db: Database, name: str) -> frozenset[int]:
    rows = await db.fetchall("SELECT id FROM schools WHERE name = ?", (name,))
    return frozenset(r[0] for r in rows)


async def class_ids_named(
    db: Database, name: str, school_ids: frozenset[int] | None
) -> frozenset[int]:
    """Classes called `name`, within the given schools if any (names repeat across schools)."""
    rows = await db.fetchall("SELECT id, school_id FROM classes WHERE name = ?", (name,))
    return frozenset(r[0] for r in rows if school_ids is None or r[1] in school_ids)
