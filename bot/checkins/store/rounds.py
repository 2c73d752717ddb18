"""SQL for check-in rounds: opening, prompting, reminding and closing them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bot.checkins.store.reader import fetch_all, fetch_one
from bot.storage.db import Database
from bot.storage.records import Scope


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
class Recipient:
    """A check-in to send something about, with where and in which language."""

    checkin_id: int
    student_id: int
    chat_id: int
    language: str | None


@dataclass(frozen=True)
class Prompted:
    """A check-in to prompt or remind: the question depends on where the student is isolated;
    chat_id is None for a student asked only through a guardian."""

    checkin_id: int
    student_id: int
    chat_id: int | None
    language: str | None
    isolation_kind: str
    name: str


async def round_for(
    tx: aiosqlite.Connection, local_date: str, slot: str, plan: str = ""
) -> Round | None:
    row = await fetch_one(
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


# A student can be asked in their own chat or, for a child without one, a guardian's.
_REACHABLE = (
    "(p.chat_id IS NOT NULL OR EXISTS (SELECT 1 FROM guardian_links l"
    " JOIN people g ON g.id = l.guardian_id WHERE l.student_id = p.id"
    " AND g.chat_id IS NOT NULL AND g.deactivated_at IS NULL))"
)
# Consent to check-ins: on the roster, or given by a guardian in the bot.
_CONSENTED = (
    "(p.guardian_consent = 1 OR EXISTS (SELECT 1 FROM guardian_consents gc"
    " WHERE gc.student_id = p.id AND gc.answer = 'yes'))"
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
    consent_required: bool = False,
) -> int:
    """One check-in per student whose isolation covers the slot time; a second run adds none.

    Students nobody can be asked for (no linked account, theirs or a guardian's), and with
    `consent_required` those without consent, are recorded as not sent. Returns how many
    check-ins were added.
    """
    askable = f"{_REACHABLE} AND {_CONSENTED}" if consent_required else _REACHABLE
    cursor = await tx.execute(
        "INSERT OR IGNORE INTO checkins (round_id, student_id, isolation_id, with_screen,"
        " status, created_at, closed_at)"
        " SELECT :round, i.student_id, i.id, :screen,"
        f"  CASE WHEN {askable} THEN 'open' ELSE 'not_sent' END, :now,"
        f"  CASE WHEN {askable} THEN NULL ELSE :now END"
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
    rows = await fetch_all(
        tx,
        "SELECT c.id, c.student_id, p.chat_id, p.language, i.kind, p.name FROM checkins c"
        " JOIN people p ON p.id = c.student_id JOIN isolations i ON i.id = c.isolation_id"
        " WHERE c.round_id = ? AND c.id > ? AND c.status = 'open' AND c.prompt_outbox_id IS NULL"
        f" AND {_REACHABLE} ORDER BY c.id LIMIT ?",
        (round_id, after, limit),
    )
    return [Prompted(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


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
    rows = await fetch_all(
        tx,
        "SELECT * FROM rounds WHERE state = 'opened' AND closed_at IS NULL ORDER BY scheduled_at",
    )
    return [Round.from_row(r) for r in rows]


async def unfinished(tx: aiosqlite.Connection, round_id: int, wave: int) -> list[Prompted]:
    """Open check-ins of a round not yet reminded in this wave; one submitted and reopened with
    Edit is not unfinished (its submitted answers stand)."""
    rows = await fetch_all(
        tx,
        "SELECT c.id, c.student_id, p.chat_id, p.language, i.kind, p.name FROM checkins c"
        " JOIN people p ON p.id = c.student_id JOIN isolations i ON i.id = c.isolation_id"
        " WHERE c.round_id = ? AND c.status = 'open' AND c.answered_at IS NULL"
        f" AND c.reminders_sent < ? AND {_REACHABLE} ORDER BY c.id",
        (round_id, wave),
    )
    return [Prompted(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


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
    finished = await fetch_all(
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


async def plan_of(db: Database, person_id: int, plans: Sequence[str]) -> str:
    """The plan whose rounds the person is asked in: their school's own, or '' (the county)."""
    if not plans:
        return ""
    value = await db.scalar(
        f"SELECT {PLAN_OF_PERSON} FROM people p WHERE p.id = :id",
        {"id": person_id, "plans": json.dumps(list(plans))},
    )
    return str(value or "")


async def rounds_on(db: Database, local_date: str, plan: str | None = "") -> list[Round]:
    """The day's rounds of one plan: the county's ('') or a school's own (一校一策); of every
    plan with None."""
    if plan is None:
        rows = await db.fetchall(
            "SELECT * FROM rounds WHERE local_date = ? ORDER BY plan, slot_index", (local_date,)
        )
    else:
        rows = await db.fetchall(
            "SELECT * FROM rounds WHERE local_date = ? AND plan = ? ORDER BY slot_index",
            (local_date, plan),
        )
    return [Round.from_row(r) for r in rows]


async def unanswered(db: Database, round_id: int, scope: Scope) -> list[Recipient]:
    """The scope's bound students who have not submitted this round's check-in yet."""
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "SELECT c.id, c.student_id, p.chat_id, p.language FROM checkins c"
        " JOIN people p ON p.id = c.student_id"
        " WHERE c.round_id = ? AND c.status = 'open' AND c.answered_at IS NULL"
        " AND p.chat_id IS NOT NULL"
        f" AND p.unreachable_at IS NULL AND {condition} ORDER BY c.id",
        [round_id, *params],
    )
    return [Recipient(*r) for r in rows]


async def open_round_now(db: Database, now: int, plan: str = "") -> Round | None:
    row = await db.fetchone(
        "SELECT * FROM rounds WHERE state = 'opened' AND scheduled_at <= ? AND closes_at > ?"
        " AND plan = ? ORDER BY scheduled_at DESC LIMIT 1",
        (now, now, plan),
    )
    return None if row is None else Round.from_row(row)
