"""What other capabilities ask about a child's guardians: who may answer, whose chat to ask."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bot.core.config import Guardians
from bot.core.i18n import Catalog
from bot.guardians import store
from bot.guardians.answerer import answerer_for, targets
from bot.guardians.rows import dialable
from bot.guardians.store import Child, Guardian
from bot.storage.db import Database
from bot.storage.records import Person

__all__ = [
    "Asked",
    "Child",
    "Guardian",
    "cares_for",
    "children_of",
    "guardian_lines",
    "guardians_of",
    "primary_contact",
    "primary_guardians",
    "prompts",
]


@dataclass(frozen=True)
class Asked:
    """One chat a check-in prompt goes to: the student's own, or a guardian's."""

    person_id: int
    chat_id: int
    language: str | None
    by_guardian: bool


async def cares_for(db: Database, person: Person, student_id: int) -> bool:
    """Whether the person may answer and see this child's check-in as their guardian."""
    return person.role == "guardian" and await store.cares_for(db, person.id, student_id)


async def children_of(db: Database, guardian: Person) -> list[Child]:
    return await store.children_of(db, guardian.id) if guardian.role == "guardian" else []


async def guardians_of(db: Database, student_id: int) -> list[Guardian]:
    return await store.guardians_of(db, student_id)


async def prompts(
    tx: aiosqlite.Connection,
    config: Guardians,
    students: Sequence[tuple[int, int | None, str | None]],
) -> dict[int, list[Asked]]:
    """Per student (id, own chat, language), the chats their check-in prompt goes to; an empty
    list when nobody can be asked."""
    own = {student_id: (chat, language) for student_id, chat, language in students}
    facts = await store.prompt_facts(tx, list(own))
    asked: dict[int, list[Asked]] = {}
    for fact in facts:
        chat, language = own[fact.student_id]
        guardian = fact.guardian
        answerer = answerer_for(config, fact.school_name, fact.class_name, fact.answerer)
        aim = targets(answerer, chat is not None, guardian is not None)
        chats = []
        if aim.student and chat is not None:
            chats.append(Asked(fact.student_id, chat, language, by_guardian=False))
        if aim.guardian and guardian is not None and guardian.chat_id is not None:
            chats.append(Asked(guardian.id, guardian.chat_id, guardian.language, by_guardian=True))
        asked[fact.student_id] = chats
    return asked


def contact_text(catalog: Catalog, language: str, guardian: Guardian) -> str:
    """张爸爸（父亲）+86 138 0000 0002: who to phone, as a card or a view shows it."""
    return catalog.t(
        language,
        "guardians.contact",
        name=guardian.person.name,
        relation=guardian.relation,
        phone=dialable(guardian.person.number),
    )


async def guardian_lines(
    db: Database, catalog: Catalog, language: str, student: Person
) -> list[str]:
    """The child's guardians for a staff view, primary first; nothing when there are none."""
    listed = await store.guardians_of(db, student.id)
    if not listed:
        return []
    separator = catalog.t(language, "guardians.separator")
    names = separator.join(
        contact_text(catalog, language, g)
        + (catalog.t(language, "guardians.primary_mark") if g.primary and len(listed) > 1 else "")
        for g in listed
    )
    return [catalog.t(language, "guardians.line", guardians=names)]


async def primary_guardians(
    tx: aiosqlite.Connection, student_ids: Sequence[int]
) -> dict[int, Asked]:
    """Per student, the primary guardian's chat when they linked an account."""
    found = await store.primary_chats(tx, student_ids)
    return {
        student_id: Asked(person.id, person.chat_id, person.language, by_guardian=True)
        for student_id, person in found.items()
        if person.chat_id is not None
    }


async def primary_contact(db: Database, student_id: int) -> Guardian | None:
    """The guardian to phone about a child: the primary one, if the child has guardians."""
    listed = await store.guardians_of(db, student_id)
    return listed[0] if listed else None
