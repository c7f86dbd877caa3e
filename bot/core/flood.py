"""Flood control per person: one account must not fill the queue or the outbox.

Kept in memory on purpose: it guards the process, not the consultation's
facts, and a restart forgetting a minute of counts harms nobody.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import Literal

Verdict = Literal["ok", "warn", "drop"]
WINDOW = timedelta(minutes=1)


class FloodGuard:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[datetime]] = {}
        self._warned: dict[str, datetime] = {}

    def check(self, identity: str, now: datetime) -> Verdict:
        """``warn`` the first time a person goes over the limit in a window (they get
        one answer saying so), ``drop`` after that until the window has passed."""
        times = self._seen.setdefault(identity, deque())
        while times and now - times[0] >= WINDOW:
            times.popleft()
        times.append(now)
        if len(times) <= self.per_minute:
            return "ok"
        warned = self._warned.get(identity)
        if warned is not None and now - warned < WINDOW:
            return "drop"
        self._warned[identity] = now
        if len(self._seen) > 10_000:
            self._forget(now)
        return "warn"

    def _forget(self, now: datetime) -> None:
        for identity in [i for i, t in self._seen.items() if not t or now - t[-1] >= WINDOW]:
            del self._seen[identity]
            self._warned.pop(identity, None)
