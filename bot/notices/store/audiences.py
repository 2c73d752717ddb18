"""SQL for who an audience names now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.notices.audience import Audience
from bot.notices.store.reader import Reader, fetch_all


@dataclass(frozen=True)
class Candidate:
    """Someone an audience names, as they are now."""

    person_id: int
    role: str
    school_id: int | None
    class_id: int | None
    chat_id: int | None
    language: str | None


_CANDIDATE = "SELECT p.id, p.role, p.school_id, p.class_id, p.chat_id, p.language FROM people p"


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids)) or "NULL"


def _audience_where(audience: Audience, scope_school: int | None) -> tuple[str, list[Any]]:
    # People who left are in no audience; guardians only in one that names them.
    where: list[str] = ["p.deactivated_at IS NULL", "p.role != 'guardian'"]
    params: list[Any] = []
    kind = audience.kind
    if kind == "school":
        where.append("p.school_id = ?")
        params.append(audience.school_id)
    elif kind == "class":
        where.append("p.role = 'student' AND p.class_id = ?")
        params.append(audience.class_id)
    elif kind == "classes":
        where.append(f"p.role = 'student' AND p.class_id IN ({_marks(audience.class_ids)})")
        params += audience.class_ids
    else:
        if audience.class_ids:
            where.append(f"p.class_id IN ({_marks(audience.class_ids)})")
            params += audience.class_ids
        if scope_school is not None:
            where.append("p.school_id = ?")
            params.append(scope_school)
        if kind == "students":
            where.append("p.role = 'student'")
        elif kind == "isolated":
            where.append(
                "p.role = 'student' AND EXISTS (SELECT 1 FROM isolations i"
                " WHERE i.student_id = p.id AND i.ended_at IS NULL)"
            )
        elif kind == "staff":
            where.append("p.role NOT IN ('student', 'guardian')")
        elif kind == "role":
            where.append("p.role = ?")
            params.append(audience.role)
    return (" AND ".join(where) or "1 = 1"), params


# The guardians of the students a guardian audience names, each once, placed at their first
# child's school and class (the report lists every child of theirs the notice concerned).
_GUARDIANS_OF = (
    "SELECT g.id, g.role, MIN(p.school_id), MIN(p.class_id), g.chat_id, g.language"
    " FROM people p JOIN guardian_links l ON l.student_id = p.id"
    " JOIN people g ON g.id = l.guardian_id"
)


def _students_where(audience: Audience, scope_school: int | None) -> tuple[str, list[Any]]:
    where, params = _audience_where(audience.students, scope_school)
    return f"{where} AND p.role = 'student' AND g.deactivated_at IS NULL", params


async def candidates(
    db: Reader, audience: Audience, *, scope_school: int | None, exclude_id: int | None
) -> list[Candidate]:
    """Everyone the audience names now, without the author, in a stable order."""
    if audience.guardians:
        where, params = _students_where(audience, scope_school)
        sql = f"{_GUARDIANS_OF} WHERE {where} GROUP BY g.id ORDER BY 3, 4, g.id"
        rows = await fetch_all(db, sql, params)
        return [Candidate(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]
    where, params = _audience_where(audience, scope_school)
    rows = await fetch_all(
        db,
        f"{_CANDIDATE} WHERE {where} AND p.id IS NOT ? ORDER BY p.school_id, p.class_id, p.id",
        [*params, exclude_id],
    )
    return [Candidate(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


async def candidate_counts(
    db: Reader, audience: Audience, *, scope_school: int | None, exclude_id: int | None
) -> dict[tuple[str, bool], int]:
    """How many the audience names, by (role, has a linked account)."""
    if audience.guardians:
        where, params = _students_where(audience, scope_school)
        rows = await fetch_all(
            db,
            "SELECT 'guardian', g.chat_id IS NOT NULL, COUNT(DISTINCT g.id)"
            " FROM people p JOIN guardian_links l ON l.student_id = p.id"
            f" JOIN people g ON g.id = l.guardian_id WHERE {where} GROUP BY 1, 2",
            params,
        )
        return {(r[0], bool(r[1])): r[2] for r in rows}
    where, params = _audience_where(audience, scope_school)
    rows = await fetch_all(
        db,
        f"SELECT p.role, p.chat_id IS NOT NULL, COUNT(*) FROM people p"
        f" WHERE {where} AND p.id IS NOT ? GROUP BY 1, 2",
        [*params, exclude_id],
    )
    return {(r[0], bool(r[1])): r[2] for r in rows}
