"""Pacing one backend's sends to its platform's published rates.

Pure bookkeeping over a monotonic clock passed in, so it is tested without
waiting: ``wait`` says how long before a message to a chat may go, ``take``
records that it went, ``done`` that the platform answered. The overall rate
is a bucket holding one token, i.e. a minimum spacing: a strict
sliding-window count on the platform's side never sees more than the rate,
which a bigger burst would not promise.

The platform counts when a message arrives, not when it left, and the network
moves arrivals by a few milliseconds either way: a message paced exactly one
second after another can arrive 0.999 s after it and be refused. Hence a
margin on the overall rate (``PACING_MARGIN``), and the per-chat and
per-group spacing counted from the platform's answer to the previous message,
which came after that message arrived; one message is in flight per chat, so
this costs nothing.

What the margin cannot absorb is a stalled event loop: a send taken on time
but written to the socket 40 ms later (a first connection, a slow callback)
arrives together with the next one. So a lane found late by more than
``STALL`` counts the send it took last as leaving only now (``_settle``).
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from math import inf

from bot.core.limits import LATE_CREDIT, STALL, RateLimit

_PRUNE_ABOVE = 10_000


class Throttle:
    def __init__(self, rate: RateLimit, start: float = 0.0) -> None:
        self.rate = rate
        self._spacing = 1.0 / rate.paced
        self._next_any = start
        self._last_take = -inf
        self._next_chat: dict[str, float] = {}
        self._held: dict[str, float] = {}
        """Chats the platform asked to wait for (a 429 about them), until when."""
        self._group_sends: dict[str, deque[float]] = {}
        self.answering: Counter[str] = Counter()
        """Chats with answers waiting or in flight: the outbox's lane leaves them
        alone, so a notice never slips between two answers, nor before one."""

    def _settle(self, now: float) -> None:
        """After a stall, the next send goes a spacing after now rather than at once:
        the one taken last (within the window) may only be leaving now."""
        late = now - self._next_any
        if late > STALL and now - self._last_take < 1.0:
            self._next_any = now + self._spacing

    def hold(self, chat: str | None, until: float) -> None:
        """The platform asked to wait: nothing to ``chat`` (None: to anyone) before ``until``."""
        if chat is None:
            self._next_any = max(self._next_any, until)
        else:
            self._held[chat] = max(self._held.get(chat, until), until)

    def wait_any(self, now: float) -> float:
        """Seconds before the overall rate lets anything go: no chat goes sooner."""
        self._settle(now)
        return max(0.0, self._next_any - now)

    def wait(self, chat: str, now: float, *, answer: bool = False) -> float:
        """Seconds to wait before a message to ``chat`` respects every limit.

        An ``answer`` may follow the previous message to its chat at once: the
        one-per-second in a chat is a pace for bulk, Telegram allows a person's
        short bursts (a command and its answer, the next command). Holds and the
        overall and group limits bind it as any message.
        """
        self._settle(now)
        ready = max(self._next_any, self._held.get(chat, now))
        if not answer:
            ready = max(ready, self._next_chat.get(chat, now))
        if self.rate.group_per_minute is not None and self.rate.is_group(chat):
            sends = self._group_sends.get(chat)
            if sends is not None:
                while sends and sends[0] <= now - 60.0:
                    sends.popleft()
                if len(sends) >= self.rate.group_per_minute:
                    ready = max(ready, sends[0] + 60.0)
        return max(0.0, ready - now)

    def take(self, chat: str, now: float) -> None:
        """A message to ``chat`` leaves now."""
        # A send that left late may let the next leave early by as much, within
        # LATE_CREDIT: timers fire late on a busy loop, and without this the rate
        # lost would never come back. Any N+1 sends still span N spacings less
        # the credit, longer than the window (the margin exceeds the credit).
        self._next_any = max(self._next_any, now - LATE_CREDIT) + self._spacing
        self._last_take = now
        if self.rate.chat_interval:
            # Nothing else goes to this chat before ``done`` sets the real time.
            self._next_chat[chat] = now + self.rate.chat_interval

    def done(self, chat: str, now: float) -> None:
        """The platform answered the message to ``chat`` (whatever it said)."""
        if self.rate.chat_interval:
            self._next_chat[chat] = max(
                self._next_chat.get(chat, 0.0), now + self.rate.chat_interval
            )
            if len(self._next_chat) > _PRUNE_ABOVE:
                self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}
        if len(self._held) > _PRUNE_ABOVE:
            self._held = {c: t for c, t in self._held.items() if t > now}
        if self.rate.group_per_minute is not None and self.rate.is_group(chat):
            self._group_sends.setdefault(chat, deque()).append(now)


class Gate:
    """Turns to send through one backend for answers, ahead of the outbox's lane.

    Each waiting answer names its chat; one pacer gives turns in arrival order
    to the first whose chat the throttle lets through, at the throttle's pace.
    While anyone waits here, ``busy`` tells the lane to let them go first: a
    broadcast in progress costs an answer at most the send already leaving.
    """

    def __init__(self, throttle: Throttle | None) -> None:
        self.throttle = throttle
        self._waiting: list[tuple[str, asyncio.Future[None]]] = []
        self._changed = asyncio.Event()
        self._pacer: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        return bool(self._waiting)

    async def turn(self, chat: str) -> None:
        """Return when a message to ``chat`` may leave; it is counted as leaving."""
        loop = asyncio.get_running_loop()
        if self.throttle is None:
            return
        if not self._waiting and self.throttle.wait(chat, loop.time(), answer=True) <= 0:
            self.throttle.take(chat, loop.time())
            return
        future: asyncio.Future[None] = loop.create_future()
        self._waiting.append((chat, future))
        self._changed.set()
        if self._pacer is None or self._pacer.done():
            self._pacer = asyncio.create_task(self._pace())
        try:
            await future
        except asyncio.CancelledError:
            self._waiting = [(c, f) for c, f in self._waiting if f is not future]
            raise

    def changed(self) -> None:
        """A chat's hold was lifted or moved: look again."""
        self._changed.set()

    async def _pace(self) -> None:
        throttle = self.throttle
        assert throttle is not None
        loop = asyncio.get_running_loop()
        while self._waiting:
            self._changed.clear()
            now = loop.time()
            soonest = inf
            self._waiting = [(c, f) for c, f in self._waiting if not f.done()]
            for index, (chat, future) in enumerate(self._waiting):
                wait = throttle.wait(chat, now, answer=True)
                if wait <= 0:
                    del self._waiting[index]
                    throttle.take(chat, now)
                    future.set_result(None)
                    soonest = 0.0
                    break
                soonest = min(soonest, wait)
            if soonest <= 0:
                await asyncio.sleep(0)
                continue
            try:
                async with asyncio.timeout(soonest):
                    await self._changed.wait()
            except TimeoutError:
                pass
