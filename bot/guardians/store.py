"""SQL for guardians: their import, their links to children, consent and who answers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aiosqlite

from bot.guardians.rows import GuardianRow
from bot.storage.db import Database
from bot.storage.records import Person

_PERSON_COLUMNS = (
    "p.id, p.role, p.number, p.name, p.school_id, p.class_id, p.language, p.guardian_consent,"
    " p.telegram_user_id, p.chat_id, p.unreachable_at"
)


@dataclass(frozen=True)
class Child:
    """A guardian's child with the names a greeting or a prompt shows."""

    student: Person
    school_name: str
    class_name: str
    relation: str
    primary: bool


@dataclass(frozen=True)
class Guardian:
    """A guardian of one child, as a card or a nudge names them."""

    person: Person
    relation: str
    primary: bool


async def children_of(db: Database, guardian_id: int) -> list[Child]:
    """The guardian's children still on the roster, in a stable order."""
    rows = await db.fetchall(
        f"SELECT {_PERSON_COLUMNS}, s.name AS school_name, c.name AS class_name,"
        " l.relation, l.is_primary FROM guardian_links l JOIN people p ON p.id = l.student_id"
        " JOIN schools s ON s.id = p.school_id JOIN classes c ON c.id = p.class_id"
        " WHERE l.guardian_id = ? AND p.deactivated_at IS NULL ORDER BY s.name, c.name, p.number",
        (guardian_id,),
    )
    return [
        Child(Person.from_row(r), r["school_name"], r["class_name"], r["relation"],
              bool(r["is_primary"]))
        for r in rows
    ]  # fmt: skip


async def guardians_of(db: Database, student_id: int) -> list[Guardian]:
    """The child's active guardians, the primary first."""
    rows = await db.fetchall(
        f"SELECT {_PERSON_COLUMNS}, l.relation, l.is_primary FROM guardian_links l"
        " JOIN people p ON p.id = l.guardian_id"
        " WHERE l.student_id = ? AND p.deactivated_at IS NULL ORDER BY l.is_primary DESC, p.id",
        (student_id,),
    )
    return [Guardian(Person.from_row(r), r["relation"], bool(r["is_primary"])) for r in rows]


@dataclass
class GuardianSummary:
    guardians_created: int = 0
    guardians_updated: int = 0
    children_linked: int = 0


async def write_guardians(
    tx: aiosqlite.Connection,
    rows: Sequence[GuardianRow],
    children: Mapping[int, int],
    *,
    now: int,
) -> GuardianSummary:
    """Create or update guardians and make the rows the truth for the children they name.

    `children` maps each row's line to the student it names.
    """
    summary = GuardianSummary()
    async with tx.execute("SELECT id, number FROM people WHERE role = 'guardian'") as cursor:
        known = {r[1]: r[0] for r in await cursor.fetchall()}
    first: dict[str, GuardianRow] = {}
    for row in rows:
        first.setdefault(row.phone, row)
    fresh = [row for phone, row in first.items() if phone not in known]
    await tx.executemany(
        "INSERT INTO people (role, number, name, language, created_at, updated_at)"
        " VALUES ('guardian', ?, ?, ?, ?, ?)",
        [(row.phone, row.name, row.language, now, now) for row in fresh],
    )
    # An empty language keeps the one the guardian may have chosen in the bot.
    await tx.executemany(
        "UPDATE people SET name = ?, language = COALESCE(?, language), updated_at = ?,"
        " deactivated_at = NULL WHERE id = ?",
        [
            (row.name, row.language, now, known[phone])
            for phone, row in first.items()
            if phone in known
        ],
    )
    summary.guardians_created = len(fresh)
    summary.guardians_updated = len(first) - len(fresh)
    async with tx.execute("SELECT id, number FROM people WHERE role = 'guardian'") as cursor:
        ids = {r[1]: r[0] for r in await cursor.fetchall()}
    by_child: dict[int, list[GuardianRow]] = defaultdict(list)
    for row in rows:
        by_child[children[row.line]].append(row)
    await tx.executemany(
        "DELETE FROM guardian_links WHERE student_id = ?", [(sid,) for sid in by_child]
    )
    links: list[tuple[object, ...]] = []
    for student_id, listed in by_child.items():
        # A child always has one primary contact: the one marked 是, else the first listed.
        primary = next((row for row in listed if row.primary), listed[0])
        links += [
            (ids[row.phone], student_id, row.relation, int(row is primary), now, now)
            for row in listed
        ]
    await tx.executemany(
        "INSERT INTO guardian_links (guardian_id, student_id, relation, is_primary,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        links,
    )
    summary.children_linked = len(by_child)
    return summary


