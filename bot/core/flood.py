"""Flood control per person: one account must not fill the queue or the outbox.

A token bucket rather than a count per minute: a mayor browsing proposals taps
"next" a dozen times in twenty seconds, then reads for a minute; a fixed count
per minute cut them off mid-reading (30 taps in a minute is browsing, not an
attack).  The bucket holds a burst allowance and refills at the sustained rate,
so a reader's bursts pass while a script sending faster than the rate for long
empties it.  Once empty, the person gets one warning and a minute of silence;
what they send during that minute still draws on the bucket, so a flood that
goes on is still held when the minute ends, while a person who stopped at the
warning is answered again.

Kept in memory on purpose: it guards the process, not the consultation's
facts, and a restart forgetting a minute of counts harms nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Verdict = Literal["ok", "warn", "drop"]
WINDOW = timedelta(minutes=1)
# How many minutes' worth of messages a person may send at once: two minutes of
# the sustained rate cover the quickest reading seen in the hand-played demo
# (about 45 taps in a minute and a half) with room to spare.
BURST_MINUTES = 2


@dataclass
class _Bucket:
    tokens: float
    stamp: datetime
    held_until: datetime | None = None


class FloodGuard:
    """``per_minute`` is the sustained rate; ``burst`` (default: two minutes of it)
    how many messages may come at once after a quiet spell."""

    def __init__(self, per_minute: int, burst: int | None = None) -> None:
        self.per_minute = per_minute
        self._burst = burst
        self._buckets: dict[str, _Bucket] = {}

    @property
    def burst(self) -> float:
        return float(self._burst if self._burst is not None else self.per_minute * BURST_MINUTES)

    def check(self, identity: str, now: datetime) -> Verdict:
        """``warn`` when a person empties their allowance (they get one answer
        saying so), ``drop`` for the minute after it, ``ok`` otherwise."""
        bucket = self._buckets.get(identity)
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._forget(now)
            bucket = self._buckets[identity] = _Bucket(self.burst, now)
        elapsed = max((now - bucket.stamp).total_seconds(), 0.0)
        bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.per_minute / 60)
        bucket.stamp = now
        # Every message draws, even a dropped one, so a flood that goes on through
        # the silence meets it again at once; the debt stops where a quiet minute
        # repays it, so someone who stopped is answered when the minute is over.
        bucket.tokens = max(bucket.tokens - 1, 1.0 - self.per_minute)
        if bucket.held_until is not None and now < bucket.held_until:
            return "drop"
        if bucket.tokens >= 0:
            bucket.held_until = None
            return "ok"
        bucket.held_until = now + WINDOW
        return "warn"

    def _forget(self, now: datetime) -> None:
        """Drop the buckets of people whose allowance is full again: they are
        indistinguishable from someone never seen."""
        for identity, bucket in list(self._buckets.items()):
            idle = (now - bucket.stamp).total_seconds()
            if bucket.tokens + idle * self.per_minute / 60 >= self.burst and (
                bucket.held_until is None or now >= bucket.held_until
            ):
                del self._buckets[identity]
