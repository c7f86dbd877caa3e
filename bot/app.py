"""Wiring: one database, one router with every handler, one outbox sender; and the
host the backends talk to (``bot.backends.base.Host``)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from bot.backends.base import Backend, Where
from bot.core.clock import Clock, SystemClock
from bot.core.config import Config
from bot.core.context import Services
from bot.core.dispatcher import Dispatcher
from bot.core.i18n import Translations, Translator, guess_locale
from bot.core.limits import OUTBOX_LEASE
from bot.core.messages import Incoming, Reply
from bot.delivery import notices
from bot.delivery.outbox import Sender
from bot.delivery.workspaces import WorkspaceKeeper
from handlers import BULK_KINDS, FLOWS
from storage import events, outbox, persons, refdata, workspaces
from storage.db import Database
from storage.outbox import Answer, Claimed


@dataclass
class _Answering:
    """The event this task is handling, for the router's ``on_answers`` hook."""

    identity: str
    where: Where
    rows: list[Claimed] = field(default_factory=list)


_ANSWERING: ContextVar[_Answering | None] = ContextVar("guichet_answering", default=None)


class _Turns:
    """One person's events in the order they came, different persons' at once.

    A lock per identity, taken before anything else is awaited: asyncio's locks
    are fair, so events handed over in order are handled in that order.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    async def __call__(
        self, identity: str, work: Callable[[], Awaitable[list[Reply]]]
    ) -> list[Reply]:
        lock = self._locks.setdefault(identity, asyncio.Lock())
        self._users[identity] = self._users.get(identity, 0) + 1
        try:
            async with lock:
                return await work()
        finally:
            self._users[identity] -= 1
            if not self._users[identity]:
                del self._users[identity], self._locks[identity]


@dataclass
class App:
    services: Services
    router: Dispatcher
    sender: Sender
    backends: dict[str, Backend] = field(default_factory=dict)
    keeper: WorkspaceKeeper | None = None
    _turns: _Turns = field(default_factory=_Turns)

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
        app = cls(services, router, sender, backends, keeper)
        services.on_answers = app._record_answers
        return app

    def add_backend(self, backend: Backend) -> None:
        self.backends[backend.name] = backend
        self.services.command_prefixes[backend.name] = backend.command_prefix
        backend.connectivity.on_up(self.sender.wake)

    # -- the host ------------------------------------------------------------------
    async def handle(self, incoming: Incoming, where: Where | None = None) -> list[Reply]:
        """Handle one event, in its person's turn; see ``Host.handle``."""
        return await self._turns(incoming.identity, lambda: self._handle(incoming, where))

    async def _handle(self, incoming: Incoming, where: Where | None) -> list[Reply]:
        if where is None:
            return await self.router.dispatch(incoming)
        answering = _Answering(incoming.identity, where)
        token = _ANSWERING.set(answering)
        try:
            return await self.router.dispatch(incoming)
        finally:
            _ANSWERING.reset(token)
            if answering.rows:
                self.sender.answer(answering.rows)

    async def _record_answers(self, person_id: int, replies: list[Reply]) -> None:
        """The router's hook, in the event's transaction: its answers into the outbox,
        claimed for the fast path that sends them once the transaction commits."""
        answering = _ANSWERING.get()
        if answering is None or not replies:
            return
        where = answering.where
        answers: list[Answer] = []
        editable = where.editable
        for reply in replies:
            context = dict(where.context)
            if reply.edit and editable:
                context["edit"] = editable  # only the first such answer replaces it
                editable = ""
            answers.append(Answer(reply, context or None))
        now = self.services.clock.now()
        answering.rows.extend(
            await outbox.enqueue_answers(
                self.services.db,
                person_id,
                answering.identity,
                where.address,
                answers,
                now,
                now + OUTBOX_LEASE,
            )
        )

    async def tell(
        self,
        identity: str,
        where: Where,
        reply: Reply,
        *,
        display_name: str = "",
        language_hint: str = "",
        address: str = "",
    ) -> None:
        db, now = self.services.db, self.services.clock.now()
        async with db.transaction():
            person, _ = await persons.resolve(
                db,
                identity,
                now=now,
                display_name=display_name,
                locale_hint=language_hint,
                address=address,
            )
            rows = await outbox.enqueue_answers(
                db,
                person.id,
                identity,
                where.address,
                [Answer(reply, dict(where.context) or None)],
                now,
                now + OUTBOX_LEASE,
            )
        self.sender.answer(rows)

    async def member_joined(self, backend: str, room: str, account: str) -> None:
        db = self.services.db
        async with db.transaction():
            found = await workspaces.joined(db, backend, room, account, self.services.clock.now())
        if found is not None:
            self.services.on_workspace()  # so the staff are told without waiting

    async def seen(self, event_id: str) -> bool:
        return await events.seen(self.services.db, event_id)

    async def get_state(self, key: str) -> str | None:
        return await events.get_state(self.services.db, key)

    async def set_state(self, key: str, value: str) -> None:
        async with self.services.db.transaction():
            await events.set_state(self.services.db, key, value)

    def now(self) -> datetime:
        return self.services.clock.now()

    def set_direct_link(self, backend: str, link: str) -> None:
        self.services.direct_links[backend] = link

    def translator(self, locale: str | None) -> Translator:
        return self.services.translations.get(locale)

    async def locale_of(self, identity: str, hint: str = "") -> str | None:
        person = await persons.by_identity(self.services.db, identity)
        if person is not None and person.locale:
            return person.locale
        hint = (person.locale_hint if person else None) or hint
        return guess_locale(hint) if hint else None

    async def close(self) -> None:
        await self.services.similarity.close()
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
