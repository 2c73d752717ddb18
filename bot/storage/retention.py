"""SQL for the retention purge: answers, notes and relayed texts go; counts stay."""

from __future__ import annotations

import aiosqlite

from bot.storage.db import Database

# A row still waiting to go is withdrawn: its text is gone, and a month-old message about an
# ended episode is not to be sent anyway. A row in flight is blanked like any other: the
# delivery worker sends the copy it holds and records the outcome, and should it try again it
# finds no text and fails the row without a request.
_WITHDRAWN = "CASE status WHEN 'pending' THEN 'cancelled' ELSE status END"
# Blanks an outbox row and gives it a dedup key unique by the row's id, which nothing queues.
_BLANK = f"payload = '{{}}', dedup_key = 'purged:' || id, status = {_WITHDRAWN}"


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
    for alert_id in alert_ids:
        await _neutralize_signal_keys(tx, alert_id)
    # Messages to or about the student: prompts, replies, relayed conversations. A message's
    # dedup key can name what it was (crisis:<student>) and hash its text, so it goes too; it
    # is looked up only when a message is queued and in that same transaction, and nothing of
    # an ended episode is queued again, a card's edits carrying the alert's revision.
    await tx.execute(
        f"UPDATE outbox SET {_BLANK} WHERE created_at BETWEEN :started AND :ended"
        " AND (person_id = :student OR id IN (SELECT outbox_id FROM contacts"
        " WHERE student_id = :student AND outbox_id IS NOT NULL))",
        window,
    )
    # Every card of the alerts, found by the key bot.alerts gives them (al:<alert id>:...):
    # alert_cards points only at each adult's latest card, not at its edits or at the quieter
    # card a louder one replaced.
    await tx.executemany(
        f"UPDATE outbox SET {_BLANK} WHERE dedup_key GLOB ?",
        [(f"al:{a}:*",) for a in alert_ids],
    )
    # The screen's review examples drawn from this episode: a labelled alert's message, a
    # relayed message a staff member reported as missed.
    await tx.executemany(
        "DELETE FROM crisis_examples WHERE alert_id = ?", [(a,) for a in alert_ids]
    )
    await tx.execute(
        "DELETE FROM crisis_examples WHERE student_id = :student"
        " AND created_at BETWEEN :started AND :ended",
        window,
    )
    await tx.execute("UPDATE isolations SET purged_at = ? WHERE id = ?", (now, isolation_id))
    return purged


async def _neutralize_signal_keys(tx: aiosqlite.Connection, alert_id: int) -> None:
    """Give the alert's signal keys (<kind>:<source>:<hash of the facts>) neutral values: the
    hash, and a crisis source's hash of the student's text, would give away the answers to
    anyone who tries the likely ones.

    A key is asked for only when its signal comes again: a check-in's signals when that
    check-in is evaluated, which happens once, in the transaction that claimed them; a
    crisis signal's key carries the time of the message. Neither comes again for an ended
    episode. An unreachable signal's key is asked again on each failed send while the student
    stays blocked, and hashes no facts, so it stays as it is. The ledger links a check-in to
    its alerts by the `<kind>:ci:<check-in id>` a key starts with, so that much is kept."""
    async with tx.execute(
        "SELECT key FROM alert_signals WHERE alert_id = ? ORDER BY at, key", (alert_id,)
    ) as found:
        keys = [r[0] for r in await found.fetchall()]
    taken = set(keys)
    renamed = []
    for key in keys:
        parts = key.split(":")
        # An alert still open at a purge may be purged again with a later episode.
        if "purged" in parts or parts[1] == "unreachable":
            continue
        kept = f"{parts[0]}:ci:{parts[2]}:" if parts[1] == "ci" and parts[2].isdigit() else ""
        number = 0
        while f"{kept}purged:{alert_id}:{number}" in taken:
            number += 1
        neutral = f"{kept}purged:{alert_id}:{number}"
        taken.add(neutral)
        renamed.append((neutral, key))
    await tx.executemany("UPDATE alert_signals SET key = ? WHERE key = ?", renamed)


async def blank_reports(tx: aiosqlite.Connection, created_before: int) -> int:
    """Blank the class teachers' digests and the school reports queued before the given time;
    returns how many. A letter names many students, each with an episode ending at its own
    time, so it cannot follow any one student's purge: its own age is what keeps every name
    and value in it no longer than the retention period."""
    cursor = await tx.execute(
        f"UPDATE outbox SET payload = '{{}}', status = {_WITHDRAWN} WHERE (dedup_key GLOB"
        " 'digest:*' OR dedup_key GLOB 'school_report:*') AND created_at < ? AND payload != '{}'",
        (created_before,),
    )
    return cursor.rowcount


async def purge_examples(tx: aiosqlite.Connection, created_before: int) -> int:
    """Delete the crisis screen's review examples recorded before the given time; returns how
    many. A pasted text has no student to follow, so, like a letter, its own age decides."""
    cursor = await tx.execute(
        "DELETE FROM crisis_examples WHERE created_at < ?", (created_before,)
    )
    return cursor.rowcount
