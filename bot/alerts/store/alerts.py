"""SQL for alerts, their cards, their event record and the signals applied to them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.alerts.store import reader
from bot.storage.db import Database


@dataclass(frozen=True)
class Alert:
    id: int
    student_id: int
    kind: str
    level: str
    state: str
    opened_at: int
    updated_at: int
    seen_at: int
    signals: int
    owner_id: int | None
    acknowledged_at: int | None
    resolved_at: int | None
    resolved_by: int | None
    escalation_step: int
    next_escalation_at: int | None
    revision: int
    facts: dict[str, Any]
    # A staff member's label on a crisis alert ('not_concern'), with who and when.
    label: str | None = None
    labelled_by: int | None = None
    labelled_at: int | None = None
    # The /called phone call a staff member said handled the alert, and the 处置情况 line.
    handled_call_id: int | None = None
    resolution: str | None = None
    resolution_by: int | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Alert:
        return cls(
            id=row["id"],
            student_id=row["student_id"],
            kind=row["kind"],
            level=row["level"],
            state=row["state"],
            opened_at=row["opened_at"],
            updated_at=row["updated_at"],
            seen_at=row["seen_at"],
            signals=row["signals"],
            owner_id=row["owner_id"],
            acknowledged_at=row["acknowledged_at"],
            resolved_at=row["resolved_at"],
            resolved_by=row["resolved_by"],
            escalation_step=row["escalation_step"],
            next_escalation_at=row["next_escalation_at"],
            revision=row["revision"],
            facts=json.loads(row["facts"]),
            label=row["label"],
            labelled_by=row["labelled_by"],
            labelled_at=row["labelled_at"],
            handled_call_id=row["handled_call_id"],
            resolution=row["resolution"],
            resolution_by=row["resolution_by"],
        )


@dataclass(frozen=True)
class Card:
    alert_id: int
    person_id: int
    outbox_id: int | None
    reason: str
    deliver_at: int


async def alert_by_id(conn: Database | aiosqlite.Connection, alert_id: int) -> Alert | None:
    row = await reader.one(conn, "SELECT * FROM alerts WHERE id = ?", (alert_id,))
    return None if row is None else Alert.from_row(row)


async def open_alert(tx: aiosqlite.Connection, student_id: int, kind: str) -> Alert | None:
    """The student's unresolved alert of this kind (at most one, by alerts_one_open)."""
    row = await reader.one(
        tx,
        "SELECT * FROM alerts WHERE student_id = ? AND kind = ? AND state != 'resolved'",
        (student_id, kind),
    )
    return None if row is None else Alert.from_row(row)


async def claim_signal(tx: aiosqlite.Connection, key: str, alert_id: int, now: int) -> bool:
    """Record that a signal was applied; False if it already was (then apply nothing)."""
    cursor = await tx.execute(
        "INSERT OR IGNORE INTO alert_signals (key, alert_id, at) VALUES (?, ?, ?)",
        (key, alert_id, now),
    )
    return cursor.rowcount == 1


async def source_applied(tx: aiosqlite.Connection, alert_id: int, prefix: str) -> bool:
    """Whether a signal whose key starts with prefix (a kind and a source) fed this alert."""
    # A range on the key (the primary key) rather than substr(), which would read every signal.
    row = await reader.one(
        tx,
        "SELECT 1 FROM alert_signals WHERE key >= ? AND key < ? AND alert_id = ?",
        (prefix, _after_prefix(prefix), alert_id),
    )
    return row is not None


