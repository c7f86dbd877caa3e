"""Flood control: a person reading proposals never meets it, a flood is held.

The transcripts run through the whole app on the memory backend with the
frozen clock advanced between messages at the pace a person taps and reads.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.backends.memory import MemoryBackend
from bot.core.clock import PARIS, FrozenClock
from bot.core.flood import FloodGuard
from tests.conftest import make_app, text

WARNING = "plus vite que je ne peux suivre"
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)


@pytest.fixture
async def voting(db_path: Path, clock: FrozenClock) -> AsyncIterator[MemoryBackend]:
    app = await make_app(db_path, clock, phase="vote")
    yield MemoryBackend(app)
    await app.close()


def test_a_burst_passes_then_one_warning_then_silence() -> None:
    guard = FloodGuard(per_minute=30)
    verdicts = [guard.check("a", T0) for _ in range(62)]
    assert verdicts[:60] == ["ok"] * 60  # two minutes' worth at once
    assert verdicts[60:] == ["warn", "drop"]
    assert guard.check("b", T0) == "ok"  # others are not affected


def test_the_sustained_rate_passes_forever() -> None:
    guard = FloodGuard(per_minute=30)
    now = T0
    for _ in range(1000):  # one message every two seconds for over half an hour
        assert guard.check("a", now) == "ok"
        now += timedelta(seconds=2)


def test_a_flood_that_goes_on_is_still_held_after_the_minute() -> None:
    guard = FloodGuard(per_minute=30)
    now = T0
    verdicts = []
    for _ in range(600):  # five messages a second for two minutes
        verdicts.append(guard.check("a", now))
        now += timedelta(seconds=0.2)
    assert verdicts.count("ok") <= 60 + 8  # the burst, and what refilled while it drained
    assert verdicts.count("warn") <= 2  # at most one warning a minute
    assert verdicts[-100:] == ["drop"] * 100
    # Once it stops, the person is served again after the minute of silence.
    assert guard.check("a", now + timedelta(minutes=1, seconds=1)) == "ok"


def test_a_person_who_stops_at_the_warning_is_served_after_a_minute() -> None:
    guard = FloodGuard(per_minute=30)
    for _ in range(61):
        guard.check("a", T0)
    assert guard.check("a", T0 + timedelta(seconds=59)) == "drop"
    assert guard.check("a", T0 + timedelta(seconds=61)) == "ok"


def test_forgetting_idle_people_keeps_the_held_ones() -> None:
    guard = FloodGuard(per_minute=30)
    for _ in range(61):
        guard.check("flood", T0)
    for n in range(10_001):
        guard.check(f"p{n}", T0)
    later = T0 + timedelta(seconds=30)
    guard.check("newcomer", later)  # over 10,000 known: the idle are forgotten
    assert guard.check("flood", later) == "drop"
    assert len(guard._buckets) < 10  # the memory really is released


async def test_reading_proposals_at_human_speed_never_meets_the_limit(
    voting: MemoryBackend,
) -> None:
    """Four minutes of quick browsing: pages, details, back, themes, searches."""
    clock = voting.app.services.clock
    assert isinstance(clock, FrozenClock)
    pace = random.Random(19)
    said = 0
    for round_ in range(12):
        steps = ["/propositions", "6", "6", "1", "/proposition 3", "/propositions", "7", "2"]
        steps += [f"/proposition {n}" for n in range(1, 8)] + ["/chercher données", "/aide"]
        for step in steps:
            replies = await voting.say("reader", step)
            said += 1
            assert replies, step
            assert WARNING not in text(replies), (round_, step, said)
            # The quickest taps of the hand-played demo: one to three seconds apart.
            clock.advance(timedelta(seconds=pace.uniform(1.0, 3.0)))
    assert said == 12 * 17


async def test_a_flood_through_the_app_gets_one_warning_then_nothing(
    voting: MemoryBackend,
) -> None:
    clock = voting.app.services.clock
    assert isinstance(clock, FrozenClock)
    answered = warned = 0
    for _ in range(300):  # ten messages a second for half a minute
        replies = await voting.say("flood", "/aide")
        if WARNING in text(replies):
            warned += 1
        elif replies:
            answered += 1
        clock.advance(timedelta(seconds=0.1))
    burst = voting.app.router.flood.burst
    assert warned == 1 and answered <= burst + 3
    assert await voting.say("calm", "/aide")
