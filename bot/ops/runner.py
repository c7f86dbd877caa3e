"""``guichet run``: the configured backends, one database, one outbox, one process.

At start, what a previous run had claimed in the outbox is given back before
anything runs (this is the database's only sender). At stop (SIGTERM), the
backends stop receiving first, the sends on the wire may end within
``STOP_GRACE`` seconds, and only then are the platforms' connections closed:
what was not sent stays in the outbox, with no wait added, for the next start.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import App, settle_heap
from bot.backends.base import Backend
from bot.core.config import Config
from bot.delivery.scheduler import CalendarScheduler
from bot.ops import logs
from bot.ops.health import start as start_health
from bot.ops.maintenance import ensure_consultation

log = logging.getLogger(__name__)

STOP_GRACE = 5.0


async def run(config: Config) -> int:
    logs.configure(fmt=config.log_format)
    app = await App.create(config)
    if config.consultation is not None:
        async with app.services.db.transaction():
            await ensure_consultation(
                app.services.db, config.consultation, app.services.clock.now()
            )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    backends: list[Backend] = []
    if config.telegram is not None:
        from bot.backends.telegram.backend import TelegramBackend

        backends.append(TelegramBackend(config.telegram, app.router.commands))
    if config.matrix is not None:
        from bot.backends.matrix.backend import MatrixBackend

        backends.append(MatrixBackend(config.matrix))
    for backend in backends:
        app.add_backend(backend)
    # After the backends are added, so announcements know each platform's command prefix.
    scheduler = CalendarScheduler(app.services, app.router.commands)
    await scheduler.start()
    health = await start_health(app.services, backends, config) if config.metrics_port else None
    await app.sender.recover_after_restart()
    settle_heap()
    receiving = [asyncio.create_task(b.run(app, stop), name=b.name) for b in backends]
    sending = asyncio.create_task(app.sender.run(stop), name="outbox")
    keeping = [asyncio.create_task(app.keeper.run(stop), name="workspaces")] if app.keeper else []
    stopping = asyncio.create_task(stop.wait())
    try:
        # Until a signal, or a task ends (an error: each runs until ``stop``). A
        # broadcast in progress keeps the sender busy: it stops when told to.
        done, _ = await asyncio.wait(
            [*receiving, sending, *keeping, stopping], return_when=asyncio.FIRST_COMPLETED
        )
        for task in done:
            if task is not stopping and task.exception() is not None:
                stop.set()
                raise task.exception()  # type: ignore[misc]
        return 0
    finally:
        stopping.cancel()
        stop.set()
        scheduler.shutdown()
        await asyncio.gather(*receiving, *keeping, return_exceptions=True)
        await app.sender.finish(STOP_GRACE)
        await asyncio.gather(sending, return_exceptions=True)
        for backend in backends:
            await backend.close()
        if health is not None:
            await health.cleanup()
        await app.close()
