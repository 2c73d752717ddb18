"""The database layer: pragmas, migrations recorded once, one writer at a time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.storage.db import Database, _migration_scripts


async def test_pragmas_and_migrations(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    try:
        assert await db.scalar("PRAGMA journal_mode") == "wal"
        assert await db.scalar("PRAGMA foreign_keys") == 1
        assert await db.scalar("PRAGMA synchronous") == 2  # FULL
        versions = [r[0] for r in await db.fetchall("SELECT version FROM schema_migrations")]
        assert versions == [n for n, _, _ in _migration_scripts()]
    finally:
        await db.close()
    reopened = await Database.open(tmp_path / "a.db")
    try:
        count = await reopened.scalar("SELECT COUNT(*) FROM schema_migrations")
        assert count == len(_migration_scripts())
        assert await reopened.integrity_check() == "ok"
    finally:
        await reopened.close()


async def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "b.db")
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO schools (name) VALUES ('x')")
                raise RuntimeError("boom")
        assert await db.scalar("SELECT COUNT(*) FROM schools") == 0
    finally:
        await db.close()


async def test_concurrent_writers_do_not_share_a_transaction(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.db")

    async def writer(n: int, fail: bool) -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO schools (name) VALUES (?)", (f"school {n}",))
            await asyncio.sleep(0)
            if fail:
                raise ValueError(n)

    try:
        results = await asyncio.gather(
            *(writer(n, fail=n % 3 == 0) for n in range(30)), return_exceptions=True
        )
        failed = sum(isinstance(r, ValueError) for r in results)
        assert failed == 10
        assert await db.scalar("SELECT COUNT(*) FROM schools") == 20
    finally:
        await db.close()


async def test_reader_cannot_write(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "d.db")
    try:
        with pytest.raises(Exception, match=r"readonly|read-only|query_only"):
            await db.fetchall("INSERT INTO schools (name) VALUES ('x')")
    finally:
        await db.close()


async def test_a_writer_cancelled_mid_transaction_leaves_the_connection_usable(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "e.db")

    async def slow_writer() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO schools (name) VALUES ('lost')")
            await asyncio.sleep(10)

    try:
        for _ in range(3):
            task = asyncio.create_task(slow_writer())
            await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO schools (name) VALUES ('kept')")
        names = [r[0] for r in await db.fetchall("SELECT name FROM schools")]
        assert names == ["kept"]
    finally:
        await db.close()


async def test_a_read_after_a_commit_sees_it_while_other_reads_overlap(tmp_path: Path) -> None:
    """Overlapping reads must not pin the reader to a snapshot from before the commit: each
    writer reads back its own row at once, as a handler does after storing an answer."""
    db = await Database.open(tmp_path / "t.db")
    try:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            await tx.executemany("INSERT INTO t (v) VALUES (?)", [("x",)] * 500)

        async def busy_reader() -> None:
            for _ in range(40):
                await db.fetchone("SELECT COUNT(*) FROM t WHERE v = 'x'")

        async def write_then_read(n: int) -> bool:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO t (id, v) VALUES (?, 'new')", (10_000 + n,))
            return await db.fetchone("SELECT v FROM t WHERE id = ?", (10_000 + n,)) is not None

        results = await asyncio.gather(
            *(busy_reader() for _ in range(10)), *(write_then_read(n) for n in range(200))
        )
        found = [r for r in results if r is not None]
        assert found == [True] * 200, f"{found.count(False)} reads missed their own commit"
    finally:
        await db.close()


async def test_a_second_process_writing_waits_for_the_first(tmp_path: Path) -> None:
    """The bot and the command line on one file: the second writer waits for the first."""
    path = tmp_path / "two.db"
    bot = await Database.open(path)
    cli = await Database.open(path)
    try:
        async with bot.transaction() as tx:
            await tx.execute("INSERT INTO schools (name) VALUES ('bot')")
            # Opened while the bot holds the write lock, as `classcare return open` may be.
            late = await Database.open(path)
            waiting = asyncio.create_task(_insert(cli, "cli"))
            # The CLI's BEGIN IMMEDIATE waits on its own thread in SQLite's busy handler; it
            # cannot finish while the bot's transaction is open.
            for _ in range(20):
                await asyncio.sleep(0)
            assert not waiting.done()
        await waiting
        await _insert(late, "late")
        await late.close()
        names = [r[0] for r in await cli.fetchall("SELECT name FROM schools ORDER BY id")]
        assert names == ["bot", "cli", "late"]
    finally:
        await cli.close()
        await bot.close()


async def _insert(db: Database, name: str) -> None:
    """Read, then write, as most transactions do: a deferred BEGIN could not wait here."""
    async with db.transaction() as tx:
        await (await tx.execute("SELECT COUNT(*) FROM schools")).fetchall()
        await tx.execute("INSERT INTO schools (name) VALUES (?)", (name,))
