"""The sender: platform pace per backend, 429s, backoff, priorities and crash safety."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.app import App
from bot.backends.base import DeliveryError, RetryAfter
from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock, from_iso, to_iso
from bot.core.config import Limits
from bot.core.limits import (
    MAX_ATTEMPTS,
    OUTBOX_IN_FLIGHT,
    OUTBOX_LEASE,
    PACING_MARGIN,
    TELEGRAM,
    RateLimit,
    for_backend,
)
from bot.core.messages import Reply
from bot.delivery.outbox import backoff
from bot.delivery.throttle import Throttle
from storage import outbox, persons
from tests.calendar_support import clock_of
from tests.conftest import make_app


def test_throttle_spaces_messages_overall_per_chat_and_per_group() -> None:
    throttle = Throttle(TELEGRAM)
    assert throttle.wait("1", 0.0) == 0
    throttle.take("1", 0.0)
    spacing = 1 / (30 * (1 - PACING_MARGIN))  # 30 per second overall, with a margin
    assert abs(throttle.wait("2", 0.0) - spacing) < 1e-9
    assert throttle.wait("1", 0.5) == 0.5  # one per second in a chat…
    throttle.done("1", 0.05)
    assert abs(throttle.wait("1", 0.5) - 0.55) < 1e-9  # …counted from Telegram's answer
    group = Throttle(
        RateLimit(per_second=1000, chat_interval=0, group_per_minute=20, group_prefix="-")
    )
    for i in range(20):
        assert group.wait("-100", i * 0.002) == 0
        group.take("-100", i * 0.002)
        group.done("-100", i * 0.002)
    assert abs(group.wait("-100", 2.0) - 58.0) < 1e-9  # 20 per minute in a group
    assert group.wait("42", 2.0) == 0  # a private chat is not a group
    assert for_backend("memory") is None and for_backend("telegram") == TELEGRAM
    granted = Limits(telegram_messages_per_second=300, matrix_messages_per_second=5)
    assert for_backend("matrix", granted) == RateLimit(per_second=5)
    assert for_backend("telegram", granted) == RateLimit(300, 1.0, 20, "-")


def test_a_stalled_loop_counts_the_last_send_as_leaving_when_it_wakes() -> None:
    throttle = Throttle(TELEGRAM)
    spacing = 1 / (30 * (1 - PACING_MARGIN))
    throttle.take("1", 0.0)
    # Woken 5 ms late: the credit lets the next go at once, on its slot.
    assert throttle.wait("2", spacing + 0.005) == 0
    throttle.take("2", spacing + 0.005)
    # Woken 50 ms late, a stall: the send taken last may only be leaving now.
    woke = 2 * spacing + 0.05
    assert abs(throttle.wait("3", woke) - spacing) < 1e-9
    assert throttle.wait("3", woke + spacing) == 0
    # Idle for more than the window: nothing taken is left in it, no wait.
    throttle.take("3", woke + spacing)
    assert throttle.wait("4", woke + spacing + 1.5) == 0


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [2, 4, 8]
    assert backoff(30) == timedelta(hours=1)


class Telegramish(MemoryBackend):
    """A platform with Telegram's limits that records when each message arrived."""

    name = "telegram"

    def __init__(self, app: App) -> None:
        super().__init__(app)
        self.arrivals: list[tuple[float, str]] = []

    async def deliver(self, identity: str, address: str, reply: Reply, **how: Any) -> None:
        chat = address or identity.split(":", 1)[1]
        self.arrivals.append((asyncio.get_running_loop().time(), chat))
        await asyncio.sleep(0.05)  # network latency: sends must overlap to reach the rate
        await super().deliver(identity, address, reply, **how)


async def _people(app: App, backend: str, count: int) -> list[int]:
    db, now = app.services.db, app.services.clock.now()
    ids = []
    async with db.transaction():
        for i in range(count):
            ids.append((await persons.ensure(db, f"{backend}:{1000 + i}", now=now)).id)
    return ids


async def _queue(
    app: App, person_ids: list[int], text: str = "Bonjour", *, bulk: bool = False
) -> None:
    db, now = app.services.db, app.services.clock.now()
    async with db.transaction():
        if bulk:
            payload = json.dumps(Reply(text).to_json())
            marks = ",".join("?" * len(person_ids))
            backends = await db.fetchall(
                f"SELECT backend, json_group_array(person_id) FROM identities"
                f" WHERE person_id IN ({marks}) GROUP BY backend",
                person_ids,
            )
            await outbox.enqueue_batches(
                db,
                [outbox.Batch(r[0], payload, r[1]) for r in backends],
                kind="bulk",
                now=now,
            )
        else:
            for pid in person_ids:
                await outbox.enqueue(db, pid, "test", Reply(text), now)


async def test_a_telegram_lane_keeps_to_30_per_second_and_1_per_second_per_chat(app: App) -> None:
    backend = Telegramish(app)
    people = await _people(app, "telegram", 45)
    await _queue(app, people, bulk=True)
    await _queue(app, people[:1], "deuxième")
    await _queue(app, people[:1], "troisième")
    started = asyncio.get_running_loop().time()
    assert await app.sender.drain() == 47
    times = [t for t, _ in backend.arrivals]
    assert all(sum(1 for u in times if t <= u < t + 1.0) <= 30 for t in times)
    assert times[-1] - started >= 44 / 30 - 0.05  # the pace, not the latency, sets the time
    first = [t for t, chat in backend.arrivals if chat == "1000"]
    assert len(first) == 3 and all(b - a >= 0.999 for a, b in itertools.pairwise(first))
    # in order within the chat, the personal notices first
    texts = [r.text for r in backend.delivered["telegram:1000"]]
    assert texts == ["deuxième", "troisième", "Bonjour"]


