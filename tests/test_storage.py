"""SQLite: pragmas, every migration from an empty file, transactions."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage.db import Database, migration_files


async def test_every_migration_applies_from_an_empty_file(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "empty.db", migrate=False)
    assert await db.schema_version() == 0
    applied = await db.migrate()
    assert applied == [name for _, name, _ in migration_files()]
    assert await db.schema_version() == len(applied) >= 3
    assert await db.migrate() == []
    tables = {r["name"] for r in await db.fetchall("SELECT name FROM sqlite_master")}
    assert {
        "persons",
        "identities",
        "conversations",
        "outbox",
        "memberships",
        "collectivites",
        "phases",
    } <= tables
    assert await db.fetchval("PRAGMA integrity_check") == "ok"
    assert await db.fetchall("PRAGMA foreign_key_check") == []
    await db.close()


async def test_connection_settings(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "g.db")
    assert await db.fetchval("PRAGMA journal_mode") == "wal"
    assert await db.fetchval("PRAGMA foreign_keys") == 1
    assert await db.fetchval("PRAGMA busy_timeout") == 5000
    await db.close()


async def test_transaction_rolls_back_and_is_reentrant(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "g.db")
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute("INSERT INTO backend_state(key, value) VALUES ('a', '1')")
            async with db.transaction():
                await db.execute("INSERT INTO backend_state(key, value) VALUES ('b', '2')")
            raise RuntimeError
    assert await db.fetchval("SELECT COUNT(*) FROM backend_state") == 0
    async with db.transaction():
        await db.execute("INSERT INTO backend_state(key, value) VALUES ('a', '1')")
    assert await db.fetchval("SELECT value FROM backend_state WHERE key = 'a'") == "1"
    await db.close()


async def test_concurrent_transactions_are_serialised(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "g.db")
    await db.execute("INSERT INTO backend_state(key, value) VALUES ('n', '0')")

    async def bump() -> None:
        async with db.transaction():
            value = int(await db.fetchval("SELECT value FROM backend_state WHERE key = 'n'"))
            await asyncio.sleep(0)
            await db.execute(
                "UPDATE backend_state SET value = ? WHERE key = 'n'", (str(value + 1),)
            )

    await asyncio.gather(*(bump() for _ in range(50)))
    assert await db.fetchval("SELECT value FROM backend_state WHERE key = 'n'") == "50"
    await db.close()


async def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "g.db")
    with pytest.raises(Exception, match="FOREIGN KEY"):
        await db.execute(
            "INSERT INTO identities(identity, backend, person_id, last_seen, created_at)"
            " VALUES ('x:1', 'x', 999, '', '')"
        )
    await db.close()
