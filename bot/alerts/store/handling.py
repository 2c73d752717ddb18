"""SQL for how an alert was handled: the phone calls logged, the 处置情况 prompt and line."""

from __future__ import annotations

import aiosqlite

from bot.alerts.store import reader
from bot.storage.db import Database


async def latest_call(
    conn: Database | aiosqlite.Connection, staff_id: int, student_id: int, since: int
) -> int | None:
    """The id of the last phone call this staff member logged to the student since then."""
    row = await reader.one(
        conn,
        "SELECT id FROM contacts WHERE staff_id = ? AND student_id = ? AND direction = 'call'"
        " AND at >= ? ORDER BY at DESC, id DESC LIMIT 1",
        (staff_id, student_id, since),
    )
    return None if row is None else int(row[0])


async def call_info(conn: Database | aiosqlite.Connection, call_id: int) -> tuple[int, int] | None:
    """(staff id, time) of a logged phone call."""
    row = await reader.one(conn, "SELECT staff_id, at FROM contacts WHERE id = ?", (call_id,))
    return None if row is None else (int(row[0]), int(row[1]))


async def set_handled_call(
    tx: aiosqlite.Connection, alert_id: int, call_id: int, now: int
) -> None:
    await tx.execute(
        "UPDATE alerts SET handled_call_id = ?, updated_at = ?, revision = revision + 1"
        " WHERE id = ?",
        (call_id, now, alert_id),
    )


async def ask_resolution(
    tx: aiosqlite.Connection, person_id: int, alert_id: int, now: int
) -> None:
    """Wait for this person's 处置情况 line for the alert (a newer question replaces it)."""
    await tx.execute(
        "INSERT INTO resolution_prompts (person_id, alert_id, asked_at) VALUES (?, ?, ?)"
        " ON CONFLICT (person_id) DO UPDATE SET alert_id = excluded.alert_id,"
        " asked_at = excluded.asked_at",
        (person_id, alert_id, now),
    )


async def waiting_resolution(db: Database, person_id: int, since: int) -> int | None:
    """The alert whose 处置情况 line this person's next text is: asked since `since`, and
    nothing begun after it that also waits for their text (a conversation, a notice's text)."""
    row = await db.fetchone(
        "SELECT r.alert_id FROM resolution_prompts r WHERE r.person_id = ? AND r.asked_at >= ?"
        " AND NOT EXISTS (SELECT 1 FROM contact_sessions s WHERE s.person_id = r.person_id"
        "  AND s.started_at > r.asked_at)"
        " AND NOT EXISTS (SELECT 1 FROM notice_drafts d WHERE d.author_id = r.person_id"
        "  AND d.stage = 'text' AND d.updated_at > r.asked_at)",
        (person_id, since),
    )
    return None if row is None else int(row[0])


async def drop_resolution_prompt(
    tx: aiosqlite.Connection, person_id: int, alert_id: int | None = None
) -> bool:
    """Stop waiting for the person's line (for that alert only, when given)."""
    cursor = await tx.execute(
        "DELETE FROM resolution_prompts WHERE person_id = ? AND (? IS NULL OR alert_id = ?)",
        (person_id, alert_id, alert_id),
    )
    return cursor.rowcount == 1


async def set_resolution(
    tx: aiosqlite.Connection, alert_id: int, text: str, person_id: int, now: int
) -> bool:
    """Store the 处置情况 line of a resolved alert."""
    cursor = await tx.execute(
        "UPDATE alerts SET resolution = ?, resolution_by = ?, resolution_at = ?, updated_at = ?,"
        " revision = revision + 1 WHERE id = ? AND state = 'resolved'",
        (text, person_id, now, now, alert_id),
    )
    return cursor.rowcount == 1
