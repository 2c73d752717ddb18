"""SQL for one student's check-in: reading it, the flow's changes, what the alert rules read."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, cast

import aiosqlite

from bot.alerts.rules import CheckinFacts
from bot.checkins.store.reader import fetch_one
from bot.storage.db import Database

# Status of a check-in that still takes answers (if its window is open).
LIVE = ("open", "answered")


@dataclass(frozen=True)
class Checkin:
    """A check-in with the round facts the flow needs."""

    id: int
    round_id: int
    student_id: int
    with_screen: bool
    step: str
    temperature_c: float | None
    temperature_status: str | None
    fahrenheit_original: float | None
    pending_c: float | None
    pending_f: float | None
    symptoms: tuple[str, ...] | None
    mood: int | None
    screen: tuple[int | None, int | None, int | None, int | None]
    note: str | None
    status: str
    message_id: int | None
    answered_at: int | None
    local_date: str
    slot: str
    slot_index: int
    scheduled_at: int
    closes_at: int
    # home, centralized or on_campus: where the student is decides how they are asked.
    isolation_kind: str
    # The guardian who last answered for the student; None when the student did.
    answered_by: int | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Checkin:
        symptoms = row["symptoms"]
        return cls(
            id=row["id"],
            round_id=row["round_id"],
            student_id=row["student_id"],
            with_screen=bool(row["with_screen"]),
            step=row["step"],
            temperature_c=row["temperature_c"],
            temperature_status=row["temperature_status"],
            fahrenheit_original=row["fahrenheit_original"],
            pending_c=row["pending_c"],
            pending_f=row["pending_f"],
            symptoms=None if symptoms is None else tuple(s for s in symptoms.split(",") if s),
            mood=row["mood"],
            screen=(row["screen_1"], row["screen_2"], row["screen_3"], row["screen_4"]),
            note=row["note"],
            status=row["status"],
            message_id=row["message_id"],
            answered_at=row["answered_at"],
            local_date=row["local_date"],
            slot=row["slot"],
            slot_index=row["slot_index"],
            scheduled_at=row["scheduled_at"],
            closes_at=row["closes_at"],
            isolation_kind=row["isolation_kind"],
            answered_by=row["answered_by"],
        )


_CHECKIN = (
    "SELECT c.*, r.local_date, r.slot, r.slot_index, r.scheduled_at, r.closes_at,"
    " i.kind AS isolation_kind"
    " FROM checkins c JOIN rounds r ON r.id = c.round_id"
    " JOIN isolations i ON i.id = c.isolation_id"
)

# Columns the flow may change; update_flow refuses anything else.
_FLOW_COLUMNS = frozenset(
    {
        "step",
        "temperature_c",
        "temperature_status",
        "fahrenheit_original",
        "pending_c",
        "pending_f",
        "symptoms",
        "mood",
        "answered_by",
        "screen_1",
        "screen_2",
        "screen_3",
        "screen_4",
        "note",
        "status",
        "message_id",
        "answered_at",
        "evaluated_at",
    }
)


async def checkin_by_id(db: Database | aiosqlite.Connection, checkin_id: int) -> Checkin | None:
    sql = f"{_CHECKIN} WHERE c.id = ?"
    if isinstance(db, Database):
        row = await db.fetchone(sql, (checkin_id,))
    else:
        row = await fetch_one(db, sql, (checkin_id,))
    return None if row is None else Checkin.from_row(row)


async def current_checkin(db: Database, student_id: int, now: int) -> Checkin | None:
    """The student's check-in in a round whose window is open now, if any."""
    row = await db.fetchone(
        f"{_CHECKIN} WHERE c.student_id = ? AND r.state = 'opened' AND r.scheduled_at <= ?"
        " AND r.closes_at > ? AND c.status IN ('open', 'answered', 'not_sent')"
        " ORDER BY r.scheduled_at DESC LIMIT 1",
        (student_id, now, now),
    )
    return None if row is None else Checkin.from_row(row)


async def open_isolation_id(db: Database, student_id: int) -> int | None:
    """The student's isolation episode that has not ended: a check-in started now belongs to it.
    None when the student is not isolated."""
    value = await db.scalar(
        "SELECT id FROM isolations WHERE student_id = ? AND ended_at IS NULL", (student_id,)
    )
    return None if value is None else int(value)


async def latest_checkin(db: Database, student_id: int) -> Checkin | None:
    row = await db.fetchone(
        f"{_CHECKIN} WHERE c.student_id = ? ORDER BY r.scheduled_at DESC LIMIT 1", (student_id,)
    )
    return None if row is None else Checkin.from_row(row)


