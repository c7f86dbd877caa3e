"""What the Telegram end-to-end tests share: the users, a backend polling the
fake Bot API server on behalf of a real App, and the checks every run ends with."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.app import App
from bot.backends.telegram.backend import TelegramBackend
from bot.backends.telegram.render import CALLBACK_DATA_LIMIT
from bot.core.config import TelegramConfig
from tests.fake_telegram import TOKEN, FakeTelegram, TgUser

MARIE = TgUser(1001, "Marie", "Dupont", "fr")
JOHN = TgUser(1002, "John", "Smith", "en")


@dataclass
class Running:
    """A TelegramBackend polling the fake server on behalf of an App."""

    app: App
    backend: TelegramBackend
    fake: FakeTelegram
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def say(self, user: TgUser, text: str, **where: Any) -> dict[str, Any]:
        """Send ``text`` and return the bot's last message in that chat."""
        chat = where.get("chat") or user.private_chat()
        await self.fake.handled(self.fake.say(user, text, **where))
        await self.app.sender.answered()
        return self.fake.last(chat["id"])

    async def press(self, user: TgUser, message: dict[str, Any], data: str) -> dict[str, Any]:
        await self.fake.handled(self.fake.press(user, message, data))
        await self.app.sender.answered()
        return self.fake.last(message["chat"]["id"])

    async def halt(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 10)
        await self.app.sender.finish(5.0)
        await self.backend.close()


def launch(
    app: App, base_url: str, token: str = TOKEN
) -> tuple[TelegramBackend, asyncio.Event, asyncio.Task[None]]:
    """Guichet's Telegram backend polling ``base_url`` for ``app``; set the event to stop."""
    backend = TelegramBackend(
        TelegramConfig(token=token, base_url=base_url),
        app.router.commands,
        poll_timeout=10,
    )
    app.add_backend(backend)
    stop = asyncio.Event()
    return backend, stop, asyncio.create_task(backend.run(app, stop))


async def start(app: App, fake: FakeTelegram, token: str = TOKEN) -> Running:
    seen = len(fake.polls)
    backend, stop, task = launch(app, fake.base_url, token)
    await fake.wait_for(lambda: len(fake.polls) > seen)
    return Running(app, backend, fake, stop, task)


def callback_data_sent(fake: FakeTelegram) -> list[str]:
    """The callback data of every inline button the bot asked Telegram to show."""
    return [
        button["callback_data"]
        for call in fake.calls
        for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
    ]


def assert_keyboards_fit(fake: FakeTelegram) -> None:
    """No keyboard ever carried callback data Telegram refuses."""
    for data in callback_data_sent(fake):
        assert len(data.encode()) <= CALLBACK_DATA_LIMIT, data


@asynccontextmanager
async def serving() -> AsyncIterator[FakeTelegram]:
    """The fake server for one test; whatever the test did, its keyboards must fit."""
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.close()
    assert_keyboards_fit(server)
