"""SQL for check-in rounds and each student's check-in."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, cast

import aiosqlite

from bot.alerts.rules import CheckinFacts
from bot.storage.db import Database

# Status of a check-in that still takes answers (if its window is open).
LIVE = ("open", "answered")


@dataclass(frozen=True)
class Round:
    id: int
    local_date: str
    slot: str
    slot_index: int
    scheduled_at: int
    closes_at: int
    state: str
    reminders_sent: int
    closed_at: int | None
    # '' for the county timetable, else the school whose own plan (一校一策) the round is of.
    plan: str = ""

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Round:
        return cls(
            id=row["id"],
            local_date=row["local_date"],
            slot=row["slot"],
            slot_index=row["slot_index"],
            scheduled_at=row["scheduled_at"],
            closes_at=row["closes_at"],
            state=row["state"],
            reminders_sent=row["reminders_sent"],
            closed_at=row["closed_at"],
            plan=row["plan"],
        )


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
        )


@dataclass(frozen=True)
class Recipient:
    """A check-in to send something about, with where and in which language."""

    checkin_id: int
    student_id: int
    chat_id: int
    language: str | None


@dataclass(frozen=True)
class Prompted(Recipient):
    """A check-in to prompt: the question depends on where the student is isolated."""

    isolation_kind: str


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


async def _fetchone(tx: aiosqlite.Connection, sql: str, params: Any = ()) -> sqlite3.Row | None:
    async with tx.execute(sql, params) as cursor:
        return await cursor.fetchone()


async def _fetchall(tx: aiosqlite.Connection, sql: str, params: Any = ()) -> list[sqlite3.Row]:
    async with tx.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


# --- rounds -------------------------------------------------------------------------------


async def round_for(
    tx: aiosqlite.Connection, local_date: str, slot: str, plan: str = ""
) -> Round | None:
    row = await _fetchone(
        tx,
        "SELECT * FROM rounds WHERE local_date = ? AND slot = ? AND plan = ?",
        (local_date, slot, plan),
    )
    return None if row is None else Round.from_row(row)


async def first_round_at(db: Database) -> int | None:
    value = await db.scalar("SELECT MIN(scheduled_at) FROM rounds")
    return None if value is None else int(value)


async def insert_round(
    tx: aiosqlite.Connection,
    *,
    local_date: str,
    slot: str,
    slot_index: int,
    scheduled_at: int,
    closes_at: int,
    state: str,
    now: int,
    plan: str = "",
) -> int:
    cursor = await tx.execute(
        "INSERT INTO rounds (local_date, slot, slot_index, plan, scheduled_at, closes_at, state,"
        " opened_at, closed_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            local_date,
            slot,
            slot_index,
            plan,
            scheduled_at,
            closes_at,
            state,
            now if state == "opened" else None,
            now if state == "not_sent" else None,
            now,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


# The plan a person (aliased p) follows: their school's name if it has a plan of its own
# (:plans, a JSON list of the school names with one), else '' (the county timetable).
PLAN_OF_PERSON = (
    "COALESCE((SELECT s.name FROM schools s WHERE s.id = p.school_id"
    " AND s.name IN (SELECT value FROM json_each(:plans))), '')"
)


# The people a round scheduled at :at is for: isolated then (students and staff alike), still
# on the roster.
_ISOLATED_AT = (
    " FROM isolations i JOIN people p ON p.id = i.student_id"
    " WHERE p.deactivated_at IS NULL AND i.purged_at IS NULL"
    " AND i.started_at <= :at AND (i.ended_at IS NULL OR i.ended_at > :at)"
    f" AND {PLAN_OF_PERSON} = :plan"
)


async def add_isolated_students(
    tx: aiosqlite.Connection,
    round_id: int,
    *,
    scheduled_at: int,
    with_screen: bool,
    now: int,
    plan: str = "",
    plans: Sequence[str] = (),
) -> int:
    """One check-in per student whose isolation covers the slot time; a second run adds none.

    Students without a linked account cannot be asked, so theirs is recorded as not sent.
    Returns how many check-ins were added.
    """
    cursor = await tx.execute(
        "INSERT OR IGNORE INTO checkins (round_id, student_id, isolation_id, with_screen,"
        " status, created_at, closed_at)"
        " SELECT :round, i.student_id, i.id, :screen,"
        "  CASE WHEN p.chat_id IS NULL THEN 'not_sent' ELSE 'open' END, :now,"
        "  CASE WHEN p.chat_id IS NULL THEN :now END"
        f"{_ISOLATED_AT}",
        {
            "round": round_id,
            "screen": int(with_screen),
            "now": now,
            "at": scheduled_at,
            "plan": plan,
            "plans": json.dumps(list(plans)),
        },
    )
    return cursor.rowcount


async def record_not_sent(
    tx: aiosqlite.Connection,
    round_id: int,
    *,
    scheduled_at: int,
    now: int,
    plan: str = "",
    plans: Sequence[str] = (),
) -> int:
    """Record, for a round nobody was asked in, that each isolated student was not sent it."""
    cursor = await tx.execute(
        "INSERT OR IGNORE INTO checkins (round_id, student_id, isolation_id, status, created_at,"
        " closed_at)"
        " SELECT :round, i.student_id, i.id, 'not_sent', :now, :now"
        f"{_ISOLATED_AT}",
        {
            "round": round_id,
            "now": now,
            "at": scheduled_at,
            "plan": plan,
            "plans": json.dumps(list(plans)),
        },
    )
    return cursor.rowcount


async def unprompted(
    tx: aiosqlite.Connection, round_id: int, *, after: int = 0, limit: int = -1
) -> list[Prompted]:
    """Open check-ins of a round whose prompt is not enqueued yet, by id from `after` on."""
    rows = await _fetchall(
        tx,
        "SELECT c.id, c.student_id, p.chat_id, p.language, i.kind FROM checkins c"
        " JOIN people p ON p.id = c.student_id JOIN isolations i ON i.id = c.isolation_id"
        " WHERE c.round_id = ? AND c.id > ? AND c.status = 'open' AND c.prompt_outbox_id IS NULL"
        " AND p.chat_id IS NOT NULL ORDER BY c.id LIMIT ?",
        (round_id, after, limit),
    )
    return [Prompted(r[0], r[1], r[2], r[3], r[4]) for r in rows]


async def link_prompts(
    tx: aiosqlite.Connection, round_id: int, first_id: int = 0, last_id: int = -1
) -> None:
    """Point each check-in (with an id in first_id..last_id, or any) at the outbox row of its
    prompt, found by its dedup key."""
    await tx.execute(
        "UPDATE checkins SET prompt_outbox_id ="
        " (SELECT o.id FROM outbox o WHERE o.dedup_key = 'ci:' || checkins.id || ':prompt')"
        " WHERE round_id = ? AND prompt_outbox_id IS NULL AND id >= ?"
        " AND (? < 0 OR id <= ?)",
        (round_id, first_id, last_id, last_id),
    )


async def unclosed_rounds(tx: aiosqlite.Connection) -> list[Round]:
    rows = await _fetchall(
        tx,
        "SELECT * FROM rounds WHERE state = 'opened' AND closed_at IS NULL ORDER BY scheduled_at",
    )
    return [Round.from_row(r) for r in rows]


async def unfinished(tx: aiosqlite.Connection, round_id: int, wave: int) -> list[Recipient]:
    """Open check-ins of a round not yet reminded in this wave; one submitted and reopened with
    Edit is not unfinished (its submitted answers stand)."""
    rows = await _fetchall(
        tx,
        "SELECT c.id, c.student_id, p.chat_id, p.language FROM checkins c"
        " JOIN people p ON p.id = c.student_id"
        " WHERE c.round_id = ? AND c.status = 'open' AND c.answered_at IS NULL"
        " AND c.reminders_sent < ?"
        " AND p.chat_id IS NOT NULL ORDER BY c.id",
        (round_id, wave),
    )
    return [Recipient(r[0], r[1], r[2], r[3]) for r in rows]


async def mark_reminded(tx: aiosqlite.Connection, round_id: int, wave: int) -> None:
    await tx.execute(
        "UPDATE checkins SET reminders_sent = ? WHERE round_id = ? AND status = 'open'"
        " AND reminders_sent < ?",
        (wave, round_id, wave),
    )
    await tx.execute(
        "UPDATE rounds SET reminders_sent = ? WHERE id = ? AND reminders_sent < ?",
        (wave, round_id, wave),
    )


async def close_round(tx: aiosqlite.Connection, round_id: int, now: int) -> list[int]:
    """Close a round's window: unfinished check-ins become missed, keeping their answers.

    A check-in that reached the summary, or was submitted once and is being edited, counts as
    answered: the student gave every answer. Returns the ids whose outcome is now final.
    """
    finished = await _fetchall(
        tx,
        "UPDATE checkins SET"
        " status = CASE WHEN step = 'summary' OR answered_at IS NOT NULL"
        "  THEN 'answered' ELSE 'missed' END,"
        " answered_at = CASE WHEN step = 'summary' THEN COALESCE(answered_at, :now)"
        "  ELSE answered_at END,"
        " pending_c = NULL, pending_f = NULL, closed_at = :now"
        " WHERE round_id = :round AND status = 'open' RETURNING id",
        {"round": round_id, "now": now},
    )
    await tx.execute(
        "UPDATE checkins SET closed_at = :now WHERE round_id = :round AND status = 'answered'"
        " AND closed_at IS NULL",
        {"round": round_id, "now": now},
    )
    await tx.execute(
        "UPDATE rounds SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (now, round_id)
    )
    return sorted(r[0] for r in finished)


# --- one check-in -------------------------------------------------------------------------


async def checkin_by_id(db: Database | aiosqlite.Connection, checkin_id: int) -> Checkin | None:
    sql = f"{_CHECKIN} WHERE c.id = ?"
    if isinstance(db, Database):
        row = await db.fetchone(sql, (checkin_id,))
    else:
        row = await _fetchone(db, sql, (checkin_id,))
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


async def latest_checkin(db: Database, student_id: int) -> Checkin | None:
    row = await db.fetchone(
        f"{_CHECKIN} WHERE c.student_id = ? ORDER BY r.scheduled_at DESC LIMIT 1", (student_id,)
    )
    return None if row is None else Checkin.from_row(row)


async def plan_of(db: Database, person_id: int, plans: Sequence[str]) -> str:
    """The plan whose rounds the person is asked in: their school's own, or '' (the county)."""
    if not plans:
        return ""
    value = await db.scalar(
        f"SELECT {PLAN_OF_PERSON} FROM people p WHERE p.id = :id",
        {"id": person_id, "plans": json.dumps(list(plans))},
    )
    return str(value or "")


async def open_round_now(db: Database, now: int, plan: str = "") -> Round | None:
    row = await db.fetchone(
        "SELECT * FROM rounds WHERE state = 'opened' AND scheduled_at <= ? AND closes_at > ?"
        " AND plan = ? ORDER BY scheduled_at DESC LIMIT 1",
        (now, now, plan),
    )
    return None if row is None else Round.from_row(row)


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


async def cancel_open(tx: aiosqlite.Connection, isolation_id: int, now: int) -> int:
    """Stop the check-ins of an ended isolation that nobody answered to the end.

    One submitted before and being edited is open again but was answered: it goes back to
    answered with the answers it has, as closing its window would do, and stays for closing.
    Returns how many were cancelled.
    """
    await tx.execute(
        "UPDATE checkins SET status = 'answered', step = 'summary', pending_c = NULL,"
        " pending_f = NULL WHERE isolation_id = ? AND status = 'open' AND answered_at IS NOT NULL",
        (isolation_id,),
    )
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
