"""The morning the access matrix and the fuzzer act in: 07:35 on the seeded Monday with the
round open, a fever alert for a student of each class and of the other school, and another
teacher's notice draft."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.checkins.store import checkins as checkin_store
from bot.notices import drafts
from bot.storage.people import select_people
from tests.conftest import SHANGHAI
from tests.harness import Harness
from tests.steps import answer_checkin

FEVERISH = ("S002", "S005", "S901")


@dataclass(frozen=True)
class Morning:
    ids: dict[str, int]
    checkins: dict[str, int]
    alerts: dict[str, int]
    draft: int


async def open_morning(harness: Harness, checkins_of: Sequence[str] = ()) -> Morning:
    """Run the morning round, raise the fevers and start T02's draft; `checkins_of` names the
    students whose check-in ids the caller needs."""
    harness.clock.set(datetime(2026, 11, 30, 7, 35, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()
    people = await select_people(harness.svc.db)
    ids = {p.number: p.id for p, _, _ in people}
    checkins = {}
    for number in checkins_of:
        found = await checkin_store.latest_checkin(harness.svc.db, ids[number])
        assert found is not None
        checkins[number] = found.id
    alerts = {}
    for number in FEVERISH:
        await answer_checkin(harness, number, temperature=38.6)
        row = await harness.svc.db.fetchone(
            "SELECT id FROM alerts WHERE student_id = ? AND kind = 'fever'", (ids[number],)
        )
        assert row is not None
        alerts[number] = int(row["id"])
    await harness.delivered()
    t02 = next(p for p, _, _ in people if p.number == "T02")
    draft = await drafts.start_draft(harness.svc, t02)
    return Morning(ids, checkins, alerts, draft)
