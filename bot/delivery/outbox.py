"""Delivery of the outbox: one lane per backend, paced to its platform.

A row is claimed (status 'sending', with a lease) before it is sent and
marked right after the platform answered, each in its own short transaction.
A crash therefore strands only claimed rows, which are tried again once their
lease ends. What no outbox can avoid without the platform's help is sending
again a message the platform accepted in the instant before the process
died, its row not marked yet: at most the sends in flight (``OUTBOX_IN_FLIGHT``),
in practice the one or two whose answer had just come back. A 429 holds the whole lane
in the database, so the wait outlives a restart; transient failures back off
exponentially; a blocked person is marked and never retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import inf

from bot.backends.base import Backend, Blocked, DeliveryError, RetryAfter
from bot.core.context import Recipient, Services
from bot.core.limits import (
    BACKOFF_FIRST,
    BACKOFF_MAX,
    IDLE_POLL_SECONDS,
    MAX_ATTEMPTS,
    OUTBOX_BATCH,
    OUTBOX_IN_FLIGHT,
    OUTBOX_LEASE,
    RateLimit,
    for_backend,
)
from bot.core.messages import Reply
from bot.delivery.fanout import Render, notify
from bot.delivery.throttle import Throttle
from bot.delivery.workdays import SendWindow
from storage import broadcasts, consultations, outbox
from storage.broadcasts import Broadcast
from storage.outbox import Claimed

log = logging.getLogger(__name__)

_EARLY = 0.002


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th transient failure: 2 s, 4 s, 8 s… at most an hour."""
    return min(BACKOFF_FIRST * (1 << max(attempts - 1, 0)), BACKOFF_MAX)


@dataclass
class _Outcome:
    sent: int = 0
    moved: int = 0


class Lane:
    """One backend's rows, sent concurrently but never faster than its platform allows,
    and in order within a chat (one message in flight per chat)."""

    def __init__(
        self, services: Services, name: str, backend: Backend, throttle: Throttle | None
    ) -> None:
        self.services = services
        self.name = name
        self.backend = backend
        self.throttle = throttle
        self.held_until: datetime | None = None
        """Set when the platform asked to wait: the lane stops for this drain."""

    async def run(self, batch: int, window: SendWindow) -> _Outcome:
        db, clock = self.services.db, self.services.clock
        loop = asyncio.get_running_loop()
        result = _Outcome()
        queue: deque[Claimed] = deque()
        in_flight: dict[asyncio.Task[bool], Claimed] = {}
        finished: list[asyncio.Task[bool]] = []
        progress = asyncio.Event()

        def on_done(task: asyncio.Task[bool]) -> None:
            finished.append(task)
            progress.set()

        exhausted = False
        try:
            while True:
                progress.clear()  # a send ending from now on sets it again
                for task in finished:
                    del in_flight[task]
                    result.sent += int(task.result())
                finished.clear()
                if self.held_until is not None and queue:
                    async with db.transaction():
                        await outbox.release(db, [row.id for row in queue], self.held_until)
                    queue.clear()
                if (
                    not exhausted
                    and self.held_until is None
                    and len(queue) < min(OUTBOX_IN_FLIGHT, batch)
                ):
                    now = clock.now()
                    wanted = batch - len(queue)
                    claim = await outbox.claim(
                        db,
                        self.name,
                        now,
                        now + OUTBOX_LEASE,
                        wanted,
                        quiet_ok=window.contains(now),
                    )
                    queue.extend(claim.rows)
                    result.moved += claim.moved
                    exhausted = claim.found < wanted
                if not queue and not in_flight:
                    return result
                busy = {row.chat for row in in_flight.values()}
                row, wait = self._pick(queue, busy, loop.time())
                room = len(in_flight) < OUTBOX_IN_FLIGHT
                if row is not None and wait <= 0 and room:
                    if self.throttle is not None:
                        self.throttle.take(row.chat, loop.time())
                    queue.remove(row)
                    task = asyncio.create_task(self._send(row))
                    task.add_done_callback(on_done)
                    in_flight[task] = row
                    continue
                # Wait for the pace to allow the next row, or for a send to finish
                # (it frees its chat and a place in flight).
                timeout = wait if row is not None and room else None
                if timeout is not None:
                    # Timers fire late by up to a millisecond, which at 30/s would cost
                    # a few percent of the rate: wake early and yield until it is time.
                    timeout = 0 if timeout <= _EARLY else timeout - _EARLY
                if in_flight:
                    with suppress(TimeoutError):
                        async with asyncio.timeout(timeout):
                            await progress.wait()
                else:
                    await asyncio.sleep(timeout or 0)
        except Exception:
            # A bug or a database error, not a crash: give back what was not tried.
            async with db.transaction():
                await outbox.release(db, [row.id for row in queue], None)
            raise
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    def _pick(
        self, queue: deque[Claimed], busy: set[str], now: float
    ) -> tuple[Claimed | None, float]:
        """The row that may go soonest, and in how many seconds."""
        best: Claimed | None = None
        best_wait = inf
        soonest = 0.0 if self.throttle is None else self.throttle.wait_any(now)
        for row in queue:
            if row.chat in busy:
                continue
            wait = 0.0 if self.throttle is None else self.throttle.wait(row.chat, now)
            if wait < best_wait:
                best, best_wait = row, wait
                if wait <= soonest:
                    break
        return best, best_wait

    async def _send(self, row: Claimed) -> bool:
        db, clock = self.services.db, self.services.clock
        try:
            try:
                await self.backend.deliver(row.identity, row.address, Reply.from_json(row.payload))
            finally:
                if self.throttle is not None:  # the pace in this chat counts from now
                    self.throttle.done(row.chat, asyncio.get_running_loop().time())
        except Blocked as exc:
            async with db.transaction():
                await outbox.mark_final(db, row.id, "blocked", str(exc))
            return False
        except RetryAfter as exc:
            until = clock.now() + timedelta(seconds=exc.seconds)
            self.held_until = max(until, self.held_until or until)
            async with db.transaction():
                await outbox.retry_later(db, row.id, until, str(exc))
                await outbox.hold_backend(db, self.name, until)
            log.warning("%s: %s; lane held %ss", self.name, exc, exc.seconds)
            return False
        except Exception as exc:
            if not isinstance(exc, DeliveryError | OSError | TimeoutError):
                log.exception("%s failed to deliver outbox row %s", self.name, row.id)
            attempts = row.attempts + 1
            async with db.transaction():
                if attempts >= MAX_ATTEMPTS:
                    await outbox.mark_final(db, row.id, "failed", str(exc) or type(exc).__name__)
                else:
                    await outbox.retry_later(db, row.id, clock.now() + backoff(attempts), str(exc))
            return False
        async with db.transaction():
            await outbox.mark_sent(db, row.id, clock.now())
        return True