class Flaky(MemoryBackend):
    name = "flaky"

    def __init__(self, app: App) -> None:
        super().__init__(app)
        self.failures: list[Exception] = []
        self.tries = 0

    async def deliver(self, identity: str, address: str, reply: Reply, **how: Any) -> None:
        self.tries += 1
        if self.failures:
            raise self.failures.pop(0)
        await super().deliver(identity, address, reply, **how)


class FlakyTelegram(Flaky):
    name = "telegram"


async def test_a_429_holds_the_whole_lane_in_the_database(app: App, clock: FrozenClock) -> None:
    flaky = FlakyTelegram(app)
    people = await _people(app, "telegram", 3)
    await _queue(app, people)
    flaky.failures = [RetryAfter(30)]
    assert await app.sender.drain() == 0
    assert flaky.tries == 1
    later = to_iso(clock.now() + timedelta(seconds=30))
    statuses = await app.services.db.fetchall("SELECT status, not_before, attempts FROM outbox")
    assert {(r["status"], r["not_before"]) for r in statuses} == {("pending", later)}
    assert sorted(r["attempts"] for r in statuses) == [0, 0, 1]
    clock.advance(timedelta(seconds=30))
    assert await app.sender.drain() == 3


async def test_transient_failures_back_off_then_give_up(app: App, clock: FrozenClock) -> None:
    flaky = Flaky(app)
    await _queue(app, await _people(app, "flaky", 1))
    flaky.failures = [DeliveryError("Bad Gateway")] * MAX_ATTEMPTS
    waits = []
    for _ in range(MAX_ATTEMPTS):
        assert await app.sender.drain() == 0
        row = await app.services.db.fetchone("SELECT status, not_before FROM outbox")
        assert row is not None
        if row["status"] == "failed":
            break
        waits.append(from_iso(row["not_before"]) - clock.now())
        clock.advance(timedelta(hours=2))
    assert await outbox.counts(app.services.db) == {"failed": 1}
    assert flaky.tries == MAX_ATTEMPTS
    assert waits == [backoff(n) for n in range(1, MAX_ATTEMPTS)]


async def test_a_person_heard_from_elsewhere_gets_it_there(chat: MemoryBackend) -> None:
    app = chat.app
    flaky = Flaky(app)
    await chat.say("ana", "/aide")
    person = await persons.by_identity(app.services.db, "memory:ana")
    assert person is not None
    await _queue(app, [person.id], "queued while on memory")
    await app.services.db.execute(
        "INSERT INTO identities(identity, backend, person_id, address, last_seen, created_at)"
        " VALUES ('flaky:ana', 'flaky', ?, 'ana', '9999', '')",
        (person.id,),
    )
    assert await app.sender.drain() == 1
    assert [r.text for r in flaky.inbox("ana")] == ["queued while on memory"]
    # someone with no identity left cannot be reached: the row fails instead of waiting forever
    await _queue(app, [person.id], "nobody there")
    await app.services.db.execute("DELETE FROM identities WHERE person_id = ?", (person.id,))
    await app.sender.drain()
    assert await outbox.counts(app.services.db) == {"sent": 1, "failed": 1}


class Crashing(MemoryBackend):
    """Delivers ``before`` messages, then hangs as a process does when it is killed."""

    name = "crashing"

    def __init__(self, app: App, before: int) -> None:
        super().__init__(app)
        self.before = before
        self.reached = asyncio.Event()

    async def deliver(self, identity: str, address: str, reply: Reply, **how: Any) -> None:
        if self.before == 0:
            self.reached.set()
            await asyncio.Event().wait()
        self.before -= 1
        await super().deliver(identity, address, reply, **how)


async def test_a_crash_half_way_delivers_every_row_once(db_path: Path, clock: FrozenClock) -> None:
    app = await make_app(db_path, clock)
    crashing = Crashing(app, before=150)
    people = await _people(app, "crashing", 400)
    await _queue(app, people, bulk=True)
    drain = asyncio.create_task(app.sender.drain())
    await crashing.reached.wait()
    drain.cancel()  # the process dies: nothing gets to clean up
    await asyncio.gather(drain, return_exceptions=True)
    counts = await outbox.counts(app.services.db)
    # Messages the platform took but whose row was not marked yet are the only ones a
    # crash can send twice; sends in flight bound them.
    unmarked = 150 - counts["sent"]
    assert 0 <= unmarked <= OUTBOX_IN_FLIGHT
    assert counts["sending"] > unmarked and counts["pending"] > 0
    delivered = {i: len(r) for i, r in crashing.delivered.items()}
    await app.close()

    app = await make_app(db_path, clock, seed=False)
    restarted = Crashing(app, before=10_000)
    sent = await app.sender.drain()  # the claimed rows wait for their lease
    assert sent == counts["pending"]
    clock_of(app).advance(OUTBOX_LEASE)
    assert await app.sender.drain() == counts["sending"]
    for identity, replies in restarted.delivered.items():
        delivered[identity] = delivered.get(identity, 0) + len(replies)
    assert len(delivered) == 400
    assert sum(delivered.values()) == 400 + unmarked
    assert await outbox.counts(app.services.db) == {"sent": 400}
    await app.close()
