"""Import guardians: match each row to its child, then write the file's links."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import aiosqlite

from bot.guardians import store
from bot.guardians.rows import GuardianRow


class GuardiansRejected(ValueError):
    """Rows that name no known student, as (line, reason); nothing was imported."""

    def __init__(self, problems: Sequence[tuple[int, str]]) -> None:
        super().__init__(f"{len(problems)} guardian rows name no known student")
        self.problems = tuple(problems)


async def apply_guardians(
    tx: aiosqlite.Connection, rows: Sequence[GuardianRow], *, now: int
) -> store.GuardianSummary:
    """Write the rows in the caller's transaction, or raise GuardiansRejected before writing."""
    children, problems = match_children(rows, await store.active_students(tx))
    if problems:
        raise GuardiansRejected(problems)
    return await store.write_guardians(tx, rows, children, now=now)


def match_children(
    rows: Sequence[GuardianRow], students: Sequence[tuple[int, str, str]]
) -> tuple[dict[int, int], list[tuple[int, str]]]:
    """Each row's student id by line, and the rows that name none (without a school column,
    a student number must be unique across schools)."""
    by_school = {(school, number): sid for sid, number, school in students}
    by_number: dict[str, list[int]] = defaultdict(list)
    for sid, number, _ in students:
        by_number[number].append(sid)
    found: dict[int, int] = {}
    problems: list[tuple[int, str]] = []
    for row in rows:
        if row.school is not None:
            matches = (
                [by_school[key]] if (key := (row.school, row.student_number)) in by_school else []
            )
            where = f" at {row.school}"
        else:
            matches = by_number.get(row.student_number, [])
            where = ""
        if len(matches) == 1:
            found[row.line] = matches[0]
        elif not matches:
            problems.append(
                (
                    row.line,
                    f"no student {row.student_number}{where}: import the students file first",
                )
            )
        else:
            problems.append(
                (
                    row.line,
                    f"student number {row.student_number} exists in {len(matches)} schools:"
                    " add a 学校/school column",
                )
            )
    return found, problems
