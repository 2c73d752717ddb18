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
        "SELECT student_id, started_at, ended_at FROM isolations WHERE id = ?", (isolation_id,)
    ) as found:
        row = await found.fetchone()
    assert row is not None
    student_id, started_at, ended_at = row
    window = {"student": student_id, "started": started_at, "ended": ended_at}
    # Bounded by the end, or the purge of an old episode would blank a later, live one; the end
    # itself is in, as what happened in the second of the release belongs to this episode. An
    # alert is the episode's if it was opened (or, evaluated late, seen) by the end and last
    # active since the start; one left unresolved into the next episode took that episode's
    # signals and facts, so it waits for that episode's purge.
    async with tx.execute(
        "SELECT a.id FROM alerts a WHERE a.student_id = :student"
        " AND MIN(a.opened_at, a.seen_at) <= :ended AND MAX(a.opened_at, a.seen_at) >= :started"
        " AND NOT EXISTS (SELECT 1 FROM isolations later WHERE later.student_id = a.student_id"
        " AND later.started_at > :started AND later.started_at <= MAX(a.opened_at, a.seen_at))",
        window,
    ) as found:
        alert_ids = [r[0] for r in await found.fetchall()]
    await tx.executemany("UPDATE alerts SET facts = '{}' WHERE id = ?", [(a,) for a in alert_ids])
    # Messages to or about the student: prompts, replies, relayed conversations.
    await tx.execute(
        "UPDATE outbox SET payload = '{}' WHERE created_at BETWEEN :started AND :ended"
        " AND (person_id = :student OR id IN (SELECT outbox_id FROM contacts"
        " WHERE student_id = :student AND outbox_id IS NOT NULL))"
        " AND status NOT IN ('pending', 'sending')",
        window,
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


async def blank_reports(tx: aiosqlite.Connection, created_before: int) -> int:
    """Blank the class teachers' digests and the school reports queued before the given time;
    returns how many. A letter names many students, each with an episode ending at its own
    time, so it cannot follow any one student's purge: its own age is what keeps every name
    and value in it no longer than the retention period."""
    cursor = await tx.execute(
        "UPDATE outbox SET payload = '{}' WHERE (dedup_key GLOB 'digest:*'"
        " OR dedup_key GLOB 'school_report:*') AND created_at < ? AND payload != '{}'"
        " AND status NOT IN ('pending', 'sending')",
        (created_before,),
    )
    return cursor.rowcount
