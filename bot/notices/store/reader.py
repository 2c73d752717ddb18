"""Reading from the database or from inside a transaction alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiosqlite

from bot.storage.db import Database

Reader = Database | aiosqlite.Connection


async def fetch_all(
    db: Reader, sql: str, params: Sequence[Any] | dict[str, Any] = ()
) -> list[Any]:
    if isinstance(db, Database):
        return await db.fetchall(sql, params)
    async with db.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


async def fetch_one(db: Reader, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
    rows = await fetch_all(db, sql, params)
    return rows[0] if rows else None
