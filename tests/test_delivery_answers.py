"""Answers through the outbox, against the local Bot API server: sent at once,
one person's trouble never slowing another, ahead of a broadcast, and sent
again the moment Telegram is back after an outage."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.core.clock import SystemClock
from bot.core.config import Config
from bot.core.limits import telegram
from bot.core.messages import Reply
from bot.demo import seed as demo
from storage import outbox, persons
from tests.fake_telegram import FakeTelegram, TgUser
from tests.telegram_support import JOHN, MARIE, Running, serving, start

BROADCAST = "Message de l'équipe à toutes les collectivités"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with serving() as server:
        yield server


@pytest.fixture
async def live(fake: FakeTelegram, db_path: Path) -> AsyncIterator[Running]:
    """The bot on the system clock, its outbox sender running as in production."""
    app = await App.create(Config(db_path=str(db_path)), clock=SystemClock(), load_refdata=False)
    await demo.seed(app.services.db, app.services.clock.now(), "needs")
    running = await start(app, fake)
    stop = asyncio.Event()
    sender = asyncio.create_task(app.sender.run(stop))
    yield running
    stop.set()
    await running.halt()
    await asyncio.wait_for(sender, 10)
    await app.close()


def _answered_at(fake: FakeTelegram, chat: int) -> float:
    return next(
        c.at
        for c in fake.calls_to("sendMessage")
        if c.status == 200 and c.params["chat_id"] == chat
    )


async def _latency(running: Running, user: TgUser, text: str) -> float:
    fake = running.fake
    asked = time.monotonic()
    fake.say(user, text)
    await fake.wait_for(
        lambda: any(
            c.status == 200 and c.params["chat_id"] == user.id and c.at >= asked
            for c in fake.calls_to("sendMessage")
        )
    )
    return _answered_at(fake, user.id) - asked


async def test_a_429_in_one_chat_does_not_delay_another_chat(live: Running) -> None:
    baseline = await _latency(live, TgUser(1003, "Anne"), "/aide")
    live.fake.flood[MARIE.id] = [5]  # Telegram asks to wait 5 s in Marie's chat only
    live.fake.say(MARIE, "/aide")
    await live.fake.wait_for(
        lambda: any(c.status == 429 for c in live.fake.calls_to("sendMessage"))
    )
    await asyncio.sleep(0.3)
    johns = await _latency(live, JOHN, "/help")
    assert johns - baseline < 0.1, (johns, baseline)
    assert not live.fake.sent(MARIE.id)  # Marie still waits as told
    await live.fake.wait_for(lambda: live.fake.sent(MARIE.id), within=10)
    calls = [c for c in live.fake.calls_to("sendMessage") if c.params["chat_id"] == MARIE.id]
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 4.99


async def _people(app: App, count: int, first: int) -> None:
    """``count`` persons reached on Telegram, chats ``first``…, for a broadcast."""
    db, stamp = app.services.db, "2026-12-01T09:00:00+00:00"
    async with db.transaction():
        await db.executemany(
            "INSERT INTO persons(id, display_name, created_at) VALUES (?, ?, ?)",
            [(first + i, f"p{i}", stamp) for i in range(count)],
        )
        await db.executemany(
            "INSERT INTO identities(identity, backend, person_id, address, last_seen,"
            " created_at) VALUES (?, 'telegram', ?, ?, ?, ?)",
            [
                (f"telegram:{first + i}", first + i, str(first + i), stamp, stamp)
                for i in range(count)
            ],
        )
        payload = json.dumps(Reply(BROADCAST).to_json())
        ids = json.dumps([first + i for i in range(count)])
        await outbox.enqueue_batches(
            db,
            [outbox.Batch("telegram", payload, ids)],
            kind="broadcast",
            now=app.services.clock.now(),
        )
    app.sender.wake()


async def test_200_people_answered_ahead_of_a_5000_recipient_broadcast(live: Running) -> None:
    fake = live.fake
    fake.rate = telegram(30)
    await _people(live.app, 5000, 900_000)

    def bulk() -> list[float]:
        return [
            c.at
            for c in fake.calls_to("sendMessage")
            if c.status == 200 and c.params.get("text") == BROADCAST
        ]

    await fake.wait_for(lambda: len(bulk()) >= 30, within=10)  # a second of broadcast
    people = [TgUser(2_000_000 + i, f"Maire{i}") for i in range(200)]
    asked = time.monotonic()
    for person in people:
        fake.say(person, "/aide")
    chats = {p.id for p in people}

    def answers() -> list[float]:
        return [
            c.at
            for c in fake.calls_to("sendMessage")
            if c.status == 200 and c.params["chat_id"] in chats
        ]

    await fake.wait_for(lambda: len(answers()) == 200, within=30)
    first, last = min(answers()), max(answers())
    during = [t for t in bulk() if first < t < last]
    assert len(during) <= 2, f"{len(during)} broadcast sends went between the answers"
    assert fake.too_many == 0
    # 200 answers at 30 messages/s take about 7 s (a generous bound: a busy machine).
    assert last - asked < 12.0
    await fake.wait_for(lambda: len(bulk()) > 60 + len(during), within=10)  # and it goes on


async def test_first_answer_within_2s_after_an_outage(live: Running) -> None:
    fake = live.fake
    await live.say(MARIE, "/aide")
    await fake.set_down(True)  # every call answers 502, getUpdates included
    await asyncio.sleep(8)  # long enough for the retries to reach their longest wait
    assert not live.backend.connectivity.connected
    fake.say(JOHN, "/help")  # queued on Telegram's side meanwhile
    back = time.monotonic()
    await fake.set_down(False)
    await fake.wait_for(lambda: live.fake.sent(JOHN.id), within=5)
    assert _answered_at(fake, JOHN.id) - back < 2.0
    assert live.backend.connectivity.connected


async def test_a_notice_never_overtakes_an_answer_held_by_a_429(live: Running) -> None:
    """The answer written first arrives first, even when Telegram makes it wait
    and a notice to the same person is queued meanwhile."""
    fake = live.fake
    await live.say(MARIE, "/aide")
    fake.flood[MARIE.id] = [2]
    fake.say(MARIE, "/calendrier")
    await fake.wait_for(lambda: any(c.status == 429 for c in fake.calls_to("sendMessage")))
    db, now = live.app.services.db, live.app.services.clock.now()
    async with db.transaction():
        person = await persons.by_identity(db, f"telegram:{MARIE.id}")
        assert person is not None
        await outbox.enqueue(db, person.id, "report", Reply("Votre diffusion est terminée."), now)
    live.app.sender.wake()
    await fake.wait_for(lambda: len(fake.sent(MARIE.id)) == 3, within=10)
    texts = [m["text"] for m in fake.sent(MARIE.id)]
    assert texts[1].startswith("Calendrier") and texts[2] == "Votre diffusion est terminée."
