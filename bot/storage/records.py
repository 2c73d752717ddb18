"""Typed records the storage layer returns."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    id: int
    role: str
    number: str
    name: str
    school_id: int | None
    class_id: int | None
    language: str | None
    guardian_consent: bool
    telegram_user_id: int | None
    chat_id: int | None
    unreachable_at: int | None

    @property
    def is_student(self) -> bool:
        return self.role == "student"

    @property
    def is_staff(self) -> bool:
        """Staff see students' data within their scope; students and guardians never do."""
        return self.role in ("teacher", "doctor", "counselor", "admin")

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Person:
        return cls(
            id=row["id"],
            role=row["role"],
            number=row["number"],
            name=row["name"],
            school_id=row["school_id"],
            class_id=row["class_id"],
            language=row["language"],
            guardian_consent=bool(row["guardian_consent"]),
            telegram_user_id=row["telegram_user_id"],
            chat_id=row["chat_id"],
            unreachable_at=row["unreachable_at"],
        )


@dataclass(frozen=True)
class StudentInfo:
    """A student with the names a card or a list shows."""

    person: Person
    school_name: str
    class_name: str


@dataclass(frozen=True)
class Isolation:
    id: int
    student_id: int
    kind: str
    start_date: str
    planned_end_date: str | None
    started_at: int
    ended_at: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Isolation:
        return cls(
            id=row["id"],
            student_id=row["student_id"],
            kind=row["kind"],
            start_date=row["start_date"],
            planned_end_date=row["planned_end_date"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
        )


@dataclass(frozen=True)
class Scope:
    """Which students a read covers: None means no limit on that level."""

    class_ids: frozenset[int] | None = None
    school_ids: frozenset[int] | None = None
    student_id: int | None = None
    # Isolated staff instead of students: kept apart in every view, never mixed into a class.
    staff: bool = False

    def where(self, alias: str = "p") -> tuple[str, list[int]]:
        """A SQL condition over the people table aliased `alias`, with its parameters."""
        clauses: list[str] = []
        if self.student_id is None:
            clauses.append(f"{alias}.role {'!=' if self.staff else '='} 'student'")
        params: list[int] = []
        for column, ids in (("class_id", self.class_ids), ("school_id", self.school_ids)):
            if ids is None:
                continue
            if not ids:
                clauses.append("0")
                continue
            clauses.append(f"{alias}.{column} IN ({','.join('?' * len(ids))})")
            params += sorted(ids)
        if self.student_id is not None:
            clauses.append(f"{alias}.id = ?")
            params.append(self.student_id)
        return (" AND ".join(clauses) or "1"), params
