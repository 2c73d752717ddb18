"""Reading from the database or from inside a transaction alike."""

from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite

from bot.storage.db import Database


async def one(conn: Database | aiosqlite.Connection, sql: str, params: Any) -> sqlite3.Row | None:
    if isinstance(conn, Database):
        return await conn.fetchone(sql, params)
    async with conn.execute(sql, params) as cursor:
        return await cursor.fetchone()


async def all(conn: Database | aiosqlite.Connection, sql: str, params: Any) -> list[sqlite3.Row]:
    if isinstance(conn, Database):
        return await conn.fetchall(sql, params)
    async with conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())
