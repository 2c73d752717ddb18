"""SQL for people, their accounts, classes and schools."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.db import Database
from bot.storage.records import Person, StudentInfo

_PERSON = (
    "SELECT id, role, number, name, school_id, class_id, language, guardian_consent,"
    " telegram_user_id, chat_id, unreachable_at FROM people"
)


async def person_by_id(db: Database, person_id: int) -> Person | None:
    row = await db.fetchone(f"{_PERSON} WHERE id = ?", (person_id,))
    return None if row is None else Person.from_row(row)


async def person_by_telegram(db: Database, telegram_user_id: int) -> Person | None:
    row = await db.fetchone(
        f"{_PERSON} WHERE telegram_user_id = ? AND deactivated_at IS NULL", (telegram_user_id,)
    )
    return None if row is None else Person.from_row(row)


async def people_by_ids(db: Database, ids: list[int]) -> list[Person]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = await db.fetchall(f"{_PERSON} WHERE id IN ({marks}) ORDER BY id", ids)
    return [Person.from_row(r) for r in rows]


async def student_info(db: Database, student_id: int) -> StudentInfo | None:
    # Isolated staff have alerts and check-ins too: no class, and no school for bureau staff.
    row = await db.fetchone(
        "SELECT COALESCE(s.name, '') AS school_name, COALESCE(c.name, '') AS class_name"
        " FROM people p LEFT JOIN schools s ON s.id = p.school_id"
        " LEFT JOIN classes c ON c.id = p.class_id WHERE p.id = ?",
        (student_id,),
    )
    person = await person_by_id(db, student_id)
    if row is None or person is None:
        return None
    return StudentInfo(person, row["school_name"], row["class_name"])


async def teacher_class_ids(db: Database, person_id: int) -> frozenset[int]:
    rows = await db.fetchall(
        "SELECT class_id FROM staff_classes WHERE person_id = ?", (person_id,)
    )
    return frozenset(r[0] for r in rows)


async def counselor_school_ids(db: Database, person_id: int) -> frozenset[int]:
    rows = await db.fetchall(
        "SELECT school_id FROM counselor_schools WHERE person_id = ?", (person_id,)
    )
    return frozenset(r[0] for r in rows)


async def staff_for_student(db: Database, student_id: int) -> list[Person]:
    """Every adult who may be responsible for a student: class teachers, the school's doctors,
    counselors covering the school, school admins and bureau admins. For an isolated staff
    member: the school's doctors and admins and the bureau admins, never themselves."""
    rows = await db.fetchall(
        f"""{_PERSON} WHERE deactivated_at IS NULL AND id != :sid AND id IN (
            SELECT sc.person_id FROM staff_classes sc JOIN people s ON s.class_id = sc.class_id
             WHERE s.id = :sid AND s.role = 'student'
            UNION SELECT d.id FROM people d JOIN people s ON s.school_id = d.school_id
             WHERE s.id = :sid AND d.role IN ('doctor', 'admin')
            UNION SELECT cs.person_id FROM counselor_schools cs
             JOIN people s ON s.school_id = cs.school_id WHERE s.id = :sid AND s.role = 'student'
            UNION SELECT id FROM people WHERE role = 'admin' AND school_id IS NULL
        ) ORDER BY id""",
        {"sid": student_id},
    )
    return [Person.from_row(r) for r in rows]


async def bind_account(
    tx: aiosqlite.Connection,
    person_id: int,
    telegram_user_id: int,
    chat_id: int,
    language: str,
    now: int,
) -> None:
    await tx.execute(
        "UPDATE people SET telegram_user_id = ?, chat_id = ?, bound_at = ?, updated_at = ?,"
        " language = COALESCE(language, ?), unreachable_at = NULL WHERE id = ?",
        (telegram_user_id, chat_id, now, now, language, person_id),
    )


