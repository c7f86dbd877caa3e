"""Restores that cannot lose data, backups that are checked.

A restore refuses while any process uses the database (the lock beside it),
checks its source before touching anything, never writes into the source,
and replaces the database in one rename.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ops.cli import main
from storage import schema
from storage.db import Database, migration_files
from storage.lock import FileLock, InUse


def fingerprint(path: Path) -> tuple[bytes, int, list[str]]:
    """A file's bytes, its modification time and its siblings (-wal, -shm, -journal)."""
    siblings = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + "-"))
    return path.read_bytes(), path.stat().st_mtime_ns, siblings


async def count(path: Path, table: str) -> int:
    db = await Database.open(path)
    try:
        return int(await db.fetchval(f"SELECT COUNT(*) FROM {table}"))
    finally:
        await db.close()


def restore(source: Path, db: Path) -> int:
    return main(["restore", str(source), "--db", str(db)])


@pytest.fixture
def backup_file(tmp_path: Path, refdata_db: Path) -> Path:
    """A backup made with ``guichet backup``, of a database with one staff member."""
    live = tmp_path / "old.db"
    shutil.copy(refdata_db, live)
    assert main(["staff", "add", "telegram:1", "--db", str(live)]) == 0
    copy = tmp_path / "backup.db"
    assert main(["backup", str(copy), "--db", str(live)]) == 0
    return copy


async def test_restore_refuses_while_a_bot_uses_the_database(
    tmp_path: Path, db_path: Path, backup_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = await Database.open(db_path)  # what App.create does: the bot holds the lock
    async with bot.transaction():
        await bot.execute("INSERT INTO persons(created_at) VALUES ('x')")
    before = await bot.fetchval("SELECT COUNT(*) FROM persons")
    capsys.readouterr()
    assert await asyncio.to_thread(restore, backup_file, db_path) == 1
    err = capsys.readouterr().err
    assert "in use by a running Guichet process" in err and "stop it first" in err
    # The bot goes on writing into the live file, and nothing is lost.
    async with bot.transaction():
        await bot.execute("INSERT INTO persons(created_at) VALUES ('y')")
    await bot.close()
    assert await count(db_path, "persons") == before + 1
    # Stopped, the restore goes through.
    assert await asyncio.to_thread(restore, backup_file, db_path) == 0
    assert await count(db_path, "persons") == 1


def test_restore_refuses_while_a_bot_process_runs(
    tmp_path: Path, refdata_db: Path, backup_file: Path
) -> None:
    live = tmp_path / "live.db"
    shutil.copy(refdata_db, live)
    demo = subprocess.Popen(
        [sys.executable, "-m", "bot.ops.cli", "demo", "--db", str(live)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert demo.stdout is not None
        demo.stdout.readline()  # the banner: the demo has opened the database
        refused = subprocess.run(
            [sys.executable, "-m", "bot.ops.cli", "restore", str(backup_file), "--db", str(live)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 1
        assert "in use by a running Guichet process" in refused.stderr
    finally:
        demo.communicate("", timeout=60)
    assert demo.returncode == 0
    assert main(["restore", str(backup_file), "--db", str(live)]) == 0


async def test_a_bot_cannot_start_during_a_restore(db_path: Path) -> None:
    restoring = FileLock(db_path, exclusive=True)
    try:
        with pytest.raises(InUse, match="being restored"):
            await Database.open(db_path)
    finally:
        restoring.release()
    db = await Database.open(db_path)
    await db.close()


def _other_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes(text)")
    conn.close()


def _newer(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (999, '0999_future.sql', 'x')")
    conn.close()


def _damaged(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 3, min(len(data), page * 40), page):
        data[offset : offset + 200] = b"\xa5" * 200
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("hello, I am a text file\n" * 50), "not an SQLite database"),
        (lambda p: p.write_bytes(b""), "not an SQLite database"),
        (_other_sqlite, "not a Guichet database"),
        (_newer, "written by a newer version of Guichet (schema 999"),
        (_damaged, "damaged"),
    ],
    ids=["text", "empty", "other-sqlite", "newer", "damaged"],
)
def test_restore_checks_its_source_before_touching_anything(
    tmp_path: Path,
    refdata_db: Path,
    backup_file: Path,
    capsys: pytest.CaptureFixture[str],
    make: object,
    message: str,
) -> None:
    live = tmp_path / "live.db"
    shutil.copy(refdata_db, live)
    source = tmp_path / "source.db"
    if make in (_newer, _damaged):
        shutil.copy(backup_file, source)
    assert callable(make)
    make(source)
    source_before, live_before = fingerprint(source), fingerprint(live)
    capsys.readouterr()
    assert restore(source, live) == 1
    err = capsys.readouterr().err
    assert message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert fingerprint(source) == source_before  # never written into
    assert fingerprint(live) == live_before  # nothing touched
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_restore_never_writes_into_its_source_and_replaces_in_one_rename(
    tmp_path: Path, refdata_db: Path, backup_file: Path
) -> None:
    live = tmp_path / "live.db"
    shutil.copy(refdata_db, live)
    (tmp_path / "live.db-wal").write_bytes(b"")  # the old file's log, to be dropped
    source_before = fingerprint(backup_file)
    assert restore(backup_file, live) == 0
    assert fingerprint(backup_file) == source_before
    assert asyncio.run(count(live, "persons")) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    # A copy that cannot be written (here its temporary name is taken by a
    # folder) leaves the database as it was.
    (tmp_path / ".live.db.restoring").mkdir()
    live_before = fingerprint(live)
    assert restore(backup_file, live) == 1
    assert fingerprint(live) == live_before


def test_restore_applies_the_migrations_the_backup_lacks(tmp_path: Path) -> None:
    old = tmp_path / "older.db"  # a backup made before the last migration shipped
    shipped = migration_files()
    conn = sqlite3.connect(old, isolation_level=None)
    for version, name, sql in shipped[:-1]:
        assert schema.apply(conn, version, name, sql, len(shipped))
    conn.close()
    live = tmp_path / "live.db"
    assert restore(old, live) == 0
    with sqlite3.connect(live) as conn:
        version = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    conn.close()
    assert version == len(shipped)


def test_backup_checks_what_it_wrote(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy.db"
    capsys.readouterr()
    assert main(["backup", str(copy), "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert f"schema version {len(migration_files())}" in out and "integrity checked" in out
    with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    # A copy that could not be written leaves nothing under the final name.
    blocked = tmp_path / "blocked.db"
    (tmp_path / ".blocked.db.partial").mkdir()
    assert main(["backup", str(blocked), "--db", str(db_path)]) == 1
    assert not blocked.exists()
    # No database: said, and none created.
    assert main(["backup", str(copy), "--db", str(tmp_path / "none.db")]) == 1
    assert not (tmp_path / "none.db").exists()


def test_restore_puts_a_backup_over_a_damaged_database(
    tmp_path: Path, backup_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = tmp_path / "live.db"
    live.write_bytes(b"garbage after a disk failure\n" * 1000)
    assert main(["staff", "list", "--db", str(live)]) == 1
    assert "guichet restore" in capsys.readouterr().err
    assert restore(backup_file, live) == 0
    assert main(["staff", "list", "--db", str(live)]) == 0
    assert "admin\ttelegram:1" in capsys.readouterr().out


def test_restore_into_a_missing_folder_says_so(
    tmp_path: Path, backup_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert restore(backup_file, tmp_path / "nowhere" / "guichet.db") == 1
    err = capsys.readouterr().err
    assert "nowhere" in err and len(err.strip().splitlines()) == 1
