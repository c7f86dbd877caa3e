"""``guichet run``: the configured backends, one database, one outbox, one process."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import App
from bot.backends.base import Backend
from bot.config import Config

log = logging.getLogger(__name__)


async def run(config: Config) -> int:
    app = await App.create(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    backends: list[Backend] = []
    if config.telegram is not None:
        from bot.backends.telegram import TelegramBackend

        backends.append(TelegramBackend(config.telegram, app.services, app.router.commands))
    if config.matrix is not None:
        from bot.backends.matrix import MatrixBackend

        backends.append(MatrixBackend(config.matrix, app.services))
    for backend in backends:
        app.add_backend(backend)
    tasks = [asyncio.create_task(b.run(app.handle, stop), name=b.name) for b in backends]
    tasks.append(asyncio.create_task(app.sender.run(stop), name="outbox"))
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                stop.set()
                raise task.exception()  # type: ignore[misc]
        return 0
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await app.close()
