"""Apply a validated roster to the database: all of it in one transaction, or nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import aiosqlite

from bot.core.clock import epoch
from bot.guardians.links import apply_guardians
from bot.people.roster import ParsedRoster, StaffRow, StudentRow
from bot.storage.db import Database


@dataclass
class ImportSummary:
    """What an import did; "updated" counts existing rows the file was written over."""

    schools_created: int = 0
    classes_created: int = 0
    people_created: int = 0
    people_updated: int = 0
    isolations_started: int = 0
    isolations_updated: int = 0
    # Rows naming an isolation that was already ended with the same start date.
    isolations_left_ended: int = 0
    # People who had been deactivated (left) and are in the file again.
    people_reactivated: int = 0
    # Children whose guardians a guardians file set.
    children_linked: int = 0

    def __str__(self) -> str:
        if self.children_linked:
            return (
                f"{self.people_created} guardians created and {self.people_updated} updated,"
                f" guardians set for {self.children_linked} children"
            )
        text = (
            f"{self.schools_created} schools and {self.classes_created} classes created,"
            f" {self.people_created} people created and {self.people_updated} updated,"
            f" {self.isolations_started} isolations started and"
            f" {self.isolations_updated} updated"
        )
        if self.isolations_left_ended:
            text += f", {self.isolations_left_ended} already ended and left ended"
        if self.people_reactivated:
            text += (
                f", {self.people_reactivated} who had left reactivated"
                " (they need a new invite link)"
            )
        return text


async def apply_roster(
    db: Database, roster: ParsedRoster, *, now: int, tz: ZoneInfo
) -> ImportSummary:
    """Create or update everyone in the roster in one transaction.

    Schools and classes are created on demand, so a staff file imported before the students
    file creates its teachers' schools and classes. Refuses a roster that has errors.
    """
    async with db.transaction() as tx:
        return await apply_roster_in(tx, roster, now=now, tz=tz)


async def apply_roster_in(
    tx: aiosqlite.Connection, roster: ParsedRoster, *, now: int, tz: ZoneInfo
) -> ImportSummary:
    """apply_roster inside the caller's transaction (an import that also prunes)."""
    if roster.errors:
        raise ValueError(f"the roster has {len(roster.errors)} errors; nothing was imported")
    summary = ImportSummary()
    places = _Places(tx, summary)
    await _apply_students(tx, places, roster.students, now=now, tz=tz)
    if roster.guardians:
        done = await apply_guardians(tx, roster.guardians, now=now)
        summary.people_created += done.guardians_created
        summary.people_updated += done.guardians_updated
        summary.children_linked += done.children_linked
    for member in roster.staff:
        await _apply_staff(tx, places, member, now=now)
    return summary


async def missing_from(conn: Database | aiosqlite.Connection, roster: ParsedRoster) -> list[int]:
    """Active people a complete file leaves out: for a staff file every staff member (staff
    numbers are bureau-wide), for a students file the students of the schools it names.

    A guardians file prunes nobody: a guardian missing from it keeps their other children."""
    if roster.guardians:
        return []
    if roster.staff:
        sql = (
            "SELECT id, number FROM people WHERE role NOT IN ('student', 'guardian')"
            " AND deactivated_at IS NULL"
        )
        keep = {row.number for row in roster.staff}
        rows = await _rows(conn, sql, ())
        return [r[0] for r in rows if r[1] not in keep]
    schools = sorted({row.school for row in roster.students})
    if not schools:
        return []
    marks = ",".join("?" * len(schools))
    rows = await _rows(
        conn,
        "SELECT p.id, s.name, p.number FROM people p JOIN schools s ON s.id = p.school_id"
        f" WHERE p.role = 'student' AND p.deactivated_at IS NULL AND s.name IN ({marks})",
        schools,
    )
    keep_students = {(row.school, row.number) for row in roster.students}
    return [r[0] for r in rows if (r[1], r[2]) not in keep_students]


async def _rows(
    conn: Database | aiosqlite.Connection, sql: str, params: Sequence[object]
) -> list[sqlite3.Row]:
    if isinstance(conn, Database):
        return await conn.fetchall(sql, params)
    async with conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


