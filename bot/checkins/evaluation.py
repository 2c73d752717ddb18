"""A check-in as the alert rules take it: its facts with the student's check-ins before it,
one still being answered, or the student's last few; and the evaluated_at mark by which
handoff.hand_on_unevaluated finds the check-ins a crash left unevaluated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiosqlite

from bot.checkins.store import checkins as store
from bot.checkins.store.checkins import Checkin
from bot.storage.db import Database

if TYPE_CHECKING:
    # The rules' own record; check-ins hand off to the alerts without importing them.
    from bot.alerts.rules import CheckinFacts

# How many of the student's latest check-ins the trend rules are given as history.
HISTORY = 30


@dataclass(frozen=True)
class ForRules:
    """A check-in as the rules read it: the record, its facts, and the student's settled
    check-ins before it (none for one still being answered)."""

    checkin: Checkin
    current: CheckinFacts
    earlier: tuple[CheckinFacts, ...] = ()


async def settled(db: Database, checkin_id: int) -> ForRules | None:
    """The check-in once answered or missed, with its history; None while it is open, or if
    it was cancelled, not sent or is unknown."""
    checkin = await store.checkin_by_id(db, checkin_id)
    if checkin is None or checkin.status not in ("answered", "missed"):
        return None
    history = await store.checkin_history(db, checkin.student_id, limit=HISTORY)
    current = store.facts(checkin)
    # Only what came before: a late evaluation must not treat later check-ins as history.
    when = (current.local_date, current.slot_index)
    earlier = tuple(h for h in history if (h.local_date, h.slot_index) < when)
    return ForRules(checkin, current, earlier)


async def being_answered(db: Database, checkin_id: int) -> ForRules | None:
    """The check-in while the student (or a guardian) is still filling it in, with its facts
    so far (a screen not yet complete has none); None once it is submitted or closed."""
    checkin = await store.checkin_by_id(db, checkin_id)
    if checkin is None or checkin.status != "open":
        return None
    return ForRules(checkin, store.facts(checkin))


async def last_settled(db: Database, student_id: int, count: int) -> list[CheckinFacts]:
    """The student's last `count` answered, missed or unsent check-ins, oldest first."""
    return await store.checkin_history(db, student_id, limit=count)


async def mark_evaluated(tx: aiosqlite.Connection, checkin_id: int, now: int) -> None:
    """Record, in the transaction that applied the rules' alerts, that they have run."""
    await store.mark_evaluated(tx, checkin_id, now)
