"""Retention by age: a student who was never isolated still has their crisis card and relayed
messages forgotten after the retention period, staff copies are overwritten, and the purged text
survives neither in the database file's free pages nor in its WAL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.harness import Harness
from tests.steps import MARKER, NEUTRAL, crisis_and_relay


def raw_bytes(database: str) -> bytes:
    return b"".join(
        path.read_bytes() for path in (Path(database), Path(f"{database}-wal")) if path.exists()
    )


async def marked_rows(harness: Harness) -> list[str]:
    """Where the marker is stored, table by table."""
    db = harness.svc.db
    like = f"%{MARKER}%"
    found = []
    for table, column in (("outbox", "payload"), ("alerts", "facts"), ("audit", "scope")):
        count = await db.scalar(f"SELECT COUNT(*) FROM {table} WHERE {column} LIKE ?", (like,))
        if count:
            found.append(f"{table}.{column}: {count}")
    return found


async def test_never_isolated_student_is_forgotten_after_the_retention_period(
    harness: Harness,
) -> None:
    users = await crisis_and_relay(harness)
    assert await marked_rows(harness), "nothing stored the marker: the test would prove nothing"
    facts = "SELECT facts FROM alerts WHERE kind = 'crisis'"
    assert await harness.svc.db.scalar(facts) != "{}"
    start = harness.clock.now()

    harness.clock.set(start + timedelta(days=harness.config.retention.days_after_isolation - 1))
    await harness.tick()
    assert await marked_rows(harness), "purged before the retention period was over"

    harness.clock.set(start + timedelta(days=400))
    await harness.tick()
    await harness.delivered()
    assert await marked_rows(harness) == []
    assert await harness.svc.db.scalar(facts) == "{}"
    crisis_cards = await harness.svc.db.scalar(
        "SELECT COUNT(*) FROM outbox WHERE payload LIKE '%危机%'"
    )
    assert crisis_cards == 0
    for number in ("T01", "C01"):
        left = [
            m
            for m in users[number].messages
            if MARKER in str(m.get("text")) or "危机言语" in str(m.get("text"))
        ]
        assert not left, f"{number}'s chat still shows {left}"
        # Exactly the line: the privacy notice quotes it too.
        overwritten = [m for m in users[number].messages if m.get("text") == NEUTRAL]
        assert overwritten, number
    assert MARKER.encode() not in raw_bytes(harness.config.general.database)


async def test_purge_leaves_no_text_in_free_pages_or_wal(harness: Harness) -> None:
    await crisis_and_relay(harness)
    database = harness.config.general.database
    assert MARKER.encode() in raw_bytes(database), "the marker never reached the file"
    harness.clock.set(harness.clock.now() + timedelta(days=400))
    await harness.tick()
    await harness.delivered()
    assert MARKER.encode() not in raw_bytes(database)
