"""Answers sent the moment their event commits: the outbox's fast path.

The router writes an event's answers to the outbox in the event's own
transaction, already claimed by this process; once it commits they come
here and leave at once, one chat at a time and in order, taking their turn
at the platform's pace ahead of the outbox's lane (``throttle.Gate``). When
all is well this costs nothing but the 'sent' mark, recorded for many sends
in one transaction (``SentMarks``).

When the platform refuses or is away the answer stays here, still claimed,
and is tried again as the platform said: after ``retry_after`` (a 429 holds
that chat, or the whole backend when the platform says so), as soon as the
backend is connected again, or after a backoff. The wait is also written to
the row, so a restart meanwhile honours it; a crash leaves the row claimed
and the next start gives it back to the outbox (``outbox.recover``).

Delivery is at least once: a process that dies after the platform took a
message and before its 'sent' mark was written sends it again after the
restart. The duplicates are bounded by the sends in flight plus the marks
not yet written (one transaction's worth, a few milliseconds of sends); on
Matrix the message's transaction id (``Claimed.key``) makes the homeserver
drop the resend; Telegram's Bot API has no such key, so there the person may
see the message twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from datetime import timedelta

from bot.backends.base import (
    RECONNECT_FIRST,
    Backend,
    Blocked,
    DeliveryError,
    Rejected,
    RetryAfter,
    Unreachable,
    next_delay,
)
from bot.core.context import Services
from bot.core.limits import BACKOFF_FIRST, BACKOFF_MAX, MAX_ATTEMPTS, OUTBOX_LEASE
from bot.core.messages import Reply
from bot.delivery.throttle import Gate, Throttle
from storage import outbox
from storage.outbox import Claimed

log = logging.getLogger(__name__)


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th transient failure: 2 s, 4 s, 8 s… at most an hour."""
    return min(BACKOFF_FIRST * (1 << max(attempts - 1, 0)), BACKOFF_MAX)


class Keys:
    """The database's prefix for message keys (``outbox.key_prefix``), read once."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._prefix = ""

    async def of(self, row: Claimed) -> str:
        if not self._prefix:
            self._prefix = await outbox.key_prefix(self.services.db)
        return row.key(self._prefix)


class SentMarks:
    """'sent' marks written together: while one transaction writes, the next
    marks gather, so a burst of answers costs a few transactions, not one each."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._ids: list[int] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, outbox_id: int) -> None:
        self._ids.append(outbox_id)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        db = self.services.db
        while self._ids:
            ids, self._ids = self._ids, []
            try:
                async with db.transaction():
                    await outbox.mark_sent_many(db, ids, self.services.clock.now())
            except Exception:
                log.exception("could not record %d sent answers", len(ids))

    async def settle(self) -> None:
        """Until every mark is written."""
        while self._task is not None and not self._task.done():
            await self._task


