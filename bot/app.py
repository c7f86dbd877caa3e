"""Wiring: one database, one router with every handler, one outbox sender."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

from bot.backends.base import Backend
from bot.core.clock import Clock, SystemClock
from bot.core.config import Config
from bot.core.context import Services
from bot.core.dispatcher import Dispatcher
from bot.core.i18n import Translations
from bot.core.messages import Incoming, Reply
from bot.delivery import notices
from bot.delivery.outbox import Sender
from bot.delivery.workspaces import WorkspaceKeeper
from handlers import BULK_KINDS, FLOWS
from storage import events, refdata
from storage.db import Database


@dataclass
class App:
    services: Services
    router: Dispatcher
    sender: Sender
    backends: dict[str, Backend] = field(default_factory=dict)
    keeper: WorkspaceKeeper | None = None

    @classmethod
    async def create(
        cls,
        config: Config,
        *,
        clock: Clock | None = None,
        translations: Translations | None = None,
        load_refdata: bool = True,
    ) -> App:
        db = await Database.open(config.db_path)
        if load_refdata:
            await refdata.ensure_loaded(db)
        clock = clock or SystemClock()
        await db.optimize()
        async with db.transaction():
            # Redeliveries come within minutes; a month of ids is plenty to refuse them.
            await events.forget_older_than(db, clock.now(), config.limits.processed_events_days)
        services = Services(
            db=db,
            clock=clock,
            config=config,
            translations=translations or Translations(),
        )
        router = Dispatcher(services)
        router.include(*FLOWS)
        services.bulk_kinds.update(notices.BULK_KINDS)
        services.bulk_kinds.update(BULK_KINDS)
        backends: dict[str, Backend] = {}
        sender = Sender(services, backends)
        services.on_outbox = sender.wake
        keeper = WorkspaceKeeper(services, router.commands, backends)
        services.on_workspace = keeper.wake
        return cls(services, router, sender, backends, keeper)

    def add_backend(self, backend: Backend) -> None:
        self.backends[backend.name] = backend
        self.services.command_prefixes[backend.name] = backend.command_prefix

    async def handle(self, incoming: Incoming) -> list[Reply]:
        return await self.router.dispatch(incoming)

    async def close(self) -> None:
        await self.services.db.close()


def settle_heap() -> None:
    """Take what start-up built out of the garbage collector's sight.

    The imported libraries and everything built at start-up live as long as the
    process, yet each full collection walks them all: about 50 ms with the event
    loop stopped, which bunches the outbox's paced sends enough for Telegram to
    answer 429. Frozen (``gc.freeze``), they are no longer walked; collections
    then cost what the objects made since start-up cost.
    """
    gc.collect()
    gc.freeze()