class _Places:
    """Looks up schools and classes by name, creating and counting the missing ones."""

    def __init__(self, tx: aiosqlite.Connection, summary: ImportSummary) -> None:
        self.summary = summary
        self._tx = tx
        self._schools: dict[str, int] = {}
        self._classes: dict[tuple[int, str], int] = {}

    async def school(self, name: str) -> int:
        if name not in self._schools:
            found = await _scalar(self._tx, "SELECT id FROM schools WHERE name = ?", (name,))
            if found is None:
                found = await _insert(self._tx, "INSERT INTO schools (name) VALUES (?)", (name,))
                self.summary.schools_created += 1
            self._schools[name] = found
        return self._schools[name]

    async def class_(self, school_id: int, name: str) -> int:
        key = (school_id, name)
        if key not in self._classes:
            found = await _scalar(
                self._tx,
                "SELECT id FROM classes WHERE school_id = ? AND name = ?",
                (school_id, name),
            )
            if found is None:
                found = await _insert(
                    self._tx,
                    "INSERT INTO classes (school_id, name) VALUES (?, ?)",
                    (school_id, name),
                )
                self.summary.classes_created += 1
            self._classes[key] = found
        return self._classes[key]


async def _apply_students(
    tx: aiosqlite.Connection,
    places: _Places,
    rows: tuple[StudentRow, ...],
    *,
    now: int,
    tz: ZoneInfo,
) -> None:
    """Write all students with a fixed number of statements, however long the file.

    A city roster has tens of thousands of rows and every aiosqlite call is a round trip to its
    thread: one statement per row took a minute for 60,000 students.
    """
    placed: list[tuple[StudentRow, int, int]] = []
    for row in rows:
        school_id = await places.school(row.school)
        placed.append((row, school_id, await places.class_(school_id, row.class_name)))
    school_ids = sorted({school_id for _, school_id, _ in placed})
    known = await _student_ids(tx, school_ids)
    fresh = [item for item in placed if (item[1], item[0].number) not in known]
    gone = await _deactivated_students(tx, school_ids)
    places.summary.people_reactivated += sum(
        1 for row, school_id, _ in placed if known.get((school_id, row.number)) in gone
    )
    await tx.executemany(
        "INSERT INTO people (role, number, name, school_id, class_id, language,"
        " guardian_consent, answerer, created_at, updated_at)"
        " VALUES ('student', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (row.number, row.name, school_id, class_id, row.language,
             int(row.guardian_consent), row.answerer, now, now)
            for row, school_id, class_id in fresh
        ],
    )  # fmt: skip
    # An empty language keeps the one the person may have chosen in the bot.
    await tx.executemany(
        "UPDATE people SET name = ?, class_id = ?, language = COALESCE(?, language),"
        " guardian_consent = ?, answerer = COALESCE(?, answerer), updated_at = ?,"
        " deactivated_at = NULL WHERE id = ?",
        [
            (row.name, class_id, row.language, int(row.guardian_consent), row.answerer, now,
             known[(school_id, row.number)])
            for row, school_id, class_id in placed
            if (school_id, row.number) in known
        ],
    )  # fmt: skip
    places.summary.people_created += len(fresh)
    places.summary.people_updated += len(placed) - len(fresh)
    ids = await _student_ids(tx, school_ids)
    isolated = [
        (ids[(school_id, row.number)], row.isolation_kind, row.isolation_start, row.isolation_end)
        for row, school_id, _ in placed
        if row.isolation_kind is not None and row.isolation_start is not None
    ]
    if isolated:
        await _apply_isolations(tx, places.summary, school_ids, isolated, tz)


async def _student_ids(
    tx: aiosqlite.Connection, school_ids: list[int]
) -> dict[tuple[int, str], int]:
    """Existing students of these schools by (school id, number)."""
    marks = ",".join("?" * len(school_ids))
    async with tx.execute(
        "SELECT id, school_id, number FROM people"
        f" WHERE role = 'student' AND school_id IN ({marks})",
        school_ids,
    ) as cursor:
        return {(r[1], r[2]): r[0] for r in await cursor.fetchall()}