class Answers:
    """One backend's answers in flight: a worker per chat, in order."""

    def __init__(
        self,
        services: Services,
        backend: Backend,
        gate: Gate,
        throttle: Throttle | None,
        marks: SentMarks,
        keys: Keys,
    ) -> None:
        self.keys = keys
        self.services = services
        self.backend = backend
        self.gate = gate
        self.throttle = throttle
        self.marks = marks
        self._chats: dict[str, deque[Claimed]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._sending: set[asyncio.Future[None]] = set()
        self.idle = asyncio.Event()
        """Set while no answer waits or is in flight."""
        self.idle.set()

    def submit(self, rows: list[Claimed]) -> None:
        for row in rows:
            self.idle.clear()
            chat = row.chat
            self._chats.setdefault(chat, deque()).append(row)
            if self.throttle is not None:
                self.throttle.answering[chat] += 1
            if chat not in self._workers:
                self._workers[chat] = asyncio.create_task(self._work(chat))

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self._chats.values())

    async def _work(self, chat: str) -> None:
        queue = self._chats[chat]
        try:
            while queue:
                await self._send(queue[0])
                queue.popleft()
                self._done(chat)
        finally:
            for _ in queue:
                self._done(chat)
            del self._chats[chat]
            del self._workers[chat]
            if not self._chats:
                self.idle.set()

    def _done(self, chat: str) -> None:
        if self.throttle is not None:
            self.throttle.answering[chat] -= 1
            if self.throttle.answering[chat] <= 0:
                del self.throttle.answering[chat]

    async def _send(self, row: Claimed) -> None:
        """Until the platform took the row or refused it for good."""
        loop = asyncio.get_running_loop()
        connectivity = self.backend.connectivity
        reply = Reply.from_json(row.payload)
        key = await self.keys.of(row)
        attempts = row.attempts
        away = RECONNECT_FIRST
        while True:
            await connectivity.wait_up()
            await self.gate.turn(row.chat)
            # Shielded: a stop lets a send already on the wire finish (``Sender.finish``).
            send = asyncio.ensure_future(
                self.backend.deliver(row.identity, row.address, reply, key=key, context=row.context)
            )
            self._sending.add(send)
            try:
                await asyncio.shield(send)
            except Blocked as exc:
                await self._final(row, "blocked", str(exc))
                return
            except Rejected as exc:
                log.warning("%s refused an answer: %s", self.backend.name, exc)
                await self._final(row, "failed", str(exc))
                return
            except RetryAfter as exc:
                until = loop.time() + exc.seconds
                if self.throttle is not None:
                    self.throttle.hold(None if exc.whole_lane else row.chat, until)
                    self.gate.changed()
                attempts += 1
                await self._wait(row, exc.seconds, str(exc))
                log.info(
                    "%s: answer to %s waits %.1f s as the platform asked",
                    self.backend.name,
                    row.chat,
                    exc.seconds,
                )
                if self.throttle is None:
                    await asyncio.sleep(exc.seconds)
                continue
            except Unreachable as exc:
                # The platform did not answer: try again soon, and not before the
                # backend's own loop hears from it if it noticed the outage too.
                level = logging.WARNING if away == RECONNECT_FIRST else logging.DEBUG
                log.log(
                    level,
                    "%s: answer to %s not sent (%s); retrying",
                    self.backend.name,
                    row.chat,
                    exc,
                )
                await asyncio.sleep(away)
                away = next_delay(away)
                continue
            except (DeliveryError, OSError, TimeoutError) as exc:
                log.warning("%s: answer to %s failed (%s)", self.backend.name, row.chat, exc)
                attempts += 1
                if attempts >= MAX_ATTEMPTS:
                    await self._final(row, "failed", str(exc) or type(exc).__name__)
                    return
                delay = backoff(attempts).total_seconds()
                await self._wait(row, delay, str(exc) or type(exc).__name__)
                await asyncio.sleep(delay)
                continue
            except Exception as exc:
                log.exception("%s failed to send answer %s", self.backend.name, row.id)
                await self._final(row, "failed", type(exc).__name__)
                return
            finally:
                self._sending.discard(send)
                if self.throttle is not None:
                    self.throttle.done(row.chat, loop.time())
            self.marks.add(row.id)
            return

    async def _wait(self, row: Claimed, seconds: float, error: str) -> None:
        db, now = self.services.db, self.services.clock.now()
        at = now + timedelta(seconds=seconds)
        async with db.transaction():
            await outbox.wait_claimed(db, row.id, at, at + OUTBOX_LEASE, error)

    async def _final(self, row: Claimed, status: str, error: str) -> None:
        db = self.services.db
        async with db.transaction():
            await outbox.mark_final(db, row.id, status, error)

    async def finish(self, grace: float) -> None:
        """Let the sends on the wire end (within ``grace`` seconds), then stop.

        What was not sent stays claimed in the outbox with no wait added: the
        next start gives it back at once (``outbox.recover(restart=True)``).
        """
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=grace)
        for worker in list(self._workers.values()):
            worker.cancel()
        await asyncio.gather(*self._workers.values(), return_exceptions=True)
        await self.marks.settle()
