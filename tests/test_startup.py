"""Start-ups that fail fail fast: one line, a non-zero status, no hang; two first
starts on one new file both succeed; a newer schema is refused.

Each command runs in a child process under a timeout, as systemd would run it:
a start-up that hung (the issue: the database thread kept the process alive)
fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ops.maintenance import EXAMPLE
from storage.db import Database, SchemaTooNew, migration_files

TIMEOUT = 60  # generous: the failures must come in about a second


def guichet(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=cwd,
        env={**os.environ, "GUICHET_TELEGRAM_TOKEN": "1:x"},
    )


def config_for(tmp_path: Path, db: Path) -> Path:
    config = tmp_path / "guichet.toml"
    text = EXAMPLE.replace('database = "guichet.db"', f'database = "{db}"')
    config.write_text(text[: text.index("# Matrix")])  # Telegram only: one secret
    return config


def commands(tmp_path: Path, db: Path) -> dict[str, list[str]]:
    backup = tmp_path / "backup.db"
    return {
        "demo": ["demo", "--db", str(db)],
        "run": ["run", "--config", str(config_for(tmp_path, db))],
        "export": ["export", "--db", str(db), "--out", str(tmp_path / "out")],
        "staff": ["staff", "list", "--db", str(db)],
        "restore": ["restore", str(db), "--db", str(backup)],  # the damaged file as source
    }


def one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0, result
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", ["demo", "run", "export", "staff", "restore"])
def test_a_damaged_file_stops_at_once_saying_which_and_how(tmp_path: Path, command: str) -> None:
    db = tmp_path / "guichet.db"
    db.write_bytes(b"this is not a database\n" * 400)
    result = guichet(tmp_path, *commands(tmp_path, db)[command], stdin="/aide\n")
    if command == "restore":
        one_clear_line(result, str(db), "not an SQLite database")
        assert not (tmp_path / "backup.db").exists()
    else:
        one_clear_line(result, str(db), "damaged", "guichet restore")
    assert result.returncode == 1


@pytest.mark.parametrize("command", ["demo", "run", "export", "staff"])
def test_an_unwritable_place_stops_at_once(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "no such folder" / "guichet.db"
    result = guichet(tmp_path, *commands(tmp_path, missing)[command], stdin="/aide\n")
    one_clear_line(result, "no such folder", "must exist and be writable")
    folder = tmp_path / "a folder"
    folder.mkdir()
    result = guichet(tmp_path, *commands(tmp_path, folder)[command], stdin="/aide\n")
    one_clear_line(result, str(folder))


def _migrated(path: Path, sql: str) -> None:
    async def go() -> None:
        db = await Database.open(path)
        await db.execute(sql)
        await db.close()

    asyncio.run(go())


@pytest.mark.parametrize("command", ["demo", "run", "export", "staff"])
def test_a_failed_migration_stops_at_once(tmp_path: Path, refdata_db: Path, command: str) -> None:
    db = tmp_path / "guichet.db"
    shutil.copy(refdata_db, db)
    # As if migration 6 had not been recorded: applying it again fails ("table
    # audit_log already exists"), as a migration failing half-way would.
    _migrated(db, "DELETE FROM schema_version WHERE version >= 6")
    result = guichet(tmp_path, *commands(tmp_path, db)[command], stdin="/aide\n")
    one_clear_line(result, str(db), "guichet restore")


@pytest.mark.parametrize("command", ["demo", "export", "staff", "restore"])
def test_a_database_from_a_newer_version_is_refused(
    tmp_path: Path, refdata_db: Path, command: str
) -> None:
    db = tmp_path / "guichet.db"
    shutil.copy(refdata_db, db)
    _migrated(db, "INSERT INTO schema_version VALUES (999, '0999_future.sql', '2030-01-01')")
    before = db.read_bytes()
    result = guichet(tmp_path, *commands(tmp_path, db)[command], stdin="/aide\n")
    one_clear_line(result, "newer version of Guichet", "999")
    assert db.read_bytes() == before


async def test_schema_too_new_in_process(tmp_path: Path, refdata_db: Path) -> None:
    db_path = tmp_path / "g.db"
    shutil.copy(refdata_db, db_path)
    db = await Database.open(db_path)
    await db.execute("INSERT INTO schema_version VALUES (999, '0999_future.sql', '2030-01-01')")
    await db.close()
    with pytest.raises(SchemaTooNew):
        await Database.open(db_path)


@pytest.mark.parametrize("round_", range(3))
def test_two_first_starts_on_one_new_file_both_succeed(tmp_path: Path, round_: int) -> None:
    db = tmp_path / "new.db"
    argv = [sys.executable, "-m", "bot.ops.cli"]
    children = [
        subprocess.Popen(
            [*argv, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for args in (
            ["demo", "--db", str(db)],
            ["demo", "--db", str(db)]
            if round_ % 2
            else ["staff", "add", "telegram:7", "--db", str(db)],
        )
    ]
    outcomes = [child.communicate("/aide\n", timeout=TIMEOUT) for child in children]
    for child, (_out, err) in zip(children, outcomes, strict=True):
        assert child.returncode == 0, err
        assert "Traceback" not in err

    async def check() -> None:
        opened = await Database.open(db)
        assert await opened.schema_version() == len(migration_files())
        assert await opened.fetchval("SELECT COUNT(*) FROM consultations") == 1
        await opened.close()

    asyncio.run(check())


def test_a_database_left_open_does_not_keep_the_process_alive(tmp_path: Path) -> None:
    """The database thread is a daemon: a program that forgets ``close`` still exits
    (aiosqlite's thread kept every failed start-up alive forever)."""
    script = (
        "import asyncio, sys\n"
        "from storage.db import Database\n"
        "async def main():\n"
        f"    db = await Database.open({str(tmp_path / 'g.db')!r})\n"
        "    await db.fetchval('SELECT 1')\n"
        "    raise SystemExit(3)\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 3, result.stderr


def test_a_database_on_a_read_only_file_system_stops_at_once(
    tmp_path: Path, refdata_db: Path
) -> None:
    """A real unwritable file (tests run as root, whom file modes do not stop): the
    database on a tmpfs remounted read-only. Skipped where mounting is not allowed."""
    mount = tmp_path / "ro"
    mount.mkdir()
    size = refdata_db.stat().st_size + 4 * 1024 * 1024
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
            check=True,
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    try:
        db = mount / "guichet.db"
        shutil.copy(refdata_db, db)
        (mount / "guichet.db.lock").touch()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True, timeout=10)
        for command in ("demo", "staff", "export"):
            result = guichet(tmp_path, *commands(tmp_path, db)[command], stdin="/aide\n")
            one_clear_line(result, str(mount), "Read-only file system", "writable")
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, timeout=10)
