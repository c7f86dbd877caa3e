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

from collections import deque
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
        self._group_sends: dict[str, deque[float]] = {}

    def _settle(self, now: float) -> None:
        """After a stall, the next send goes a spacing after now rather than at once:
        the one taken last (within the window) may only be leaving now."""
        late = now - self._next_any
        if late > STALL and now - self._last_take < 1.0:
            self._next_any = now + self._spacing

    def wait_any(self, now: float) -> float:
        """Seconds before the overall rate lets anything go: no chat goes sooner."""
        self._settle(now)
        return max(0.0, self._next_any - now)

    def wait(self, chat: str, now: float) -> float:
        """Seconds to wait before a message to ``chat`` respects every limit."""
        self._settle(now)
        ready = max(self._next_any, self._next_chat.get(chat, now))
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
            self._next_chat[chat] = now + self.rate.chat_interval
            if len(self._next_chat) > _PRUNE_ABOVE:
                self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}
        if self.rate.group_per_minute is not None and self.rate.is_group(chat):
            self._group_sends.setdefault(chat, deque()).append(now)
