"""What /isolate, /release and the one-tap release (rl:<student id>) tell the teacher or admin."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.core.i18n import Catalog
from bot.core.keyboard import Button, callback
from bot.core.services import Services
from bot.isolation.periods import Outcome, Result, next_text
from bot.storage.records import Person

# rl:<student id>: release a student whose planned end date has come, in one tap.
RELEASE_AREA = "rl"


def release_button(catalog: Catalog, language: str, student_id: int, name: str) -> Button:
    """The one-tap release of a student, as /today shows it."""
    label = catalog.t(language, "today.release_button", name=name)
    return Button(label, callback(RELEASE_AREA, student_id))


def ambiguous_text(
    catalog: Catalog, language: str, query: str, matches: Sequence[tuple[Person, str]]
) -> str:
    """Several students match: list them with their class, so the sender can be exact."""
    choices = "\n".join(f"{p.number} {p.name} · {c}" for p, c in matches)
    return catalog.t(language, "isolation.ambiguous", query=query, choices=choices)


def started_text(svc: Services, language: str, student: Person, outcome: Outcome, now: int) -> str:
    """What the sender of /isolate reads: started (and when the first check-in comes) or
    already isolated since a day, and whether the student can be reached at all."""
    catalog = svc.catalog
    episode = outcome.episode
    assert episode is not None
    kind = catalog.t(language, f"isolation.kind.{episode.kind}")
    if outcome.result is Result.ALREADY:
        since = catalog.day(language, date.fromisoformat(episode.start_date))
        text = catalog.t(language, "isolation.already", name=student.name, kind=kind, since=since)
    else:
        assert outcome.next_slot is not None
        text = catalog.t(
            language,
            "isolation.started",
            name=student.name,
            kind=kind,
            next=next_text(svc, language, outcome.next_slot, now),
        )
    if student.chat_id is None:
        text += "\n\n" + catalog.t(language, "isolation.not_linked", name=student.name)
    return text


def ended_text(
    catalog: Catalog, language: str, student: Person, outcome: Outcome, *, say_told: bool
) -> str:
    """What a release tells the sender; `say_told` adds that the student got the return
    message (a toast under /today has no room for it)."""
    if outcome.result is Result.NOT_ISOLATED:
        return catalog.t(language, "isolation.not_isolated", name=student.name)
    text = catalog.t(language, "isolation.ended", name=student.name)
    if say_told and outcome.told:
        text += "\n" + catalog.t(language, "isolation.ended_told", name=student.name)
    return text
