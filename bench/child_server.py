"""The local Bot API server of a benchmark, in a child process.

On a 2-core machine the server then has a core of its own, and what the bot
process measures (time, memory) is the bot's. The child prints its base URL
on its first line and serves until its standard input closes, which also
happens if the parent dies, so no server outlives a benchmark.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.app import App
from bot.backends.telegram.backend import TelegramBackend
from tests.fake_telegram import FakeTelegram
from tests.telegram_support import launch


async def serve(server: FakeTelegram) -> None:
    """The child's side: start, say where, serve until the parent lets go."""
    print(await server.start(), flush=True)
    # Telegram's servers do not stop for our collections: keep this stand-in's
    # pauses short too, or they would show as the bot's.
    gc.collect()
    gc.freeze()
    await asyncio.to_thread(sys.stdin.read)
    await server.close()


@asynccontextmanager
async def child_server(script: str, *args: str) -> AsyncIterator[str]:
    """Run ``script --serve ARGS`` and yield the base URL it printed."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        script,
        "--serve",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        base_url = (await asyncio.wait_for(child.stdout.readline(), 30)).decode().strip()
        if not base_url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the fake Bot API server did not start: {base_url!r}")
        yield base_url
    finally:
        child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), 10)
        except TimeoutError:
            child.kill()
            await child.wait()


@dataclass
class Polling:
    """Guichet's Telegram backend serving an App from the child's server."""

    app: App
    backend: TelegramBackend
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def halt(self) -> None:
        """As ``guichet run`` stops: receiving, then the sends on the wire, then the client."""
        self.stop.set()
        await asyncio.wait_for(self.task, 30)
        await self.app.sender.finish(5.0)
        await self.backend.close()


def start_polling(app: App, base_url: str) -> Polling:
    return Polling(app, *launch(app, base_url))
