"""The numbered migrations and how a file is brought up to date with them.

Each migration is applied in a ``BEGIN IMMEDIATE`` transaction that reads the
version again first: two processes starting on one new file take turns, and
the second finds the work done instead of creating the tables twice. A file
whose version is above every shipped migration was written by a newer
Guichet, and is refused rather than used half-understood.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import resources

from storage.faults import SchemaTooNew

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every shipped migration, in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, got {versions}")
    return found


def version(conn: sqlite3.Connection) -> int:
    """The highest migration applied to this file; 0 for a new file (read only)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if exists is None:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def apply(conn: sqlite3.Connection, number: int, name: str, sql: str, known: int) -> bool:
    """Apply migration ``number`` unless the file has it; True if applied."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        current = version(conn)
        if current > known:
            raise SchemaTooNew(current, known)
        if number <= current:
            conn.execute("ROLLBACK")
            return False
        for statement in statements(sql):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_version(version, name, applied_at) VALUES (?, ?, ?)",
            (number, name, datetime.now(UTC).isoformat(timespec="seconds")),
        )
        conn.execute("COMMIT")
        return True
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def statements(script: str) -> Iterable[str]:
    """A migration's statements one by one (``executescript`` would commit the
    transaction that keeps two processes from migrating together)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending
            pending = ""
    if pending.strip():
        yield pending