async def add_one(
    tx: aiosqlite.Connection,
    round_id: int,
    student_id: int,
    isolation_id: int,
    *,
    with_screen: bool,
    now: int,
) -> None:
    """Start a check-in the student asked for with /checkin.

    A round has one check-in per student, so one never sent, or cancelled when an earlier
    isolation ended, is revived for this isolation and starts afresh: answers typed in the
    ended episode must not stay under the new one (retention blanks check-ins by episode).
    The prompt sent before stays linked, so the round does not prompt again.
    """
    await tx.execute(
        "INSERT INTO checkins (round_id, student_id, isolation_id, with_screen, created_at)"
        " VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (student_id, round_id) DO UPDATE SET status = 'open', closed_at = NULL,"
        " isolation_id = excluded.isolation_id, with_screen = excluded.with_screen,"
        " step = 'temperature', temperature_c = NULL, temperature_status = NULL,"
        " fahrenheit_original = NULL, pending_c = NULL, pending_f = NULL, symptoms = NULL,"
        " mood = NULL, screen_1 = NULL, screen_2 = NULL, screen_3 = NULL, screen_4 = NULL,"
        " note = NULL, message_id = NULL, started_at = NULL, answered_at = NULL,"
        " evaluated_at = NULL"
        " WHERE checkins.status IN ('not_sent', 'cancelled')",
        (round_id, student_id, isolation_id, int(with_screen), now),
    )


async def update_flow(
    tx: aiosqlite.Connection,
    checkin_id: int,
    *,
    steps: tuple[str, ...],
    statuses: tuple[str, ...] = LIVE,
    now: int,
    **changes: Any,
) -> bool:
    """Apply changes only if the check-in still waits at one of `steps`: a stale or doubled
    button press then changes nothing. Returns whether the row changed."""
    unknown = set(changes) - _FLOW_COLUMNS
    if unknown:
        raise ValueError(f"not a flow column: {sorted(unknown)}")
    sets = ", ".join(f"{name} = :{name}" for name in changes)
    step_marks = ", ".join(f":step{i}" for i in range(len(steps)))
    status_marks = ", ".join(f":status{i}" for i in range(len(statuses)))
    params: dict[str, Any] = dict(changes)
    params.update({f"step{i}": s for i, s in enumerate(steps)})
    params.update({f"status{i}": s for i, s in enumerate(statuses)})
    params.update({"id": checkin_id, "now": now})
    cursor = await tx.execute(
        f"UPDATE checkins SET {sets}, started_at = COALESCE(started_at, :now)"
        f" WHERE id = :id AND step IN ({step_marks}) AND status IN ({status_marks})",
        params,
    )
    return cursor.rowcount == 1


async def set_message(tx: aiosqlite.Connection, checkin_id: int, message_id: int) -> None:
    await tx.execute("UPDATE checkins SET message_id = ? WHERE id = ?", (message_id, checkin_id))


async def settle_edited(tx: aiosqlite.Connection, isolation_id: int) -> None:
    """Put the isolation's check-ins reopened for editing back to answered, with the answers
    they have."""
    await tx.execute(
        "UPDATE checkins SET status = 'answered', step = 'summary', pending_c = NULL,"
        " pending_f = NULL WHERE isolation_id = ? AND status = 'open' AND answered_at IS NOT NULL",
        (isolation_id,),
    )


async def cancel_open(tx: aiosqlite.Connection, isolation_id: int, now: int) -> int:
    """Cancel the isolation's check-ins still open; returns how many."""
    cursor = await tx.execute(
        "UPDATE checkins SET status = 'cancelled', closed_at = ?"
        " WHERE isolation_id = ? AND status = 'open'",
        (now, isolation_id),
    )
    return cursor.rowcount


# --- for the alert rules ------------------------------------------------------------------


async def mark_evaluated(tx: aiosqlite.Connection, checkin_id: int, now: int) -> None:
    await tx.execute("UPDATE checkins SET evaluated_at = ? WHERE id = ?", (now, checkin_id))


async def pending_evaluations(db: Database, limit: int) -> list[int]:
    """Finished or missed check-ins the alert rules have not looked at yet, oldest first."""
    rows = await db.fetchall(
        "SELECT id FROM checkins WHERE evaluated_at IS NULL AND status IN ('answered', 'missed')"
        " ORDER BY id LIMIT ?",
        (limit,),
    )
    return [r[0] for r in rows]


async def checkin_history(db: Database, student_id: int, limit: int = 30) -> list[CheckinFacts]:
    """The student's last `limit` settled check-ins, oldest first.

    Open and cancelled ones are left out: the first is not settled, the second was stopped by
    the end of isolation.
    """
    rows = await db.fetchall(
        f"{_CHECKIN} WHERE c.student_id = ? AND c.status IN ('answered', 'missed', 'not_sent')"
        " ORDER BY r.scheduled_at DESC, c.id DESC LIMIT ?",
        (student_id, limit),
    )
    return [facts(Checkin.from_row(r)) for r in reversed(rows)]


def facts(checkin: Checkin) -> CheckinFacts:
    s1, s2, s3, s4 = checkin.screen
    complete = (
        (s1, s2, s3, s4)
        if s1 is not None and s2 is not None and s3 is not None and s4 is not None
        else None
    )
    return CheckinFacts(
        checkin_id=checkin.id,
        local_date=date.fromisoformat(checkin.local_date),
        slot_index=checkin.slot_index,
        status=cast(Literal["answered", "missed", "not_sent"], checkin.status),
        temperature_c=checkin.temperature_c if checkin.temperature_status == "measured" else None,
        symptoms=frozenset(checkin.symptoms or ()),
        mood=checkin.mood,
        screen=complete,
    )
