"""Delivery of the outbox: one lane per backend, paced to its platform.

Answers to the person speaking leave by the fast path (``bot.delivery.answers``)
the moment their event commits; the lane delivers everything else, and what a
restart gave back, and gives way to answers (``Gate.busy``) and leaves alone
the chats they are going to.

A row is claimed (status 'sending', with a lease) before it is sent and
marked right after the platform answered, each in its own short transaction.
A crash therefore strands only claimed rows, which are tried again once their
lease ends. What no outbox can avoid without the platform's help is sending
again a message the platform accepted in the instant before the process
died, its row not marked yet: at most the sends in flight (``OUTBOX_IN_FLIGHT``),
in practice the one or two whose answer had just come back. A 429 holds the
chat it was about (the whole lane when the platform says so, as Matrix's
does), in the database too, so the wait outlives a restart; a platform that
cannot be reached stops the lane, without counting against the rows, until
the backend is connected again; other transient failures back off
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

from bot.backends.base import Backend, Blocked, DeliveryError, Rejected, RetryAfter, Unreachable
from bot.core.context import Recipient, Services
from bot.core.limits import (
    IDLE_POLL_SECONDS,
    MAX_ATTEMPTS,
    OUTBOX_BATCH,
    OUTBOX_IN_FLIGHT,
    OUTBOX_LEASE,
    RateLimit,
    for_backend,
)
from bot.core.messages import Reply
from bot.delivery.answers import Answers, Keys, SentMarks, backoff
from bot.delivery.fanout import Render, notify
from bot.delivery.throttle import Gate, Throttle
from bot.delivery.workdays import SendWindow
from storage import broadcasts, consultations, outbox
from storage.broadcasts import Broadcast
from storage.outbox import Claimed

log = logging.getLogger(__name__)

_EARLY = 0.002
_YIELD = 0.01
"""How often a lane that gave way to answers looks again."""

__all__ = ["Lane", "Sender", "backoff"]


@dataclass
class _Outcome:
    sent: int = 0
    moved: int = 0


class Lane:
    """One backend's rows, sent concurrently but never faster than its platform allows,
    and in order within a chat (one message in flight per chat)."""

    def __init__(
        self,
        services: Services,
        name: str,
        backend: Backend,
        throttle: Throttle | None,
        gate: Gate | None = None,
        stopping: asyncio.Event | None = None,
        grace: float = 5.0,
        keys: Keys | None = None,
    ) -> None:
        self.keys = keys or Keys(services)
        self.stopping = stopping or asyncio.Event()
        self.grace = grace
        self.services = services
        self.name = name
        self.backend = backend
        self.throttle = throttle
        self.gate = gate
        self.held_until: datetime | None = None
        """Set when the platform asked to wait: the lane stops for this drain."""
        self.away = False
        """Set when the platform could not be reached: the lane stops until it is back."""

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
                if self.stopping.is_set():
                    # Stopping: nothing new leaves; what is on the wire may end.
                    async with db.transaction():
                        await outbox.release(db, [row.id for row in queue], None)
                    queue.clear()
                    if in_flight:
                        await asyncio.wait(list(in_flight), timeout=self.grace)
                        for task in finished:
                            del in_flight[task]
                            result.sent += int(task.result())
                        finished.clear()
                    return result
                if (self.held_until is not None or self.away) and queue:
                    async with db.transaction():
                        await outbox.release(db, [row.id for row in queue], self.held_until)
                    queue.clear()
                if (
                    not exhausted
                    and self.held_until is None
                    and not self.away
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
                timeout = wait if (row is not None or wait == _YIELD) and room else None
                if timeout is None and not in_flight:
                    timeout = _YIELD  # every row's chat is taken by answers
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
        if self.gate is not None and self.gate.busy:
            return None, _YIELD  # answers are waiting for their turn: they go first
        soonest = 0.0 if self.throttle is None else self.throttle.wait_any(now)
        answering = self.throttle.answering if self.throttle is not None else {}
        for row in queue:
            if row.chat in busy or row.chat in answering:
                continue
            wait = 0.0 if self.throttle is None else self.throttle.wait(row.chat, now)
            if wait < best_wait:
                best, best_wait = row, wait
                if wait <= soonest:
                    break
        return best, best_wait

    async def _send(self, row: Claimed) -> bool:
        db, clock = self.services.db, self.services.clock
        loop = asyncio.get_running_loop()
        try:
            try:
                await self.backend.deliver(
                    row.identity,
                    row.address,
                    Reply.from_json(row.payload),
                    key=await self.keys.of(row),
                    context=row.context,
                )
            finally:
                if self.throttle is not None:  # the pace in this chat counts from now
                    self.throttle.done(row.chat, loop.time())
        except Blocked as exc:
            async with db.transaction():
                await outbox.mark_final(db, row.id, "blocked", str(exc))
            return False
        except Rejected as exc:
            log.warning("%s refused outbox row %s: %s", self.name, row.id, exc)
            async with db.transaction():
                await outbox.mark_final(db, row.id, "failed", str(exc))
            return False
        except Unreachable as exc:
            # Not the row's fault: given back as it was, tried again by the next
            # drain (at the latest a second later, ``Sender.run``).
            log.info("%s: platform unreachable (%s); the lane stops for now", self.name, exc)
            self.away = True
            async with db.transaction():
                await outbox.release(db, [row.id], None)
            return False
        except RetryAfter as exc:
            until = clock.now() + timedelta(seconds=exc.seconds)
            async with db.transaction():
                await outbox.retry_later(db, row.id, until, str(exc))
                if exc.whole_lane:
                    await outbox.hold_backend(db, self.name, until)
            if exc.whole_lane:
                self.held_until = max(until, self.held_until or until)
                log.warning("%s: %s; lane held %ss", self.name, exc, exc.seconds)
            elif self.throttle is not None:
                self.throttle.hold(row.chat, loop.time() + exc.seconds)
                log.info("%s: %s; chat %s held %ss", self.name, exc, row.chat, exc.seconds)
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
        self._gates: dict[str, Gate] = {}
        self._answers: dict[str, Answers] = {}
        self.marks = SentMarks(services)
        self.keys = Keys(services)
        self.stopping = asyncio.Event()
        self.grace = 5.0

    def wake(self) -> None:
        self._wake.set()

    def answer(self, rows: list[Claimed]) -> None:
        """Send an event's answers now (fast path); they are in the outbox already."""
        for row in rows:
            name = row.identity.split(":", 1)[0]
            answers = self._answers.get(name)
            backend = self.backends.get(name)
            if backend is None:
                continue  # left claimed: the next start sends it
            if answers is None or answers.backend is not backend:  # a backend started again
                answers = Answers(
                    self.services,
                    backend,
                    self._gate(name),
                    self._throttle(name),
                    self.marks,
                    self.keys,
                )
                self._answers[name] = answers
            answers.submit([row])

    async def answered(self, within: float = 10.0) -> None:
        """Until every answer handed to the fast path has left (or failed for good)."""
        async with asyncio.timeout(within):
            for answers in list(self._answers.values()):
                await answers.idle.wait()
            await self.marks.settle()

    async def recover_after_restart(self) -> int:
        """Give back what a previous run of the bot had claimed; before anything runs."""
        return await outbox.recover(self.services.db, self.services.clock.now(), restart=True)

    async def finish(self, grace: float) -> None:
        """At stop: answers and outbox sends on the wire may end within ``grace``;
        nothing else leaves, and nothing is held for the next start."""
        self.grace = grace
        self.stopping.set()
        self._wake.set()
        await asyncio.gather(*(a.finish(grace) for a in self._answers.values()))

    def _gate(self, name: str) -> Gate:
        if name not in self._gates:
            self._gates[name] = Gate(self._throttle(name))
        return self._gates[name]

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
                    Lane(
                        self.services,
                        name,
                        backend,
                        self._throttle(name),
                        self._gate(name),
                        self.stopping,
                        self.grace,
                        self.keys,
                    )
                    for name, backend in list(self.backends.items())
                    if backend.connectivity.connected
                ]
                async with asyncio.TaskGroup() as group:
                    tasks = [group.create_task(lane.run(batch, window)) for lane in lanes]
                outcomes = [task.result() for task in tasks]
                sent += sum(o.sent for o in outcomes)
                if self.stopping.is_set():
                    return sent
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
        while not stop.is_set() and not self.stopping.is_set():
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