async def active_students(tx: aiosqlite.Connection) -> list[tuple[int, str, str]]:
    """(id, student number, school name) of every student on the roster."""
    async with tx.execute(
        "SELECT p.id, p.number, s.name FROM people p JOIN schools s ON s.id = p.school_id"
        " WHERE p.role = 'student' AND p.deactivated_at IS NULL"
    ) as cursor:
        return [(r[0], r[1], r[2]) for r in await cursor.fetchall()]


async def guardian_places(
    db: Database, guardian_ids: list[int]
) -> dict[int, tuple[list[str], list[str]]]:
    """Each guardian's children as (class and child names, school names) for an invite sheet."""
    places: dict[int, tuple[list[str], list[str]]] = {i: ([], []) for i in guardian_ids}
    if not guardian_ids:
        return places
    marks = ",".join("?" * len(guardian_ids))
    rows = await db.fetchall(
        "SELECT l.guardian_id, s.name, c.name, p.name FROM guardian_links l"
        " JOIN people p ON p.id = l.student_id JOIN schools s ON s.id = p.school_id"
        " JOIN classes c ON c.id = p.class_id"
        f" WHERE l.guardian_id IN ({marks}) AND p.deactivated_at IS NULL"
        " ORDER BY s.name, c.name, p.number",
        guardian_ids,
    )
    for guardian_id, school, class_name, child in rows:
        classes, schools = places[guardian_id]
        classes.append(f"{class_name} {child}")
        if school not in schools:
            schools.append(school)
    return places


async def cares_for(db: Database, guardian_id: int, student_id: int) -> bool:
    """Whether the person is an active guardian of this child."""
    row = await db.fetchone(
        "SELECT 1 FROM guardian_links l JOIN people g ON g.id = l.guardian_id"
        " WHERE l.guardian_id = ? AND l.student_id = ? AND g.role = 'guardian'"
        " AND g.deactivated_at IS NULL",
        (guardian_id, student_id),
    )
    return row is not None


@dataclass(frozen=True)
class PromptFacts:
    """What decides whose chat a child's check-in goes to."""

    student_id: int
    answerer: str | None
    school_name: str
    class_name: str
    guardian: Person | None


async def prompt_facts(tx: aiosqlite.Connection, student_ids: Sequence[int]) -> list[PromptFacts]:
    """Per student: the roster's answerer, school and class, and the guardian a prompt would
    go to (the primary if they linked an account, else the first who did)."""
    if not student_ids:
        return []
    marks = ",".join("?" * len(student_ids))
    async with tx.execute(
        "SELECT p.id, p.answerer, COALESCE(s.name, ''), COALESCE(c.name, ''),"
        " (SELECT g.id FROM guardian_links l"
        "  JOIN people g ON g.id = l.guardian_id WHERE l.student_id = p.id"
        "  AND g.chat_id IS NOT NULL AND g.deactivated_at IS NULL"
        "  ORDER BY l.is_primary DESC, g.id LIMIT 1)"
        # Left joins: isolated staff (issue 18) have no class, and a bureau member no school.
        " FROM people p LEFT JOIN schools s ON s.id = p.school_id"
        " LEFT JOIN classes c ON c.id = p.class_id"
        f" WHERE p.id IN ({marks})",
        list(student_ids),
    ) as cursor:
        rows = list(await cursor.fetchall())
    guardian_ids = sorted({r[4] for r in rows if r[4] is not None})
    guardians: dict[int, Person] = {}
    if guardian_ids:
        marks = ",".join("?" * len(guardian_ids))
        async with tx.execute(
            f"SELECT {_PERSON_COLUMNS} FROM people p WHERE p.id IN ({marks})", guardian_ids
        ) as cursor:
            guardians = {r["id"]: Person.from_row(r) for r in await cursor.fetchall()}
    return [
        PromptFacts(r[0], r[1], r[2], r[3], guardians.get(r[4]) if r[4] is not None else None)
        for r in rows
    ]


async def set_answerer(tx: aiosqlite.Connection, student_id: int, answerer: str | None) -> None:
    await tx.execute("UPDATE people SET answerer = ? WHERE id = ?", (answerer, student_id))


async def students_named(db: Database, query: str) -> list[Person]:
    """Students on the roster whose number or exact name is `query`."""
    rows = await db.fetchall(
        f"SELECT {_PERSON_COLUMNS} FROM people p WHERE p.role = 'student'"
        " AND p.deactivated_at IS NULL AND (p.number = ? OR p.name = ?)"
        " ORDER BY p.school_id, p.class_id, p.number",
        (query, query),
    )
    return [Person.from_row(r) for r in rows]


async def answerer_of(db: Database, student_id: int) -> str | None:
    found = await db.scalar("SELECT answerer FROM people WHERE id = ?", (student_id,))
    return None if found is None else str(found)


