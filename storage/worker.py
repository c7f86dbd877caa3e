"""The thread that owns the SQLite connection: one hop per call, never a hang.

sqlite3 connections are used from one thread; the event loop must not block
on the disk. So every call is queued to this thread, run there whole (a
statement with its fetch, or a chain of them) and its result handed back to
the loop: one thread hop each way per call.

The thread is a daemon and ends when stopped: a process whose start-up
failed before it closed the database exits at once instead of waiting
forever for a thread nobody will stop (aiosqlite's worker is not a daemon).
Killing it mid-write at exit costs nothing SQLite cannot undo: an
uncommitted transaction is rolled back from the journal at the next open.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_Job = tuple[asyncio.Future[Any], Callable[..., Any], tuple[Any, ...]]


class Worker:
    """A connection opened by ``connect(*args)`` in a thread of its own."""

    def __init__(self, connect: Callable[..., sqlite3.Connection], *args: Any) -> None:
        self._loop = asyncio.get_running_loop()
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._conn: sqlite3.Connection | None = None
        self._ready: asyncio.Future[None] = self._loop.create_future()
        self._thread = threading.Thread(
            target=self._serve, args=(connect, args), name="guichet-db", daemon=True
        )
        self._stopped = False
        self._thread.start()

    async def started(self) -> None:
        """Wait for the connection; raise what opening it raised."""
        await self._ready

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(connection, *args)`` in the thread."""
        if self._stopped:
            raise sqlite3.ProgrammingError("the database is closed")
        future: asyncio.Future[T] = self._loop.create_future()
        self._jobs.put((future, fn, args))
        return await future

    def interrupt(self) -> None:
        if self._conn is not None:
            self._conn.interrupt()

    async def stop(self) -> None:
        """Close the connection after the calls already queued; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._jobs.put(None)
        await asyncio.to_thread(self._thread.join)

    def _serve(self, connect: Callable[..., sqlite3.Connection], args: tuple[Any, ...]) -> None:
        try:
            conn = connect(*args)
        except BaseException as exc:  # reported to whoever awaits started()
            self._stopped = True
            self._hand_back(self._ready, None, exc)
            return
        self._conn = conn
        self._hand_back(self._ready, None, None)
        try:
            while (job := self._jobs.get()) is not None:
                future, fn, fn_args = job
                try:
                    result = fn(conn, *fn_args)
                except BaseException as exc:
                    self._hand_back(future, None, exc)
                else:
                    self._hand_back(future, result, None)
        finally:
            self._conn = None
            conn.close()

    def _hand_back(
        self, future: asyncio.Future[Any], result: Any, error: BaseException | None
    ) -> None:
        try:
            self._loop.call_soon_threadsafe(_settle, future, result, error)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
