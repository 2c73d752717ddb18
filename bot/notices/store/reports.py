"""SQL for the counts and lists a notice report shows."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.db import Database


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
    # A guardian's children, whom the receipt is for (家长回执); None for anyone else.
    children: tuple[str, ...] | None = None


@dataclass(frozen=True)
class GroupCount:
    """One line of a report: a school and class (class '' for staff)."""

    school: str
    class_name: str
    targeted: int
    sent: int
    confirmed: int
    unreachable: int


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
        " p.chat_id, p.language, o.status, o.sent_at, r.confirmed_at, r.reminded_at,"
        f" {CHILDREN}"
        " FROM notice_recipients r JOIN people p ON p.id = r.person_id"
        " LEFT JOIN outbox o ON o.id = r.outbox_id"
        " LEFT JOIN schools s ON s.id = r.school_id LEFT JOIN classes c ON c.id = r.class_id"
        " WHERE r.notice_id = ? ORDER BY 5, 6, r.role != 'student', p.number",
        (notice_id,),
    )
    return [
        Recipient(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                  children_of(r[1], r[12]))
        for r in rows
    ]  # fmt: skip


# A guardian recipient's children, by name, separated by the unit separator.
CHILDREN = (
    "(SELECT group_concat(ch.name, char(31)) FROM guardian_links l"
    " JOIN people ch ON ch.id = l.student_id WHERE l.guardian_id = p.id"
    " AND ch.deactivated_at IS NULL)"
)


def children_of(role: str, names: str | None) -> tuple[str, ...] | None:
    """A guardian recipient's children read back from CHILDREN; None for anyone else."""
    return tuple((names or "").split("\x1f")) if role == "guardian" else None