async def _apply_isolations(
    tx: aiosqlite.Connection,
    summary: ImportSummary,
    school_ids: list[int],
    isolated: list[tuple[int, str, date, date | None]],
    tz: ZoneInfo,
) -> None:
    """Start or correct open episodes; only an explicit action ends one, never a file."""
    marks = ",".join("?" * len(school_ids))
    async with tx.execute(
        "SELECT i.id, i.student_id, i.start_date, i.ended_at IS NULL FROM isolations i"
        f" JOIN people p ON p.id = i.student_id WHERE p.school_id IN ({marks})",
        school_ids,
    ) as cursor:
        episodes = await cursor.fetchall()
    open_ids = {r[1]: r[0] for r in episodes if r[3]}
    ended = {(r[1], r[2]) for r in episodes if not r[3]}
    updates: list[tuple[object, ...]] = []
    inserts: list[tuple[object, ...]] = []
    for student_id, kind, start, planned_end in isolated:
        start_date = start.isoformat()
        end_date = planned_end.isoformat() if planned_end else None
        started_at = epoch(datetime.combine(start, time(0), tzinfo=tz))
        if student_id in open_ids:
            updates.append(
                (kind, end_date, start_date, start_date, started_at, open_ids[student_id])
            )
        elif (student_id, start_date) in ended:
            # Re-importing an old file must not put a released student back into isolation.
            summary.isolations_left_ended += 1
        else:
            inserts.append((student_id, kind, start_date, end_date, started_at))
    # started_at moves only with the date: a teacher may have started it mid-day in the bot.
    await tx.executemany(
        "UPDATE isolations SET kind = ?, planned_end_date = ?, start_date = ?,"
        " started_at = CASE WHEN start_date = ? THEN started_at ELSE ? END WHERE id = ?",
        updates,
    )
    await tx.executemany(
        "INSERT INTO isolations (student_id, kind, start_date, planned_end_date, started_at)"
        " VALUES (?, ?, ?, ?, ?)",
        inserts,
    )
    summary.isolations_updated += len(updates)
    summary.isolations_started += len(inserts)


async def _apply_staff(
    tx: aiosqlite.Connection, places: _Places, row: StaffRow, *, now: int
) -> None:
    school_ids = [await places.school(name) for name in row.schools]
    # A counselor's own school is the first listed, so school filters find them; the schools
    # they cover are in counselor_schools.
    school_id = school_ids[0] if school_ids else None
    person_id = await _scalar(
        tx,
        "SELECT id FROM people WHERE role NOT IN ('student', 'guardian') AND number = ?",
        (row.number,),
    )
    if person_id is None:
        person_id = await _insert(
            tx,
            "INSERT INTO people (role, number, name, school_id, language, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (row.role, row.number, row.name, school_id, row.language, now, now),
        )
        places.summary.people_created += 1
    else:
        gone = await _scalar(
            tx, "SELECT deactivated_at IS NOT NULL FROM people WHERE id = ?", (person_id,)
        )
        places.summary.people_reactivated += gone or 0
        await tx.execute(
            "UPDATE people SET role = ?, name = ?, school_id = ?,"
            " language = COALESCE(?, language), updated_at = ?, deactivated_at = NULL"
            " WHERE id = ?",
            (row.role, row.name, school_id, row.language, now, person_id),
        )
        places.summary.people_updated += 1
    # The file is the truth for assignments: a teacher moved to another class loses the old one.
    await tx.execute("DELETE FROM staff_classes WHERE person_id = ?", (person_id,))
    await tx.execute("DELETE FROM counselor_schools WHERE person_id = ?", (person_id,))
    if row.role == "teacher" and school_id is not None:
        for name in row.classes:
            class_id = await places.class_(school_id, name)
            await tx.execute(
                "INSERT INTO staff_classes (person_id, class_id) VALUES (?, ?)",
                (person_id, class_id),
            )
    if row.role == "counselor":
        await tx.executemany(
            "INSERT INTO counselor_schools (person_id, school_id) VALUES (?, ?)",
            [(person_id, sid) for sid in school_ids],
        )


async def _deactivated_students(tx: aiosqlite.Connection, school_ids: list[int]) -> set[int]:
    """Students of these schools who had been deactivated (importing them reactivates them)."""
    marks = ",".join("?" * len(school_ids))
    async with tx.execute(
        "SELECT id FROM people WHERE role = 'student' AND deactivated_at IS NOT NULL"
        f" AND school_id IN ({marks})",
        school_ids,
    ) as cursor:
        return {r[0] for r in await cursor.fetchall()}


async def _scalar(tx: aiosqlite.Connection, sql: str, params: tuple[object, ...]) -> int | None:
    async with tx.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def _insert(tx: aiosqlite.Connection, sql: str, params: tuple[object, ...]) -> int:
    cursor = await tx.execute(sql, params)
    if cursor.lastrowid is None:
        raise RuntimeError("an INSERT reported no row id")
    return cursor.lastrowid
