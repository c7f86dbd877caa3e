"""The one SQLite connection every part of Guichet shares.

SQLite is the source of truth (conversation state, offsets, outbox), so the
connection is opened with WAL, foreign keys and a busy timeout, and every
write happens inside ``transaction()``: a refused action rolls back whole, and
an outbox row is committed with the fact that caused it or not at all.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

GROWING_TABLES = (
    "persons",
    "identities",
    "memberships",
    "conversations",
    "processed_events",
    "contributions",
    "votes",
    "supports",
    "outbox",
)
"""Tables that grow with the number of persons, whose statistics must follow them."""
STATS_GROWTH = 2.0
"""A table is analysed again once it holds this many times the rows last analysed."""
STATS_MIN_ROWS = 64
"""Below this many rows a plan hardly matters: no re-analysis for them."""


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


class Database:
    """A thin wrapper that adds a re-entrant write transaction to aiosqlite."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._begin_pending = False
        self._analysed: dict[str, int] = {}
        """Rows of each growing table when its statistics were last taken."""

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True) -> Database:
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        empty = not await (await conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")).fetchone()
        if empty:  # only before the first table: what the outbox purge frees goes back
            await conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA synchronous=NORMAL")
        # Deleted or shortened rows are overwritten with zeros, free pages included:
        # otherwise an erased person's name stays readable in the file's free space
        # (RGPD art. 17). It costs a write of each page freed, which is rare here.
        await conn.execute("PRAGMA secure_delete=ON")
        db = cls(conn, str(path))
        if migrate:
            await db.migrate()
        return db

    async def optimize(self) -> None:
        """Refresh the planner's statistics, cheaply (``analysis_limit`` samples each index).

        Without them SQLite picks poor plans on the big joins of reminders and
        audiences once tables hold 100,000 rows (seconds instead of tens of ms).
        """
        await self.conn.execute("ANALYZE")
        self._analysed = await self._call(_sizes, self.conn._conn)

    async def release_free_pages(self) -> None:
        """Give the pages freed by deletions back to the file system.

        Only for a file created with incremental auto-vacuum (every file first
        opened here since migration 0009); elsewhere nothing happens. Holds the
        connection like a transaction: the pragma runs outside one.
        """
        async with self._lock:
            await self._call(_incremental_vacuum, self.conn._conn)

    async def close(self) -> None:
        await self.conn.close()

    async def schema_version(self) -> int:
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        row = await self.fetchone("SELECT MAX(version) AS v FROM schema_version")
        return int(row["v"]) if row and row["v"] is not None else 0

    async def migrate(self) -> list[str]:
        """Apply the migrations this file has not seen yet; return their names."""
        current = await self.schema_version()
        applied = []
        for version, name, sql in migration_files():
            if version <= current:
                continue
            now = datetime.now(UTC).isoformat(timespec="seconds")
            script = (
                "BEGIN IMMEDIATE;\n"
                f"{sql}\n;"
                f"INSERT INTO schema_version(version, name, applied_at) "
                f"VALUES ({version}, '{name}', '{now}');\nCOMMIT;"
            )
            try:
                await self.conn.executescript(script)
            except Exception:
                if self.conn.in_transaction:
                    await self.conn.execute("ROLLBACK")
                raise
            applied.append(name)
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception.

        Re-entrant for the task that holds it, so a repository function can
        open a transaction whether or not its caller already did. The BEGIN
        travels with the transaction's first statement (one thread hop less
        per event), and a transaction that ran no statement costs nothing.
        """
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            yield self
            return
        async with self._lock:
            self._owner = task
            self._begin_pending = True
            try:
                try:
                    yield self
                except BaseException:
                    # Decided in the database thread, after any BEGIN still queued there
                    # (a cancelled task's statement may not have run yet).
                    await self.conn._execute(_end, self.conn._conn, "ROLLBACK")  # type: ignore[no-untyped-call]
                    raise
                else:
                    await self.conn._execute(_commit, self.conn._conn, self._analysed)  # type: ignore[no-untyped-call]
            finally:
                self._owner = None
                self._begin_pending = False

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` in the connection's thread: one hop per statement, not three.

        aiosqlite's cursor API crosses threads for execute, fetch and close;
        under load those hops dominate, so each statement runs whole in the
        worker thread instead.
        """
        if self._begin_pending and self._owner is asyncio.current_task():
            self._begin_pending = False
            return await self.conn._execute(_begun, self.conn._conn, fn, args)  # type: ignore[no-untyped-call,no-any-return]
        return await self.conn._execute(fn, *args)  # type: ignore[no-untyped-call,no-any-return]

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a synchronous ``fn(connection, *args)`` in the database thread.

        For hot paths that chain several statements: they cost one thread hop
        together instead of one each.
        """
        return await self._call(fn, self.conn._conn, *args)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return lastrowid (inserts) for convenience."""
        return await self._call(_lastrowid, self.conn._conn, sql, params)

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        return await self._call(_rowcount, self.conn._conn, sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._call(self.conn._conn.executemany, sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        rows = await self._call(_fetchall, self.conn._conn, sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        return await self._call(_fetchall, self.conn._conn, sql, params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


def _end(conn: sqlite3.Connection, verb: str) -> None:
    if conn.in_transaction:
        conn.execute(verb)


def _begun(conn: sqlite3.Connection, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    return fn(*args)


def _sizes(conn: sqlite3.Connection) -> dict[str, int]:
    """An upper bound of the rows of each growing table (its highest rowid): one seek each."""
    sizes = {}
    for table in GROWING_TABLES:
        row = conn.execute(f"SELECT MAX(rowid) FROM {table}").fetchone()
        sizes[table] = int(row[0] or 0)
    return sizes


def _commit(conn: sqlite3.Connection, analysed: dict[str, int]) -> None:
    """COMMIT, then analyse again the growing tables that doubled since their last analysis.

    Statistics taken at the first start describe tables of one row (the
    administrator); with them SQLite scanned ``persons`` and ``identities``
    for each message, so messages got slower as people joined (1,240 → 135
    events/s at 44,000 persons) until a restart. Checked after each commit, in
    the same hop to the database thread: a seek per table (``MAX(rowid)``).
    Each table is analysed about log2(rows) times over a consultation, a few
    milliseconds each (``analysis_limit``), while the caller still holds the
    connection, so no other transaction is open. ``analysed`` is updated in place.
    """
    _end(conn, "COMMIT")
    for table, rows in _sizes(conn).items():
        if rows >= STATS_MIN_ROWS and rows >= STATS_GROWTH * analysed.get(table, 0):
            try:
                conn.execute(f"ANALYZE {table}")
            except sqlite3.Error:  # statistics are advice: the commit stands
                log.warning("could not analyse %s", table, exc_info=True)
                return
            analysed[table] = rows


def _incremental_vacuum(conn: sqlite3.Connection) -> None:
    # executescript steps the pragma to its end; execute() frees one page only.
    conn.executescript("PRAGMA incremental_vacuum;")


def _lastrowid(conn: sqlite3.Connection, sql: str, params: Params) -> int:
    return conn.execute(sql, params).lastrowid or 0


def _rowcount(conn: sqlite3.Connection, sql: str, params: Params) -> int:
    return conn.execute(sql, params).rowcount


def _fetchall(conn: sqlite3.Connection, sql: str, params: Params) -> list[aiosqlite.Row]:
    return conn.execute(sql, params).fetchall()
