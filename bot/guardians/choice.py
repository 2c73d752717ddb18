"""/answerer: a teacher or admin decides who answers one student's check-ins."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.core.access import Viewer, covers_student, may_set_answerer
from bot.core.config import ANSWERERS
from bot.core.services import Services
from bot.guardians import store
from bot.guardians.answerer import answerer_for
from bot.storage import audit, people
from bot.storage.records import Person

# What a teacher types for each choice; "default" goes back to the configured rule.
CHOICES = {
    "student": "student",
    "学生": "student",
    "学生本人": "student",
    "guardian": "guardian",
    "parent": "guardian",
    "家长": "guardian",
    "家长代答": "guardian",
    "either": "either",
    "都可以": "either",
    "均可": "either",
    "default": "default",
    "默认": "default",
}


def audit_action(before: str | None, after: str | None) -> str:
    """The audit code of an /answerer change: answerer:<from>:<to>, "default" for the rule."""
    return f"answerer:{before or 'default'}:{after or 'default'}"


class Outcome(enum.StrEnum):
    USAGE = "usage"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    NOT_ALLOWED = "not_allowed"
    SET = "set"


@dataclass(frozen=True)
class Answerer:
    outcome: Outcome
    student: Person | None = None
    # The choice now in force ("student", "guardian" or "either") and whether it is the rule's.
    answerer: str = ""
    by_rule: bool = False


async def set_answerer(svc: Services, viewer: Viewer, args: list[str]) -> Answerer:
    """Set (or reset to the rule) who answers a student's check-ins."""
    if len(args) != 2 or args[1].casefold() not in CHOICES:
        return Answerer(Outcome.USAGE)
    found = [s for s in await store.students_named(svc.db, args[0]) if covers_student(viewer, s)]
    if not found:
        return Answerer(Outcome.NOT_FOUND)
    if len(found) > 1:
        return Answerer(Outcome.AMBIGUOUS)
    student = found[0]
    if not may_set_answerer(viewer, student):
        return Answerer(Outcome.NOT_ALLOWED, student)
    choice = CHOICES[args[1].casefold()]
    chosen = None if choice == "default" else choice
    assert chosen is None or chosen in ANSWERERS
    before = await store.answerer_of(svc.db, student.id)
    async with svc.db.transaction() as tx:
        await store.set_answerer(tx, student.id, chosen)
        # Who answers a child's health check-ins is a staff decision about that child.
        await audit.record(
            tx,
            actor_id=viewer.person.id,
            action=audit_action(before, chosen),
            now=svc.now(),
            student_id=student.id,
        )
    info = await people.student_info(svc.db, student.id)
    assert info is not None
    in_force = answerer_for(svc.config.guardians, info.school_name, info.class_name, chosen)
    return Answerer(Outcome.SET, student, in_force, by_rule=chosen is None)
