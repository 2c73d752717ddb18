"""SQL for the retention purge: answers, notes and relayed texts go; counts stay."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.db import Database

# A row still waiting to go is withdrawn: its text is gone, and a month-old message about an
# ended episode is not to be sent anyway. A row in flight is blanked like any other: the
# delivery worker sends the copy it holds and records the outcome, and should it try again it
# finds no text and fails the row without a request.
_WITHDRAWN = "CASE status WHEN 'pending' THEN 'cancelled' ELSE status END"
# Blanks an outbox row and gives it a dedup key unique by the row's id, which nothing queues.
_BLANK = f"payload = '{{}}', dedup_key = 'purged:' || id, status = {_WITHDRAWN}"
# Copies in a staff member's chat that carried health data: alert cards, messages relayed from
# a student, digests and school reports. Their text is overwritten in the chat too. A student's
# own chat keeps its messages: the phone is theirs.
_RECALLABLE = (
    "o.status = 'sent' AND o.message_id IS NOT NULL AND o.method IN ('sendMessage', 'sendPhoto')"
    " AND (o.dedup_key GLOB 'al:*' OR o.dedup_key GLOB 'ct:*' OR o.dedup_key GLOB 'digest:*'"
    " OR o.dedup_key GLOB 'school_report:*') AND p.role != 'student'"
)
_CHECKIN_ANSWERS = (
    "temperature_c = NULL, fahrenheit_original = NULL, pending_c = NULL, pending_f = NULL,"
    " symptoms = NULL, mood = NULL, screen_1 = NULL, screen_2 = NULL, screen_3 = NULL,"
    " screen_4 = NULL, note = NULL"
)


@dataclass(frozen=True)
class Recall:
    """A delivered staff copy of purged text, to be overwritten (or deleted) in its chat."""

    outbox_id: int
    chat_id: int
    person_id: int
    method: str
    sent_at: int | None
    language: str | None


async def _blank_outbox(
    tx: aiosqlite.Connection, where: str, params: dict[str, object]
) -> list[Recall]:
    """Blank the outbox rows matching `where`; returns the staff copies they were."""
    recalls = await _recalls(tx, where, params)
    await tx.execute(f"UPDATE outbox SET {_BLANK} WHERE {where}", params)
    return recalls


async def _recalls(
    tx: aiosqlite.Connection, where: str, params: dict[str, object]
) -> list[Recall]:
    """The staff copies among the outbox rows matching `where`."""
    async with tx.execute(
        "SELECT o.id, o.chat_id, o.person_id, o.method, o.sent_at, p.language FROM outbox o"
        f" JOIN people p ON p.id = o.person_id WHERE {_RECALLABLE}"
        f" AND o.id IN (SELECT id FROM outbox WHERE {where}) ORDER BY o.id",
        params,
    ) as found:
        return [Recall(*row) for row in await found.fetchall()]


async def isolations_to_purge(db: Database, ended_before: int) -> list[int]:
    rows = await db.fetchall(
        "SELECT id FROM isolations WHERE ended_at IS NOT NULL AND ended_at < ?"
        " AND purged_at IS NULL ORDER BY id",
        (ended_before,),
    )
    return [r[0] for r in rows]


async def purge_isolation(
    tx: aiosqlite.Connection, isolation_id: int, now: int
) -> tuple[int, list[Recall]]:
    """Blank the health answers of one episode, and the texts that carried them or relayed
    messages about the student; check-in statuses and alert rows stay for the statistics.
    Returns how many check-ins, and the staff copies to overwrite."""
    cursor = await tx.execute(
        f"UPDATE checkins SET {_CHECKIN_ANSWERS} WHERE isolation_id = ?", (isolation_id,)
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
    recalls = await _forget_alerts(tx, alert_ids)
    # Messages to or about the student: prompts, replies, relayed conversations. A message's
    # dedup key can name what it was (crisis:<student>) and hash its text, so it goes too; it
    # is looked up only when a message is queued and in that same transaction, and nothing of
    # an ended episode is queued again, a card's edits carrying the alert's revision.
    recalls += await _blank_outbox(
        tx,
        "created_at BETWEEN :started AND :ended"
        " AND (person_id = :student OR id IN (SELECT outbox_id FROM contacts"
        " WHERE student_id = :student AND outbox_id IS NOT NULL))",
        window,
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
    return purged, recalls


async def purge_by_age(
    tx: aiosqlite.Connection, created_before: int
) -> tuple[int, int, list[Recall]]:
    """Blank whatever health data is older than the retention period, isolated or not: answers
    of check-ins, alerts last active before it and every copy of their cards, and every outbox
    payload (relayed messages, prompts, crisis replies). Returns how many check-ins and
    alerts, and the staff copies to overwrite.

    The audit trail stays whole: its rows name who looked at whose data and in what scope,
    never the data itself."""
    cursor = await tx.execute(
        f"UPDATE checkins SET {_CHECKIN_ANSWERS} WHERE created_at < ? AND (temperature_c"
        " IS NOT NULL OR fahrenheit_original IS NOT NULL OR pending_c IS NOT NULL OR pending_f"
        " IS NOT NULL OR symptoms IS NOT NULL OR mood IS NOT NULL OR screen_1 IS NOT NULL OR"
        " screen_2 IS NOT NULL OR screen_3 IS NOT NULL OR screen_4 IS NOT NULL OR note IS NOT"
        " NULL)",
        (created_before,),
    )
    checkins = cursor.rowcount
    # The age of what the alert holds is the age of its last signal: a staff member's step on
    # it (or an escalation the scheduler takes late) does not make the student's words newer.
    # One already forgotten has empty facts and no card left unblanked.
    async with tx.execute(
        "SELECT a.id FROM alerts a WHERE MAX(a.opened_at, a.seen_at) < :before"
        " AND (a.facts != '{}' OR a.resolution IS NOT NULL OR EXISTS (SELECT 1 FROM outbox o"
        # A range ('al:7:' up to 'al:7;') lets the dedup_key index answer; a GLOB built from
        # an expression would read the whole outbox for every old alert.
        " WHERE o.dedup_key >= 'al:' || a.id || ':' AND o.dedup_key < 'al:' || a.id || ';'))",
        {"before": created_before},
    ) as found:
        alert_ids = [r[0] for r in await found.fetchall()]
    recalls = await _forget_alerts(tx, alert_ids)
    recalls += await _blank_outbox(
        tx, "created_at < :before AND payload != '{}'", {"before": created_before}
    )
    return checkins, len(alert_ids), recalls


async def _forget_alerts(tx: aiosqlite.Connection, alert_ids: list[int]) -> list[Recall]:
    """Empty the alerts' facts and 处置情况 lines, neutralize their signal keys and blank every
    card. Who handled an alert, when, and whether by a call stays, like who resolved it."""
    await tx.executemany(
        "UPDATE alerts SET facts = '{}', resolution = NULL WHERE id = ?", [(a,) for a in alert_ids]
    )
    await tx.executemany(
        "DELETE FROM resolution_prompts WHERE alert_id = ?", [(a,) for a in alert_ids]
    )
    recalls = []
    for alert_id in alert_ids:
        await _neutralize_signal_keys(tx, alert_id)
        # Every card of the alert, found by the key bot.alerts gives them (al:<alert id>:...):
        # alert_cards points only at each adult's latest card, not at its edits or at the
        # quieter card a louder one replaced.
        recalls += await _blank_outbox(tx, "dedup_key GLOB :cards", {"cards": f"al:{alert_id}:*"})
    return recalls


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


async def blank_reports(tx: aiosqlite.Connection, created_before: int) -> tuple[int, list[Recall]]:
    """Blank the class teachers' digests and the school reports queued before the given time;
    returns how many, and the staff copies to overwrite. A letter names many students, each
    with an episode ending at its own time, so it cannot follow any one student's purge: its
    own age is what keeps every name and value in it no longer than the retention period."""
    where = (
        "(dedup_key GLOB 'digest:*' OR dedup_key GLOB 'school_report:*') AND created_at < :before"
        " AND payload != '{}'"
    )
    recalls = await _recalls(tx, where, {"before": created_before})
    cursor = await tx.execute(
        f"UPDATE outbox SET payload = '{{}}', status = {_WITHDRAWN} WHERE {where}",
        {"before": created_before},
    )
    return cursor.rowcount, recalls


async def purge_examples(tx: aiosqlite.Connection, created_before: int) -> int:
    """Delete the crisis screen's review examples recorded before the given time; returns how
    many. A pasted text has no student to follow, so, like a letter, its own age decides."""
    cursor = await tx.execute(
        "DELETE FROM crisis_examples WHERE created_at < ?", (created_before,)
    )
    return cursor.rowcount
