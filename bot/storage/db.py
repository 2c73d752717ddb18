"""The SQLite connection pair: one guarded writer, one reader, migrations at open."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]


class Database:
    """Writes go through `transaction()` one at a time; reads use a second connection.

    aiosqlite runs each connection on its own thread, and coroutines sharing one connection
    would interleave inside each other's transactions, so the writer is behind a lock and every
    write transaction starts with BEGIN IMMEDIATE.
    """

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, path: str | Path, *, synchronous: str = "FULL", busy_timeout_ms: int = 5000
    ) -> Database:
        if str(path) != ":memory:":
            _private_file(Path(path))
        writer = await _connect(path, synchronous, busy_timeout_ms)
        try:
            await _migrate(writer)
            reader = await _connect(path, synchronous, busy_timeout_ms)
        except BaseException:
            await writer.close()
            raise
        await reader.execute("PRAGMA query_only=ON")
        return cls(writer, reader)

    async def close(self) -> None:
        async with self._lock:
            await self._reader.close()
            await self._writer.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; commits on success, rolls back on any exception."""
        async with self._lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
                yield self._writer
                await self._writer.commit()
            except BaseException:
                # Queued behind whatever the writer thread still has to run, even a BEGIN whose
                # awaiting task was cancelled, so the connection never stays in a dead
                # transaction; shielded so a second cancellation cannot skip it.
                await asyncio.shield(self._writer.rollback())
                raise

    async def checkpoint(self) -> None:
        """Copy the WAL into the database and truncate it to zero bytes."""
        async with self._lock:
            await self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        # One call on the reader's thread runs the statement to its end. A statement left open
        # across an await (execute, then fetch) holds the connection's read snapshot, and reads
        # overlapping it from other tasks would all miss whatever was committed since.
        return list(await self._reader.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def integrity_check(self) -> str:
        return str(await self.scalar("PRAGMA integrity_check"))


def _private_file(path: Path) -> None:
    """Create the database's folder 0700 and the file 0600, and take back a wider mode an older
    version left: SQLite gives the WAL and shared-memory files the database file's mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)


async def _connect(
    path: str | Path, synchronous: str, busy_timeout_ms: int
) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    # Deleted and overwritten rows are zeroed, not left in free pages for a copy of the file to
    # give back after the retention purge.
    await conn.execute("PRAGMA secure_delete=ON")
    await conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    return conn


def _migration_scripts() -> list[tuple[int, str, str]]:
    folder = resources.files("bot.storage") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        name = entry.name
        if not name.endswith(".sql"):
            continue
        number, _, title = name.removesuffix(".sql").partition("_")
        scripts.append((int(number), title, entry.read_text(encoding="utf-8")))
    scripts.sort()
    numbers = [n for n, _, _ in scripts]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number: {numbers}")
    return scripts


async def _migrate(conn: aiosqlite.Connection) -> None:
    """Apply every numbered migration not yet recorded, each in its own transaction."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT version FROM schema_migrations") as cursor:
        applied = {row[0] for row in await cursor.fetchall()}
    for number, title, script in _migration_scripts():
        if number in applied:
            continue
        log.info("applying migration %04d_%s", number, title)
        try:
            await conn.executescript(
                "BEGIN IMMEDIATE;\n"
                + script
                + "\nINSERT INTO schema_migrations (version, name, applied_at)"
                + f" VALUES ({number}, '{title}', datetime('now'));\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                await conn.rollback()
            raise
