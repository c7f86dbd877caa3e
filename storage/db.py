"""The one SQLite connection every part of Guichet shares.

SQLite is the source of truth (conversation state, offsets, outbox), so the
connection is opened with WAL, foreign keys and a busy timeout, and every
write happens inside ``transaction()``: a refused action rolls back whole, and
an outbox row is committed with the fact that caused it or not at all.

The connection lives in a thread of its own (``storage.worker``), a plain
``sqlite3`` connection, rather than behind aiosqlite: each statement must
cost one thread hop (aiosqlite's public cursor API costs three, and its
one-hop path is private), and a start-up that fails must never leave a
thread that keeps the process alive (aiosqlite's is not a daemon).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from storage.faults import (
    DatabaseUnusable,
    SchemaTooNew,
    StorageUnavailable,
    unavailable,
    unusable,
)
from storage.lock import FileLock
from storage.schema import apply, migration_files, version
from storage.worker import Worker

__all__ = [
    "Database",
    "DatabaseUnusable",
    "Row",
    "SchemaTooNew",
    "StorageUnavailable",
    "migration_files",
]

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
Row = sqlite3.Row
T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000

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


class Database:
    """A connection in its own thread, with a re-entrant write transaction."""

    def __init__(self, worker: Worker, path: str, lock: FileLock) -> None:
        self._worker = worker
        self._file_lock = lock
        self.path = path
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._begin_pending = False
        self._committed: list[Callable[[], Awaitable[None]]] = []
        self._analysed: dict[str, int] = {}
        """Rows of each growing table when its statistics were last taken."""

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True) -> Database:
        """Connect and bring the schema up to date; a file that cannot be used
        raises ``DatabaseUnusable`` (or ``SchemaTooNew``), with the thread gone.

        The shared lock (``storage.lock``), held until ``close``, tells
        ``guichet restore`` that the file is in use.
        """
        held = FileLock(path, exclusive=False)
        worker = Worker(_connect, str(path))
        db = cls(worker, str(path), held)
        try:
            await worker.started()
            await db._call(_setup)
            if migrate:
                await db.migrate()
        except BaseException as exc:
            await db.close()
            if isinstance(exc, sqlite3.Error):
                raise unusable(str(path), exc) from exc
            raise
        return db

    async def optimize(self) -> None:
        """Refresh the planner's statistics, cheaply (``analysis_limit`` samples each index).

        Without them SQLite picks poor plans on the big joins of reminders and
        audiences once tables hold 100,000 rows (seconds instead of tens of ms).
        """
        await self.execute("ANALYZE")
        self._analysed = await self._call(_sizes)

    async def release_free_pages(self) -> None:
        """Give the pages freed by deletions back to the file system.

        Only for a file created with incremental auto-vacuum (every file first
        opened here since migration 0012); elsewhere nothing happens. Holds the
        connection like a transaction: the pragma runs outside one.
        """
        async with self._lock:
            await self._call(_incremental_vacuum)

    async def close(self) -> None:
        await self._worker.stop()
        self._file_lock.release()

    def interrupt(self) -> None:
        """Stop the statement running now (thread-safe, as sqlite3's interrupt is)."""
        self._worker.interrupt()

    async def schema_version(self) -> int:
        return await self._call(version)

    async def migrate(self) -> list[str]:
        """Apply the migrations this file has not seen yet; return their names.

        Each is applied in a ``BEGIN IMMEDIATE`` transaction that first reads
        the version again: two processes starting on a new file take turns, and
        the second finds the work done instead of creating the tables twice.
        """
        shipped = migration_files()
        current = await self.schema_version()  # without a lock: usually all is done
        if current > len(shipped):
            raise SchemaTooNew(current, len(shipped))
        applied = []
        for number, name, sql in shipped[current:]:
            if await self._call(apply, number, name, sql, len(shipped)):
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
                    self._committed.clear()
                    # Decided in the database thread, after any BEGIN still queued there
                    # (a cancelled task's statement may not have run yet).
                    await self._worker.call(_end, "ROLLBACK")
                    raise
                else:
                    await self._call(_commit, self._analysed)
            finally:
                self._owner = None
                self._begin_pending = False
                committed, self._committed = self._committed, []
        for work in committed:
            try:
                await work()
            except Exception:  # the transaction stands; the work is retried by its owner
                log.exception("work after commit failed")

    def after_commit(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` once the current transaction commits, with the connection free.

        For what a transaction decides but must not do inside it: a national
        fan-out queued in one transaction held every other event for seconds.
        Run by the task that committed; dropped on rollback. Failures are
        logged, not raised: what was committed stands, and the work must be
        resumable from the database (``bot.delivery.fanout.resume``).
        """
        if self._owner is None or self._owner is not asyncio.current_task():
            raise RuntimeError("after_commit outside a transaction")
        self._committed.append(work)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(connection, *args)`` in the connection's thread: one hop per
        statement (execute, fetch and close together), the BEGIN included."""
        try:
            if self._begin_pending and self._owner is asyncio.current_task():
                self._begin_pending = False
                return await self._worker.call(_begun, fn, args)
            return await self._worker.call(fn, *args)
        except sqlite3.OperationalError as exc:
            fault = unavailable(exc)
            if fault is None or fault is exc:
                raise
            raise fault from exc

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a synchronous ``fn(connection, *args)`` in the database thread.

        For hot paths that chain several statements: they cost one thread hop
        together instead of one each.
        """
        return await self._call(fn, *args)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return lastrowid (inserts) for convenience."""
        return await self._call(_lastrowid, sql, params)

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        return await self._call(_rowcount, sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._call(_executemany, sql, rows)

    async def executescript(self, script: str) -> None:
        """Several statements at once, as sqlite3 runs them (for tests and tools:
        it commits any transaction open on the connection first)."""
        await self._call(_executescript, script)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self._call(_fetchall, sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._call(_fetchall, sql, params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def _setup(conn: sqlite3.Connection) -> None:
    # The busy timeout first: switching a new file to WAL takes a lock that a
    # second process starting at the same moment must wait for, not fail on.
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    if conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is None:
        # Only before the first table: what the outbox purge frees goes back.
        conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    # ANALYZE samples this many rows per index: milliseconds whatever the table's size.
    conn.execute("PRAGMA analysis_limit=1000")
    # Deleted or shortened rows are overwritten with zeros, free pages included:
    # otherwise an erased person's name stays readable in the file's free space
    # (RGPD art. 17). It costs a write of each page freed, which is rare here.
    conn.execute("PRAGMA secure_delete=ON")


def _end(conn: sqlite3.Connection, verb: str) -> None:
    if not conn.in_transaction:
        return
    try:
        conn.execute(verb)
    except BaseException:
        # A COMMIT refused (disk full, I/O error) may leave the transaction open.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


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


def _begun(conn: sqlite3.Connection, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    return fn(conn, *args)


def _lastrowid(conn: sqlite3.Connection, sql: str, params: Params) -> int:
    return conn.execute(sql, params).lastrowid or 0


def _rowcount(conn: sqlite3.Connection, sql: str, params: Params) -> int:
    return conn.execute(sql, params).rowcount


def _executemany(conn: sqlite3.Connection, sql: str, rows: Iterable[Params]) -> None:
    conn.executemany(sql, rows)


def _executescript(conn: sqlite3.Connection, script: str) -> None:
    conn.executescript(script)


def _fetchall(conn: sqlite3.Connection, sql: str, params: Params) -> list[Row]:
    return conn.execute(sql, params).fetchall()