async def primary_chats(tx: aiosqlite.Connection, student_ids: Sequence[int]) -> dict[int, Person]:
    """Per student, their primary guardian if active with a linked account."""
    if not student_ids:
        return {}
    marks = ",".join("?" * len(student_ids))
    async with tx.execute(
        f"SELECT l.student_id, {_PERSON_COLUMNS} FROM guardian_links l"
        " JOIN people p ON p.id = l.guardian_id WHERE l.is_primary = 1"
        f" AND p.chat_id IS NOT NULL AND p.deactivated_at IS NULL AND l.student_id IN ({marks})",
        list(student_ids),
    ) as cursor:
        return {r[0]: Person.from_row(r) for r in await cursor.fetchall()}


async def consents_to_ask(
    tx: aiosqlite.Connection, guardian_id: int | None = None
) -> list[tuple[Person, Person]]:
    """(primary guardian, child) pairs to ask for consent: the roster says no or nothing, the
    guardian linked an account, and nobody was asked about the child yet."""
    sql = (
        f"SELECT {_PERSON_COLUMNS}, l.student_id FROM guardian_links l"
        " JOIN people p ON p.id = l.guardian_id JOIN people ch ON ch.id = l.student_id"
        " WHERE l.is_primary = 1 AND p.chat_id IS NOT NULL AND p.deactivated_at IS NULL"
        " AND ch.guardian_consent = 0 AND ch.deactivated_at IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM guardian_consents gc WHERE gc.student_id = ch.id)"
    )
    params: list[object] = []
    if guardian_id is not None:
        sql += " AND l.guardian_id = ?"
        params.append(guardian_id)
    async with tx.execute(sql + " ORDER BY l.student_id", params) as cursor:
        rows = list(await cursor.fetchall())
    children = await _people(tx, [r["student_id"] for r in rows])
    return [(Person.from_row(r), children[r["student_id"]]) for r in rows]


async def _people(tx: aiosqlite.Connection, ids: Sequence[int]) -> dict[int, Person]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    async with tx.execute(
        f"SELECT {_PERSON_COLUMNS} FROM people p WHERE p.id IN ({marks})", list(ids)
    ) as cursor:
        return {r["id"]: Person.from_row(r) for r in await cursor.fetchall()}


async def record_asked(
    tx: aiosqlite.Connection, student_id: int, guardian_id: int, now: int
) -> None:
    await tx.execute(
        "INSERT OR IGNORE INTO guardian_consents (student_id, guardian_id, asked_at)"
        " VALUES (?, ?, ?)",
        (student_id, guardian_id, now),
    )


async def record_answer(
    tx: aiosqlite.Connection, student_id: int, guardian_id: int, answer: str, now: int
) -> bool:
    """Store the asked guardian's answer; False when they were not the one asked."""
    cursor = await tx.execute(
        "UPDATE guardian_consents SET answer = ?, answered_at = ?"
        " WHERE student_id = ? AND guardian_id = ?",
        (answer, now, student_id, guardian_id),
    )
    return cursor.rowcount == 1


@dataclass(frozen=True)
class Consent:
    """Where a child's consent stands: the roster's, and the guardian's answer in the bot."""

    roster: bool
    asked_at: int | None
    answer: str | None
    answered_at: int | None


async def consent_of(db: Database, student_id: int) -> Consent:
    row = await db.fetchone(
        "SELECT p.guardian_consent, gc.asked_at, gc.answer, gc.answered_at FROM people p"
        " LEFT JOIN guardian_consents gc ON gc.student_id = p.id WHERE p.id = ?",
        (student_id,),
    )
    if row is None:
        return Consent(False, None, None, None)
    return Consent(bool(row[0]), row[1], row[2], row[3])


@dataclass(frozen=True)
class ChildCheckin:
    """One of a child's check-ins as their guardian may see it: the answers, nothing else."""

    local_date: str
    slot: str
    status: str
    temperature_c: float | None
    temperature_status: str | None
    symptoms: tuple[str, ...] | None
    mood: int | None
    answered_by: int | None


async def child_checkins(db: Database, student_id: int, since: str) -> list[ChildCheckin]:
    """The child's check-ins from the local date `since` on, oldest first; notes, screen
    answers and alerts are not read at all."""
    rows = await db.fetchall(
        "SELECT r.local_date, r.slot, c.status, c.temperature_c, c.temperature_status,"
        " c.symptoms, c.mood, c.answered_by FROM checkins c JOIN rounds r ON r.id = c.round_id"
        " WHERE c.student_id = ? AND r.local_date >= ? ORDER BY r.local_date, r.slot_index",
        (student_id, since),
    )
    return [
        ChildCheckin(
            local_date=r["local_date"],
            slot=r["slot"],
            status=r["status"],
            temperature_c=r["temperature_c"],
            temperature_status=r["temperature_status"],
            symptoms=None
            if r["symptoms"] is None
            else tuple(s for s in r["symptoms"].split(",") if s),
            mood=r["mood"],
            answered_by=r["answered_by"],
        )
        for r in rows
    ]
