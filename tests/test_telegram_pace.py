"""The outbox through the real Telegram backend against a Bot API server that
enforces Telegram's limits: paced to the granted rate it earns no 429; meeting
a stricter server, it waits as told and still delivers each message once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.backends.telegram.backend import TelegramBackend
from bot.core.clock import SystemClock
from bot.core.config import Config, Limits, TelegramConfig
from bot.core.limits import RateLimit, telegram
from bot.core.messages import Reply
from storage import outbox, persons
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.telegram_support import Running, serving, start

FIRST_CHAT = 7_000


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with serving() as server:
        yield server


async def _running(db_path: Path, fake: FakeTelegram, granted: float) -> Running:
    app = await App.create(
        Config(db_path=str(db_path), limits=Limits(telegram_messages_per_second=granted)),
        clock=SystemClock(),
        load_refdata=False,
    )
    return await start(app, fake)


async def _queue(app: App, chats: list[int]) -> None:
    """One notification per entry, numbered, to the person of that Telegram chat."""
    db, now = app.services.db, app.services.clock.now()
    async with db.transaction():
        for number, chat in enumerate(chats):
            person = await persons.ensure(db, f"telegram:{chat}", now=now)
            await outbox.enqueue(db, person.id, "test", Reply(f"Message {number}"), now)


def _received(fake: FakeTelegram) -> Counter[int]:
    return Counter(int(m["chat"]["id"]) for m in fake.sent())


async def _statuses(app: App) -> Counter[str]:
    rows = await app.services.db.fetchall("SELECT status FROM outbox")
    return Counter(str(r["status"]) for r in rows)


async def test_paced_to_the_granted_rate_the_outbox_meets_no_429(
    db_path: Path, fake: FakeTelegram
) -> None:
    fake.rate = telegram(60)
    tg = await _running(db_path, fake, granted=60)
    try:
        chats = [FIRST_CHAT + i for i in range(90)] + [FIRST_CHAT] * 2  # three to one chat
        await _queue(tg.app, chats)
        assert await tg.app.sender.drain() == len(chats)
        assert fake.too_many == 0
        received = _received(fake)
        assert received[FIRST_CHAT] == 3 and len(received) == 90
        assert sum(received.values()) == len(chats)
        in_first_chat = [m["text"] for m in fake.sent(FIRST_CHAT)]
        assert in_first_chat == ["Message 0", "Message 90", "Message 91"]  # in order
    finally:
        await tg.halt()
        await tg.app.close()


async def test_a_stricter_server_holds_the_lane_and_loses_nothing(
    db_path: Path, fake: FakeTelegram
) -> None:
    fake.rate = RateLimit(per_second=20, chat_interval=1.0)
    tg = await _running(db_path, fake, granted=80)  # the bot believes it may go 4x faster
    try:
        chats = [FIRST_CHAT + i for i in range(50)]
        await _queue(tg.app, chats)
        async with asyncio.timeout(30):
            while (await _statuses(tg.app))["sent"] < len(chats):
                await tg.app.sender.drain()  # returns while the lane is held
                await asyncio.sleep(0.2)
        assert fake.too_many > 0  # Telegram did refuse some, and they were sent later
        assert _received(fake) == Counter(chats)  # each once: none lost, none doubled
        assert await _statuses(tg.app) == Counter(sent=len(chats))
    finally:
        await tg.halt()
        await tg.app.close()


async def test_rows_waiting_for_the_connection_do_not_leave_in_one_burst(
    db_path: Path, fake: FakeTelegram
) -> None:
    """The sender may start before Telegram is connected (it does at every start):
    the sends it began meanwhile must not all leave the moment the connection comes."""
    fake.rate = telegram(30)
    app = await App.create(Config(db_path=str(db_path)), clock=SystemClock(), load_refdata=False)
    chats = [FIRST_CHAT + i for i in range(45)]
    await _queue(app, chats)
    backend = TelegramBackend(TelegramConfig(token=TOKEN, base_url=fake.base_url), poll_timeout=1)
    app.add_backend(backend)
    stop = asyncio.Event()
    sending = asyncio.create_task(app.sender.run(stop))
    await asyncio.sleep(0.5)  # the sender has begun a dozen sends by now
    polling = asyncio.create_task(backend.run(app, stop))
    try:
        async with asyncio.timeout(30):
            while True:  # the sender runs on its own: watch the database
                if (await _statuses(app))["sent"] == len(chats):
                    break
                await asyncio.sleep(0.2)
        assert fake.too_many == 0
        assert _received(fake) == Counter(chats)
    finally:
        stop.set()
        await asyncio.gather(sending, polling)
        await app.close()