def _after_prefix(prefix: str) -> str:
    """The first string greater than every string that starts with prefix."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


async def set_facts(
    tx: aiosqlite.Connection, alert_id: int, facts: dict[str, Any], now: int
) -> None:
    """Replace what an unresolved alert says, without counting a new signal."""
    await tx.execute(
        "UPDATE alerts SET facts = ?, updated_at = ?, revision = revision + 1"
        " WHERE id = ? AND state != 'resolved'",
        (json.dumps(facts, ensure_ascii=False, sort_keys=True), now, alert_id),
    )


async def signal_seen(tx: aiosqlite.Connection, key: str) -> bool:
    row = await reader.one(tx, "SELECT 1 FROM alert_signals WHERE key = ?", (key,))
    return row is not None


async def insert_alert(
    tx: aiosqlite.Connection,
    *,
    student_id: int,
    kind: str,
    level: str,
    seen_at: int,
    facts: dict[str, Any],
    next_escalation_at: int | None,
    now: int,
) -> int:
    cursor = await tx.execute(
        "INSERT INTO alerts (student_id, kind, level, opened_at, updated_at, seen_at,"
        " next_escalation_at, facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            student_id,
            kind,
            level,
            now,
            now,
            seen_at,
            next_escalation_at,
            json.dumps(facts, ensure_ascii=False, sort_keys=True),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def merge_signal(
    tx: aiosqlite.Connection,
    alert_id: int,
    *,
    level: str,
    seen_at: int,
    facts: dict[str, Any],
    next_escalation_at: int | None,
    now: int,
    again: bool = True,
) -> None:
    """Fold a new signal into an unresolved alert: newest facts, the higher level; `again`
    counts it as a new sighting (a later answer of the same check-in is not one)."""
    await tx.execute(
        "UPDATE alerts SET level = ?, seen_at = MAX(seen_at, ?), facts = ?,"
        " signals = signals + ?, next_escalation_at = ?, updated_at = ?,"
        " revision = revision + 1 WHERE id = ?",
        (
            level,
            seen_at,
            json.dumps(facts, ensure_ascii=False, sort_keys=True),
            int(again),
            next_escalation_at,
            now,
            alert_id,
        ),
    )


async def acknowledge(tx: aiosqlite.Connection, alert_id: int, person_id: int, now: int) -> bool:
    """Take ownership if nobody has; the first caller wins."""
    cursor = await tx.execute(
        "UPDATE alerts SET state = 'acknowledged', owner_id = ?, acknowledged_at = ?,"
        " next_escalation_at = NULL, updated_at = ?, revision = revision + 1"
        " WHERE id = ? AND state = 'open'",
        (person_id, now, now, alert_id),
    )
    return cursor.rowcount == 1


async def resolve(tx: aiosqlite.Connection, alert_id: int, person_id: int, now: int) -> bool:
    """Close an alert; whoever resolves an unowned alert becomes its owner."""
    cursor = await tx.execute(
        "UPDATE alerts SET state = 'resolved', resolved_at = ?, resolved_by = ?,"
        " owner_id = COALESCE(owner_id, ?), acknowledged_at = COALESCE(acknowledged_at, ?),"
        " next_escalation_at = NULL, updated_at = ?, revision = revision + 1"
        " WHERE id = ? AND state != 'resolved'",
        (now, person_id, person_id, now, now, alert_id),
    )
    return cursor.rowcount == 1


async def label(
    tx: aiosqlite.Connection, alert_id: int, label: str, person_id: int, now: int
) -> bool:
    """Put a label on a crisis alert nobody has labelled yet; the first label stands."""
    cursor = await tx.execute(
        "UPDATE alerts SET label = ?, labelled_by = ?, labelled_at = ?, updated_at = ?,"
        " revision = revision + 1 WHERE id = ? AND kind = 'crisis' AND label IS NULL",
        (label, person_id, now, now, alert_id),
    )
    return cursor.rowcount == 1


async def due_escalations(db: Database, now: int, limit: int = 100) -> list[int]:
    rows = await db.fetchall(
        "SELECT id FROM alerts WHERE state = 'open' AND next_escalation_at <= ?"
        " ORDER BY next_escalation_at, id LIMIT ?",
        (now, limit),
    )
    return [r[0] for r in rows]


async def set_escalation(
    tx: aiosqlite.Connection, alert_id: int, step: int, next_at: int | None, now: int
) -> bool:
    """Move an alert still open to escalation `step`; False if it was taken meanwhile."""
    cursor = await tx.execute(
        "UPDATE alerts SET escalation_step = ?, next_escalation_at = ?, updated_at = ?,"
        " revision = revision + 1 WHERE id = ? AND state = 'open' AND escalation_step < ?",
        (step, next_at, now, alert_id, step),
    )
    return cursor.rowcount == 1


async def escalate_now(tx: aiosqlite.Connection, alert_id: int, now: int) -> None:
    """Make an open alert due for its next escalation step at once."""
    await tx.execute(
        "UPDATE alerts SET next_escalation_at = ? WHERE id = ? AND state = 'open'",
        (now, alert_id),
    )


async def add_event(
    tx: aiosqlite.Connection, alert_id: int, at: int, actor_id: int | None, event: str
) -> None:
    await tx.execute(
        "INSERT INTO alert_events (alert_id, at, actor_id, event) VALUES (?, ?, ?, ?)",
        (alert_id, at, actor_id, event),
    )


async def cards(conn: Database | aiosqlite.Connection, alert_id: int) -> list[Card]:
    rows = await reader.all(
        conn,
        "SELECT alert_id, person_id, outbox_id, reason, deliver_at FROM alert_cards"
        " WHERE alert_id = ? ORDER BY created_at, person_id",
        (alert_id,),
    )
    return [Card(r[0], r[1], r[2], r[3], r[4]) for r in rows]


async def add_card(
    tx: aiosqlite.Connection,
    alert_id: int,
    person_id: int,
    *,
    reason: str,
    deliver_at: int,
    now: int,
) -> bool:
    """Record a recipient; False if they already have a card for this alert."""
    cursor = await tx.execute(
        "INSERT OR IGNORE INTO alert_cards (alert_id, person_id, reason, created_at, deliver_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (alert_id, person_id, reason, now, deliver_at),
    )
    return cursor.rowcount == 1


async def point_card(
    tx: aiosqlite.Connection, alert_id: int, person_id: int, outbox_id: int, deliver_at: int
) -> None:
    """Make the card's message the one this outbox row sends (edits then target it)."""
    await tx.execute(
        "UPDATE alert_cards SET outbox_id = ?, deliver_at = ?"
        " WHERE alert_id = ? AND person_id = ?",
        (outbox_id, deliver_at, alert_id, person_id),
    )


async def open_alerts_for_student(db: Database, student_id: int) -> list[Alert]:
    rows = await db.fetchall(
        "SELECT * FROM alerts WHERE student_id = ? AND state != 'resolved' ORDER BY id",
        (student_id,),
    )
    return [Alert.from_row(r) for r in rows]


async def unresolved_held_by(db: Database, person_id: int) -> list[int]:
    """Unresolved alerts the person owns or has a card of."""
    rows = await db.fetchall(
        "SELECT id FROM alerts WHERE state != 'resolved' AND (owner_id = ? OR id IN"
        " (SELECT alert_id FROM alert_cards WHERE person_id = ?)) ORDER BY id",
        (person_id, person_id),
    )
    return [r[0] for r in rows]


async def reopen(
    tx: aiosqlite.Connection, alert_id: int, owner_id: int, next_at: int | None, now: int
) -> bool:
    """Give back an alert its owner can no longer work on; False if someone else has it."""
    cursor = await tx.execute(
        "UPDATE alerts SET state = 'open', owner_id = NULL, acknowledged_at = NULL,"
        " next_escalation_at = ?, updated_at = ?, revision = revision + 1"
        " WHERE id = ? AND state = 'acknowledged' AND owner_id = ?",
        (next_at, now, alert_id, owner_id),
    )
    return cursor.rowcount == 1