class Sender:
    def __init__(self, services: Services, backends: dict[str, Backend]) -> None:
        self.services = services
        self.backends = backends
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._throttles: dict[str, Throttle | None] = {}

    def wake(self) -> None:
        self._wake.set()

    @property
    def woken(self) -> bool:
        """Something was queued since the last drain started."""
        return self._wake.is_set()

    def rate(self, name: str) -> RateLimit | None:
        return for_backend(name, self.services.config.limits)

    def _throttle(self, name: str) -> Throttle | None:
        """One per backend for the sender's life: pacing carries over between drains."""
        if name not in self._throttles:
            rate = self.rate(name)
            self._throttles[name] = None if rate is None else Throttle(rate)
        return self._throttles[name]

    async def drain(self, batch: int = OUTBOX_BATCH) -> int:
        """Deliver every due row through the backends present; return how many were sent.

        Waits as the platforms' pace requires, so a big broadcast makes this
        long; drains never overlap, so a row is never claimed twice here.
        """
        self._wake.clear()
        async with self._lock:
            sent = 0
            while True:
                db = self.services.db
                await outbox.recover(db, self.services.clock.now())
                consultation = await consultations.current(db)
                window = SendWindow.from_settings(consultation.settings if consultation else {})
                lanes = [
                    Lane(self.services, name, backend, self._throttle(name))
                    for name, backend in list(self.backends.items())
                ]
                async with asyncio.TaskGroup() as group:
                    tasks = [group.create_task(lane.run(batch, window)) for lane in lanes]
                outcomes = [task.result() for task in tasks]
                sent += sum(o.sent for o in outcomes)
                told = await self._report_broadcasts()
                if not told and not any(o.moved for o in outcomes):
                    return sent

    async def _report_broadcasts(self) -> bool:
        """Tell each author whose broadcast is fully delivered, once."""
        db, now = self.services.db, self.services.clock.now()
        told = False
        for item in await broadcasts.finished_unreported(db):
            async with db.transaction():
                if not await broadcasts.mark_reported(db, item.id, now):
                    continue
                if item.author_id is not None:
                    render = _report(item)
                    told |= await notify(self.services, (), item.author_id, "report", render, now)
        return told

    async def run(self, stop: asyncio.Event, idle: float = IDLE_POLL_SECONDS) -> None:
        while not stop.is_set():
            try:
                await self.drain()
            except Exception:
                log.exception("outbox delivery failed")
            waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
            await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()


def _report(item: Broadcast) -> Render:
    def render(r: Recipient) -> Reply:
        excerpt = item.text_fr if len(item.text_fr) <= 60 else item.text_fr[:59] + "…"
        return Reply(
            r._(
                "Your broadcast no. {number} (“{excerpt}”) is delivered: {sent} sent, "
                "{failed} failed, {blocked} blocked (the person blocked the bot or left).",
                number=item.id,
                excerpt=excerpt,
                sent=r.t.number(item.sent),
                failed=r.t.number(item.failed),
                blocked=r.t.number(item.blocked),
            )
        )

    return render
