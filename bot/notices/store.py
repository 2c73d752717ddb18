"""SQL for notices: drafts, the notices and their recipients, receipts and reports."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.notices.audience import Audience
from bot.storage.db import Database

Reader = Database | aiosqlite.Connection


async def _all(db: Reader, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
    if isinstance(db, Database):
        return await db.fetchall(sql, params)
    async with db.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


async def _one(db: Reader, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
    rows = await _all(db, sql, params)
    return rows[0] if rows else None


@dataclass(frozen=True)
class Draft:
    id: int
    author_id: int
    stage: str
    text: str | None
    media_kind: str | None
    media_file_id: str | None
    audience: str | None
    needs_confirmation: bool

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Draft:
        return cls(
            id=row["id"],
            author_id=row["author_id"],
            stage=row["stage"],
            text=row["text"],
            media_kind=row["media_kind"],
            media_file_id=row["media_file_id"],
            audience=row["audience"],
            needs_confirmation=bool(row["needs_confirmation"]),
        )


@dataclass(frozen=True)
class Notice:
    id: int
    draft_id: int | None
    author_id: int | None
    school_id: int | None
    audience: str
    text: str
    media_kind: str | None
    media_file_id: str | None
    needs_confirmation: bool
    batch_id: int
    created_at: int
    reminded_at: int | None
    reminders: int
    withdrawn_at: int | None
    withdraw_batch_id: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Notice:
        return cls(
            id=row["id"],
            draft_id=row["draft_id"],
            author_id=row["author_id"],
            school_id=row["school_id"],
            audience=row["audience"],
            text=row["text"],
            media_kind=row["media_kind"],
            media_file_id=row["media_file_id"],
            needs_confirmation=bool(row["needs_confirmation"]),
            batch_id=row["batch_id"],
            created_at=row["created_at"],
            reminded_at=row["reminded_at"],
            reminders=row["reminders"],
            withdrawn_at=row["withdrawn_at"],
            withdraw_batch_id=row["withdraw_batch_id"],
        )


@dataclass(frozen=True)
class Candidate:
    """Someone an audience names, as they are now."""

    person_id: int
    role: str
    school_id: int | None
    class_id: int | None
    chat_id: int | None
    language: str | None


@dataclass(frozen=True)
class Recipient:
    """A recipient of a notice with what became of their copy."""

    person_id: int
    role: str
    number: str
    name: str
    school: str
    class_name: str
    chat_id: int | None
    language: str | None
    status: str | None
    sent_at: int | None
    confirmed_at: int | None
    reminded_at: int | None


@dataclass(frozen=True)
class GroupCount:
    """One line of a report: a school and class (class '' for staff)."""

    school: str
    class_name: str
    targeted: int
    sent: int
    confirmed: int
    unreachable: int


# -- places ------------------------------------------------------------------------------------


async def schools(db: Database) -> list[tuple[int, str]]:
    rows = await db.fetchall("SELECT id, name FROM schools ORDER BY name")
    return [(r[0], r[1]) for r in rows]


async def classes(
    db: Database, *, school_id: int | None = None, ids: Sequence[int] = ()
) -> list[tuple[int, str]]:
    """(id, name) of the classes of one school, or of the given ids, in name order."""
    if ids:
        marks = ",".join("?" * len(ids))
        rows = await db.fetchall(
            f"SELECT id, name FROM classes WHERE id IN ({marks}) ORDER BY name", list(ids)
        )
    else:
        rows = await db.fetchall(
            "SELECT id, name FROM classes WHERE school_id = ? ORDER BY name", (school_id,)
        )
    return [(r[0], r[1]) for r in rows]


async def class_school(db: Reader, class_id: int) -> int | None:
    row = await _one(db, "SELECT school_id FROM classes WHERE id = ?", (class_id,))
    return None if row is None else int(row[0])


async def school_name(db: Database, school_id: int) -> str | None:
    value = await db.scalar("SELECT name FROM schools WHERE id = ?", (school_id,))
    return None if value is None else str(value)


async def class_name(db: Database, class_id: int) -> tuple[str, str] | None:
    """(school name, class name) of a class."""
    row = await db.fetchone(
        "SELECT s.name, c.name FROM classes c JOIN schools s ON s.id = c.school_id WHERE c.id = ?",
        (class_id,),
    )
    return None if row is None else (row[0], row[1])


async def school_by_name(db: Database, name: str) -> int | None:
    value = await db.scalar("SELECT id FROM schools WHERE name = ?", (name,))
    return None if value is None else int(value)


async def class_by_name(db: Database, school: str, name: str) -> int | None:
    value = await db.scalar(
        "SELECT c.id FROM classes c JOIN schools s ON s.id = c.school_id"
        " WHERE s.name = ? AND c.name = ?",
        (school, name),
    )
    return None if value is None else int(value)


# -- drafts ------------------------------------------------------------------------------------

_DRAFT = (
    "SELECT id, author_id, stage, text, media_kind, media_file_id, audience, needs_confirmation"
    " FROM notice_drafts"
)


async def new_draft(tx: aiosqlite.Connection, author_id: int, now: int) -> int:
    """Start a fresh draft for the author, dropping any unfinished one."""
    await tx.execute("DELETE FROM notice_drafts WHERE author_id = ?", (author_id,))
    cursor = await tx.execute(
        "INSERT INTO notice_drafts (author_id, stage, created_at, updated_at)"
        " VALUES (?, 'text', ?, ?)",
        (author_id, now, now),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def draft_by_author(db: Reader, author_id: int) -> Draft | None:
    row = await _one(db, f"{_DRAFT} WHERE author_id = ?", (author_id,))
    return None if row is None else Draft.from_row(row)


async def draft_by_id(db: Reader, draft_id: int) -> Draft | None:
    row = await _one(db, f"{_DRAFT} WHERE id = ?", (draft_id,))
    return None if row is None else Draft.from_row(row)


_DRAFT_FIELDS = ("stage", "text", "media_kind", "media_file_id", "audience", "needs_confirmation")


async def update_draft(
    tx: aiosqlite.Connection, draft_id: int, author_id: int, now: int, **fields: Any
) -> bool:
    """Change fields of the author's draft; False when the draft is gone (sent or cancelled)."""
    unknown = set(fields) - set(_DRAFT_FIELDS)
    if unknown:
        raise ValueError(f"not draft fields: {sorted(unknown)}")
    sets = ", ".join(f"{name} = ?" for name in fields)
    cursor = await tx.execute(
        f"UPDATE notice_drafts SET {sets}, updated_at = ? WHERE id = ? AND author_id = ?",
        (*fields.values(), now, draft_id, author_id),
    )
    return cursor.rowcount == 1