async def binding(tx: aiosqlite.Connection, person_id: int) -> tuple[int | None, int | None]:
    """(telegram user id, chat id) the person is bound to now."""
    async with tx.execute(
        "SELECT telegram_user_id, chat_id FROM people WHERE id = ?", (person_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return (None, None) if row is None else (row[0], row[1])


async def told_of_binding(db: Database, person: Person) -> list[Person]:
    """Who hears that a person's account moved: a student's class teachers; a staff member's
    school admins (bureau admins for bureau staff)."""
    if person.is_student:
        where = "id IN (SELECT person_id FROM staff_classes WHERE class_id = ?)"
        params: tuple[object, ...] = (person.class_id,)
    elif person.school_id is not None:
        where = "role = 'admin' AND school_id = ?"
        params = (person.school_id,)
    else:
        where = "role = 'admin' AND school_id IS NULL"
        params = ()
    rows = await db.fetchall(
        f"{_PERSON} WHERE {where} AND id != ? AND deactivated_at IS NULL"
        " AND chat_id IS NOT NULL ORDER BY id",
        (*params, person.id),
    )
    return [Person.from_row(r) for r in rows]


async def set_language(tx: aiosqlite.Connection, person_id: int, language: str, now: int) -> None:
    await tx.execute(
        "UPDATE people SET language = ?, updated_at = ? WHERE id = ?", (language, now, person_id)
    )


async def staff_places(
    db: Database, person_ids: list[int]
) -> dict[int, tuple[list[str], list[str]]]:
    """Each staff member's classes (class teachers) and covered schools (counselors), by name."""
    places: dict[int, tuple[list[str], list[str]]] = {i: ([], []) for i in person_ids}
    if not person_ids:
        return places
    marks = ",".join("?" * len(person_ids))
    classes = await db.fetchall(
        "SELECT sc.person_id, c.name FROM staff_classes sc JOIN classes c ON c.id = sc.class_id"
        f" WHERE sc.person_id IN ({marks}) ORDER BY c.name",
        person_ids,
    )
    schools = await db.fetchall(
        "SELECT cs.person_id, s.name FROM counselor_schools cs"
        f" JOIN schools s ON s.id = cs.school_id WHERE cs.person_id IN ({marks}) ORDER BY s.name",
        person_ids,
    )
    for row in classes:
        places[row[0]][0].append(row[1])
    for row in schools:
        places[row[0]][1].append(row[1])
    return places


async def select_people(
    db: Database,
    *,
    school: str | None = None,
    class_name: str | None = None,
    role: str | None = None,
) -> list[tuple[Person, str, str]]:
    """People matching the filters, with school and class names, ordered for a printed list."""
    # People who left get no links: importing them again brings them back.
    where = ["p.deactivated_at IS NULL"]
    params: list[str] = []
    # A guardian belongs to no school or class: their children's place them.
    children = (
        "p.id IN (SELECT l.guardian_id FROM guardian_links l"
        " JOIN people ch ON ch.id = l.student_id JOIN schools s3 ON s3.id = ch.school_id"
        " JOIN classes c3 ON c3.id = ch.class_id WHERE {})"
    )
    if school:
        where.append(f"(s.name = ? OR {children.format('s3.name = ?')})")
        params += [school, school]
    if class_name:
        where.append(
            "(c.name = ? OR p.id IN (SELECT sc.person_id FROM staff_classes sc"
            f" JOIN classes c2 ON c2.id = sc.class_id WHERE c2.name = ?)"
            f" OR {children.format('c3.name = ?')})"
        )
        params += [class_name, class_name, class_name]
    if role:
        where.append("p.role = ?")
        params.append(role)
    rows = await db.fetchall(
        "SELECT p.id, p.role, p.number, p.name, p.school_id, p.class_id, p.language,"
        " p.guardian_consent, p.telegram_user_id, p.chat_id, p.unreachable_at,"
        " COALESCE(s.name, '') AS school_name, COALESCE(c.name, '') AS class_name"
        " FROM people p LEFT JOIN schools s ON s.id = p.school_id"
        " LEFT JOIN classes c ON c.id = p.class_id"
        f" WHERE {' AND '.join(where)} ORDER BY school_name, class_name, p.role, p.number",
        params,
    )
    return [(Person.from_row(r), r["school_name"], r["class_name"]) for r in rows]


async def viewer_scope(db: Database, person: Person) -> tuple[frozenset[int], frozenset[int]]:
    """(class ids, school ids) a person's role covers; a bureau admin assigned as liaison
    (包联) covers those schools, one with no assignment the whole county (no school ids)."""
    if person.role == "teacher":
        return await teacher_class_ids(db, person.id), frozenset()
    if person.role == "counselor":
        return frozenset(), await counselor_school_ids(db, person.id)
    if person.school_id is not None:
        return frozenset(), frozenset({person.school_id})
    if person.role == "admin":
        return frozenset(), await liaison_school_ids(db, person.id)
    return frozenset(), frozenset()


async def liaison_school_ids(db: Database, person_id: int) -> frozenset[int]:
    rows = await db.fetchall(
        "SELECT school_id FROM liaison_schools WHERE person_id = ?", (person_id,)
    )
    return frozenset(r[0] for r in rows)


async def liaisons_of(db: Database, student_id: int) -> list[Person]:
    """The active bureau liaisons (包联) of the school a student (or staff member) belongs to."""
    rows = await db.fetchall(
        f"{_PERSON} WHERE deactivated_at IS NULL AND role = 'admin' AND school_id IS NULL"
        " AND id IN (SELECT ls.person_id FROM liaison_schools ls"
        " JOIN people s ON s.school_id = ls.school_id WHERE s.id = ?) ORDER BY id",
        (student_id,),
    )
    return [Person.from_row(r) for r in rows]


async def bureau_officers(db: Database) -> list[Person]:
    """Active bureau admins (role admin, no school), liaisons included."""
    rows = await db.fetchall(
        f"{_PERSON} WHERE role = 'admin' AND school_id IS NULL AND deactivated_at IS NULL"
        " ORDER BY id"
    )
    return [Person.from_row(r) for r in rows]


async def liaison_ids(db: Database) -> frozenset[int]:
    """Bureau admins assigned to some schools: not the bureau at large."""
    rows = await db.fetchall("SELECT DISTINCT person_id FROM liaison_schools")
    return frozenset(r[0] for r in rows)


@dataclass(frozen=True)
class Listed:
    """A person as the command line names them: with their school and whether they left."""

    person: Person
    school_name: str
    deactivated: bool


async def find_by_number(db: Database, number: str, school: str | None = None) -> list[Listed]:
    """Everyone with this roster number (student numbers repeat across schools), left or not."""
    rows = await db.fetchall(
        "SELECT p.id, p.role, p.number, p.name, p.school_id, p.class_id, p.language,"
        " p.guardian_consent, p.telegram_user_id, p.chat_id, p.unreachable_at,"
        " p.deactivated_at IS NOT NULL AS gone, COALESCE(s.name, '') AS school_name"
        " FROM people p LEFT JOIN schools s ON s.id = p.school_id"
        " WHERE p.number = ? AND (? IS NULL OR s.name = ?) ORDER BY p.id",
        (number.strip(), school, school),
    )
    return [Listed(Person.from_row(r), r["school_name"], bool(r["gone"])) for r in rows]


async def unbind(tx: aiosqlite.Connection, person_id: int, now: int) -> None:
    """Forget the person's Telegram account; their open invite links stop working too."""
    await tx.execute(
        "UPDATE people SET telegram_user_id = NULL, chat_id = NULL, bound_at = NULL,"
        " unreachable_at = NULL, updated_at = ? WHERE id = ?",
        (now, person_id),
    )
    await tx.execute(
        "UPDATE invites SET revoked_at = ? WHERE person_id = ? AND used_at IS NULL"
        " AND revoked_at IS NULL",
        (now, person_id),
    )
    await tx.execute("DELETE FROM contact_sessions WHERE person_id = ?", (person_id,))


async def deactivate(tx: aiosqlite.Connection, person_id: int, now: int) -> None:
    """Unbind the person and take away the classes and schools their role covered."""
    await unbind(tx, person_id, now)
    await tx.execute(
        "UPDATE people SET deactivated_at = COALESCE(deactivated_at, ?) WHERE id = ?",
        (now, person_id),
    )
    await tx.execute("DELETE FROM staff_classes WHERE person_id = ?", (person_id,))
    await tx.execute("DELETE FROM counselor_schools WHERE person_id = ?", (person_id,))


async def is_deactivated(db: Database, person_id: int) -> bool:
    sql = "SELECT deactivated_at IS NOT NULL FROM people WHERE id = ?"
    return bool(await db.scalar(sql, (person_id,)))
