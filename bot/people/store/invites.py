"""SQL for invite codes (stored only as hashes) and failed redemption attempts."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.db import Database


@dataclass(frozen=True)
class InviteRow:
    id: int
    person_id: int
    expires_at: int
    used_at: int | None
    revoked_at: int | None


async def replace_invite(
    tx: aiosqlite.Connection, person_id: int, code_hash: str, now: int, expires_at: int
) -> None:
    """Revoke the person's open invites and store a new one."""
    await tx.execute(
        "UPDATE invites SET revoked_at = ? WHERE person_id = ? AND used_at IS NULL"
        " AND revoked_at IS NULL",
        (now, person_id),
    )
    await tx.execute(
        "INSERT INTO invites (person_id, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (person_id, code_hash, now, expires_at),
    )


async def holding_open_invites(db: Database, person_ids: list[int], now: int) -> set[int]:
    """Which of these people hold a link that still works (not used, revoked or expired)."""
    held: set[int] = set()
    for start in range(0, len(person_ids), 500):
        chunk = person_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await db.fetchall(
            f"SELECT DISTINCT person_id FROM invites WHERE person_id IN ({marks})"
            " AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
            (*chunk, now),
        )
        held.update(r[0] for r in rows)
    return held


async def invite_by_hash(tx: aiosqlite.Connection, code_hash: str) -> InviteRow | None:
    async with tx.execute(
        "SELECT id, person_id, expires_at, used_at, revoked_at FROM invites WHERE code_hash = ?",
        (code_hash,),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else InviteRow(*row)


async def mark_used(
    tx: aiosqlite.Connection, invite_id: int, telegram_user_id: int, now: int
) -> None:
    await tx.execute(
        "UPDATE invites SET used_at = ?, used_by = ? WHERE id = ?",
        (now, telegram_user_id, invite_id),
    )


async def record_failure(tx: aiosqlite.Connection, telegram_user_id: int, now: int) -> None:
    await tx.execute(
        "INSERT INTO invite_failures (telegram_user_id, at) VALUES (?, ?)", (telegram_user_id, now)
    )
    await tx.execute("DELETE FROM invite_failures WHERE at < ?", (now - 86400,))


async def failures_since(db: Database, telegram_user_id: int, since: int) -> int:
    return int(
        await db.scalar(
            "SELECT COUNT(*) FROM invite_failures WHERE telegram_user_id = ? AND at >= ?",
            (telegram_user_id, since),
        )
    )


async def account_taken(tx: aiosqlite.Connection, telegram_user_id: int) -> int | None:
    """The person id already bound to this Telegram account, if any."""
    async with tx.execute(
        "SELECT id FROM people WHERE telegram_user_id = ?", (telegram_user_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else int(row[0])