async def delete_draft(tx: aiosqlite.Connection, draft_id: int, author_id: int) -> bool:
    cursor = await tx.execute(
        "DELETE FROM notice_drafts WHERE id = ? AND author_id = ?", (draft_id, author_id)
    )
    return cursor.rowcount == 1


# -- audiences ---------------------------------------------------------------------------------

_CANDIDATE = "SELECT p.id, p.role, p.school_id, p.class_id, p.chat_id, p.language FROM people p"


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids)) or "NULL"


def _audience_where(audience: Audience, scope_school: int | None) -> tuple[str, list[Any]]:
    # People who left are in no audience.
    where: list[str] = ["p.deactivated_at IS NULL"]
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
            where.append("p.role != 'student'")
        elif kind == "role":
            where.append("p.role = ?")
            params.append(audience.role)
    return (" AND ".join(where) or "1 = 1"), params


async def candidates(
    db: Reader, audience: Audience, *, scope_school: int | None, exclude_id: int | None
) -> list[Candidate]:
    """Everyone the audience names now, without the author, in a stable order."""
    where, params = _audience_where(audience, scope_school)
    rows = await _all(
        db,
        f"{_CANDIDATE} WHERE {where} AND p.id IS NOT ? ORDER BY p.school_id, p.class_id, p.id",
        [*params, exclude_id],
    )
    return [Candidate(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


async def candidate_counts(
    db: Reader, audience: Audience, *, scope_school: int | None, exclude_id: int | None
) -> dict[tuple[str, bool], int]:
    """How many the audience names, by (role, has a linked account)."""
    where, params = _audience_where(audience, scope_school)
    rows = await _all(
        db,
        f"SELECT p.role, p.chat_id IS NOT NULL, COUNT(*) FROM people p"
        f" WHERE {where} AND p.id IS NOT ? GROUP BY 1, 2",
        [*params, exclude_id],
    )
    return {(r[0], bool(r[1])): r[2] for r in rows}


# -- notices -----------------------------------------------------------------------------------

_NOTICE = (
    "SELECT id, draft_id, author_id, school_id, audience, text, media_kind, media_file_id,"
    " needs_confirmation, batch_id, created_at, reminded_at, reminders, withdrawn_at,"
    " withdraw_batch_id FROM notices"
)


async def insert_notice(
    tx: aiosqlite.Connection,
    *,
    draft_id: int | None,
    author_id: int | None,
    school_id: int | None,
    audience: str,
    text: str,
    media_kind: str | None,
    media_file_id: str | None,
    needs_confirmation: bool,
    batch_id: int,
    now: int,
) -> int:
    cursor = await tx.execute(
        "INSERT INTO notices (draft_id, author_id, school_id, audience, text, media_kind,"
        " media_file_id, needs_confirmation, batch_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            draft_id,
            author_id,
            school_id,
            audience,
            text,
            media_kind,
            media_file_id,
            int(needs_confirmation),
            batch_id,
            now,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def next_notice_id(tx: aiosqlite.Connection) -> int:
    """The id the next notice will get (the writer lock is held, so nobody takes it first)."""
    async with tx.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM notices") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def notice_by_id(db: Reader, notice_id: int) -> Notice | None:
    row = await _one(db, f"{_NOTICE} WHERE id = ?", (notice_id,))
    return None if row is None else Notice.from_row(row)


async def notice_by_draft(db: Reader, draft_id: int) -> Notice | None:
    row = await _one(db, f"{_NOTICE} WHERE draft_id = ?", (draft_id,))
    return None if row is None else Notice.from_row(row)


async def recent_notices(
    db: Database,
    *,
    everything: bool,
    author_id: int | None,
    school_id: int | None,
    limit: int,
    before_id: int | None = None,
) -> list[Notice]:
    """The latest notices (older than before_id, when given): all of them, or those by the
    author or lying in the school."""
    below = before_id if before_id is not None else -1
    if everything:
        rows = await db.fetchall(
            f"{_NOTICE} WHERE (? < 0 OR id < ?) ORDER BY id DESC LIMIT ?", (below, below, limit)
        )
    else:
        rows = await db.fetchall(
            f"{_NOTICE} WHERE (author_id = ? OR (school_id IS NOT NULL AND school_id = ?))"
            " AND (? < 0 OR id < ?) ORDER BY id DESC LIMIT ?",
            (author_id, school_id, below, below, limit),
        )
    return [Notice.from_row(r) for r in rows]


async def insert_recipients(
    tx: aiosqlite.Connection, notice_id: int, people: Sequence[Candidate]
) -> None:
    await tx.executemany(
        "INSERT INTO notice_recipients (notice_id, person_id, role, school_id, class_id)"
        " VALUES (?, ?, ?, ?, ?)",
        [(notice_id, c.person_id, c.role, c.school_id, c.class_id) for c in people],
    )


async def link_outbox(tx: aiosqlite.Connection, notice_id: int, media: bool) -> None:
    """Point each recipient at the outbox rows just queued for them (found by dedup key)."""
    await tx.execute(
        "UPDATE notice_recipients AS r SET outbox_id = (SELECT o.id FROM outbox o"
        " WHERE o.dedup_key = 'nt:' || r.notice_id || ':' || r.person_id) WHERE r.notice_id = ?",
        (notice_id,),
    )
    if media:
        await tx.execute(
            "UPDATE notice_recipients AS r SET media_outbox_id = (SELECT o.id FROM outbox o"
            " WHERE o.dedup_key = 'nt:' || r.notice_id || ':' || r.person_id || ':m')"
            " WHERE r.notice_id = ?",
            (notice_id,),
        )


async def confirm(
    tx: aiosqlite.Connection, notice_id: int, person_id: int, now: int
) -> bool | None:
    """Record a receipt once: True when recorded now, False if already, None if the person is
    not a recipient."""
    cursor = await tx.execute(
        "UPDATE notice_recipients SET confirmed_at = ?"
        " WHERE notice_id = ? AND person_id = ? AND confirmed_at IS NULL",
        (now, notice_id, person_id),
    )
    if cursor.rowcount == 1:
        return True
    async with tx.execute(
        "SELECT 1 FROM notice_recipients WHERE notice_id = ? AND person_id = ?",
        (notice_id, person_id),
    ) as found:
        return False if await found.fetchone() is not None else None


async def claim_reminder(
    tx: aiosqlite.Connection, notice_id: int, now: int, earliest_last: int
) -> bool:
    """Take the right to remind now, unless someone reminded after earliest_last."""
    cursor = await tx.execute(
        "UPDATE notices SET reminded_at = ?, reminders = reminders + 1 WHERE id = ?"
        " AND withdrawn_at IS NULL AND (reminded_at IS NULL OR reminded_at <= ?)",
        (now, notice_id, earliest_last),
    )
    return cursor.rowcount == 1


async def unconfirmed(
    tx: aiosqlite.Connection, notice_id: int
) -> list[tuple[int, int, str | None]]:
    """(person id, chat id, language) of recipients whose copy reached them (or may have) and
    who have not confirmed."""
    async with tx.execute(
        "SELECT p.id, p.chat_id, p.language FROM notice_recipients r"
        " JOIN people p ON p.id = r.person_id JOIN outbox o ON o.id = r.outbox_id"
        " WHERE r.notice_id = ? AND r.confirmed_at IS NULL AND p.chat_id IS NOT NULL"
        " AND o.status IN ('sent', 'unknown') ORDER BY p.id",
        (notice_id,),
    ) as cursor:
        return [(r[0], r[1], r[2]) for r in await cursor.fetchall()]


async def unconfirmed_names(db: Database, notice_id: int) -> list[str]:
    """Names of the recipients a copy reached (or may have) who have not confirmed, by class
    and number."""
    rows = await _all(
        db,
        "SELECT p.name FROM notice_recipients r JOIN people p ON p.id = r.person_id"
        " JOIN outbox o ON o.id = r.outbox_id LEFT JOIN classes c ON c.id = p.class_id"
        " WHERE r.notice_id = ? AND r.confirmed_at IS NULL AND o.status IN ('sent', 'unknown')"
        " ORDER BY c.name, p.number, p.id",
        (notice_id,),
    )
    return [r[0] for r in rows]


async def mark_reminded(
    tx: aiosqlite.Connection, notice_id: int, person_ids: Sequence[int], now: int
) -> None:
    await tx.executemany(
        "UPDATE notice_recipients SET reminded_at = ? WHERE notice_id = ? AND person_id = ?",
        [(now, notice_id, p) for p in person_ids],
    )


async def add_messages(tx: aiosqlite.Connection, notice_id: int, kind: str, batch_id: int) -> None:
    """Remember the rows of a reminder or deletion batch as the notice's."""
    await tx.execute(
        "INSERT OR IGNORE INTO notice_messages (notice_id, outbox_id, kind)"
        " SELECT ?, id, ? FROM outbox WHERE batch_id = ?",
        (notice_id, kind, batch_id),
    )


async def reminder_batches(tx: aiosqlite.Connection, notice_id: int) -> list[int]:
    async with tx.execute(
        "SELECT DISTINCT o.batch_id FROM notice_messages m JOIN outbox o ON o.id = m.outbox_id"
        " WHERE m.notice_id = ? AND m.kind = 'reminder' AND o.batch_id IS NOT NULL",
        (notice_id,),
    ) as cursor:
        return [r[0] for r in await cursor.fetchall()]


async def sent_copies(
    tx: aiosqlite.Connection, notice_id: int
) -> list[tuple[int, int, int, str, int | None]]:
    """(outbox id, person id, chat id, status, sent_at) of every message the notice sent or is
    sending: copies, attachments and reminders."""
    async with tx.execute(
        "SELECT o.id, o.person_id, o.chat_id, o.status, o.sent_at FROM outbox o WHERE o.id IN ("
        " SELECT outbox_id FROM notice_recipients WHERE notice_id = :n AND outbox_id IS NOT NULL"
        " UNION SELECT media_outbox_id FROM notice_recipients"
        "  WHERE notice_id = :n AND media_outbox_id IS NOT NULL"
        " UNION SELECT outbox_id FROM notice_messages WHERE notice_id = :n AND kind = 'reminder'"
        ") AND o.status IN ('sent', 'sending', 'unknown') ORDER BY o.id",
        {"n": notice_id},
    ) as cursor:
        return [(r[0], r[1], r[2], r[3], r[4]) for r in await cursor.fetchall()]


async def mark_withdrawn(
    tx: aiosqlite.Connection, notice_id: int, now: int, batch_id: int
) -> bool:
    cursor = await tx.execute(
        "UPDATE notices SET withdrawn_at = ?, withdraw_batch_id = ?"
        " WHERE id = ? AND withdrawn_at IS NULL",
        (now, batch_id, notice_id),
    )
    return cursor.rowcount == 1


# -- reports -----------------------------------------------------------------------------------


async def copy_counts(db: Database, notice_id: int) -> dict[str, int]:
    """Recipients by the state of their copy: an outbox status, or 'no_account'."""
    rows = await db.fetchall(
        "SELECT COALESCE(o.status, 'no_account'), COUNT(*) FROM notice_recipients r"
        " LEFT JOIN outbox o ON o.id = r.outbox_id WHERE r.notice_id = ? GROUP BY 1",
        (notice_id,),
    )
    return {r[0]: r[1] for r in rows}


async def receipt_counts(db: Database, notice_id: int) -> tuple[int, int]:
    """(confirmed, copies sent again after a crash: possible duplicates)."""
    row = await db.fetchone(
        "SELECT COUNT(r.confirmed_at), COALESCE(SUM(o.resent_after_crash), 0)"
        " FROM notice_recipients r LEFT JOIN outbox o ON o.id = r.outbox_id"
        " WHERE r.notice_id = ?",
        (notice_id,),
    )
    assert row is not None
    return int(row[0]), int(row[1])


async def batch_counts(db: Database, batch_id: int) -> dict[str, int]:
    rows = await db.fetchall(
        "SELECT status, COUNT(*) FROM outbox WHERE batch_id = ? GROUP BY status", (batch_id,)
    )
    return {r[0]: r[1] for r in rows}


async def group_counts(db: Database, notice_id: int) -> list[GroupCount]:
    rows = await db.fetchall(
        "SELECT COALESCE(s.name, ''), COALESCE(c.name, ''), COUNT(*),"
        " SUM(o.status = 'sent'), COUNT(r.confirmed_at), SUM(o.status = 'unreachable')"
        " FROM notice_recipients r LEFT JOIN outbox o ON o.id = r.outbox_id"
        " LEFT JOIN schools s ON s.id = r.school_id LEFT JOIN classes c ON c.id = r.class_id"
        " WHERE r.notice_id = ? GROUP BY r.school_id, r.class_id ORDER BY 1, 2",
        (notice_id,),
    )
    return [GroupCount(r[0], r[1], r[2], r[3] or 0, r[4], r[5] or 0) for r in rows]


async def recipients(db: Database, notice_id: int) -> list[Recipient]:
    """Every recipient with their copy's fate, ordered for a printed list."""
    rows = await db.fetchall(
        "SELECT p.id, r.role, p.number, p.name, COALESCE(s.name, ''), COALESCE(c.name, ''),"
        " p.chat_id, p.language, o.status, o.sent_at, r.confirmed_at, r.reminded_at"
        " FROM notice_recipients r JOIN people p ON p.id = r.person_id"
        " LEFT JOIN outbox o ON o.id = r.outbox_id"
        " LEFT JOIN schools s ON s.id = r.school_id LEFT JOIN classes c ON c.id = r.class_id"
        " WHERE r.notice_id = ? ORDER BY 5, 6, r.role != 'student', p.number",
        (notice_id,),
    )
    return [Recipient(*tuple(r)) for r in rows]
