"""Delivery of the outbox through each person's backend.

Rows are marked only after the platform accepted them; a crash in between
sends a message twice rather than never. Rate limits and crash-safety across
a national broadcast are refined by the scheduler work.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.backends.base import Backend, Blocked, DeliveryError, RetryAfter
from bot.context import Services
from storage import outbox, persons

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


class Sender:
    def __init__(self, services: Services, backends: dict[str, Backend]) -> None:
        self.services = services
        self.backends = backends
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    @property
    def woken(self) -> bool:
        """Something was queued since the last drain started."""
        return self._wake.is_set()

    async def drain(self, batch: int = 100) -> int:
        """Deliver every due row once; return how many were sent."""
        self._wake.clear()
        sent = 0
        while True:
            rows = await outbox.due(self.services.db, self.services.clock.now(), batch)
            if not rows:
                return sent
            progressed = False
            for row in rows:
                delivered = await self._deliver(row)
                sent += delivered
                progressed = progressed or delivered > 0
            if not progressed:
                return sent

    async def _deliver(self, row: outbox.Pending) -> int:
        db = self.services.db
        now = self.services.clock.now()
        target = await persons.delivery_target(db, row.person_id)
        if target is None:
            async with db.transaction():
                await outbox.mark_final(db, row.id, "failed", "no identity")
            return 0
        identity, address = target
        backend = self.backends.get(identity.split(":", 1)[0])
        if backend is None:
            async with db.transaction():
                await outbox.retry_later(db, row.id, now + timedelta(minutes=1), "backend offline")
            return 0
        try:
            await backend.deliver(identity, address, row.reply)
        except Blocked as exc:
            async with db.transaction():
                await outbox.mark_final(db, row.id, "blocked", str(exc))
            return 0
        except RetryAfter as exc:
            async with db.transaction():
                await outbox.retry_later(db, row.id, now + timedelta(seconds=exc.seconds), str(exc))
            return 0
        except (DeliveryError, OSError) as exc:
            async with db.transaction():
                if row.attempts + 1 >= MAX_ATTEMPTS:
                    await outbox.mark_final(db, row.id, "failed", str(exc))
                else:
                    delay = timedelta(seconds=2 ** (row.attempts + 1))
                    await outbox.retry_later(db, row.id, now + delay, str(exc))
            return 0
        async with db.transaction():
            await outbox.mark_sent(db, row.id, now)
        return 1

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        while not stop.is_set():
            try:
                await self.drain()
            except Exception:
                log.exception("outbox delivery failed")
            waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
            await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
