"""Reading inside a transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite


async def fetch_one(tx: aiosqlite.Connection, sql: str, params: Any = ()) -> sqlite3.Row | None:
    async with tx.execute(sql, params) as cursor:
        return await cursor.fetchone()


async def fetch_all(tx: aiosqlite.Connection, sql: str, params: Any = ()) -> list[sqlite3.Row]:
    async with tx.execute(sql, params) as cursor:
        return list(await cursor.fetchall())
