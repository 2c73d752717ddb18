"""SQL for the retention purge: answers, notes and relayed texts go; counts stay."""

from __future__ import annotations

import aiosqlite

from bot.storage.db import Database


async def isolations_to_purge(db: Database, ended_before: int) -> list[int]:
    rows = await db.fetchall(
        "SELECT id FROM isolations WHERE ended_at IS NOT NULL AND ended_at < ?"
        " AND purged_at IS NULL ORDER BY id",
        (ended_before,),
    )
    return [r[0] for r in rows]


async def purge_isolation(tx: aiosqlite.Connection, isolation_id: int, now: int) -> int:
    """Blank the health answers of one episode, and the texts that carried them or relayed
    messages about the student; check-in statuses and alert rows stay for the statistics."""
    cursor = await tx.execute(
        "UPDATE checkins SET temperature_c = NULL, fahrenheit_original = NULL, pending_c = NULL,"
        " pending_f = NULL, symptoms = NULL, mood = NULL, screen_1 = NULL, screen_2 = NULL,"
        " screen_3 = NULL, screen_4 = NULL, note = NULL WHERE isolation_id = ?",
        (isolation_id,),
    )
    purged = cursor.rowcount
    async with tx.execute(
        "SELECT student_id, started_at FROM isolations WHERE id = ?", (isolation_id,)
    ) as found:
        row = await found.fetchone()
    assert row is not None
    student_id, started_at = row
    async with tx.execute(
        "SELECT id FROM alerts WHERE student_id = ? AND opened_at >= ?", (student_id, started_at)
    ) as found:
        alert_ids = [r[0] for r in await found.fetchall()]
    await tx.executemany("UPDATE alerts SET facts = '{}' WHERE id = ?", [(a,) for a in alert_ids])
    # Messages to or about the student: prompts, replies, relayed conversations.
    await tx.execute(
        "UPDATE outbox SET payload = '{}' WHERE created_at >= ? AND (person_id = ? OR id IN"
        " (SELECT outbox_id FROM contacts WHERE student_id = ? AND outbox_id IS NOT NULL))"
        " AND status NOT IN ('pending', 'sending')",
        (started_at, student_id, student_id),
    )
    # Every card of the alerts, found by the key bot.alerts gives them (al:<alert id>:...):
    # alert_cards points only at each adult's latest card, not at its edits or at the quieter
    # card a louder one replaced.
    await tx.executemany(
        "UPDATE outbox SET payload = '{}' WHERE dedup_key GLOB ?"
        " AND status NOT IN ('pending', 'sending')",
        [(f"al:{a}:*",) for a in alert_ids],
    )
    await tx.execute("UPDATE isolations SET purged_at = ? WHERE id = ?", (now, isolation_id))
    return purged
