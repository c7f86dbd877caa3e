"""A backend that records what was sent, for transcript tests (like errbot's TestBackend)."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.backends.base import Connectivity, Host
from bot.core.messages import Incoming, Kind, Reply, from_text
from bot.core.unrecorded import Unrecorded

if TYPE_CHECKING:  # the test double drives a whole app; backends never import it at run time
    from bot.app import App


class MemoryBackend:
    name = "memory"
    command_prefix = "/"

    def __init__(self, app: App) -> None:
        self.app = app
        self.delivered: dict[str, list[Reply]] = defaultdict(list)
        self.unrecorded: list[Incoming] = []  # events the app could not record
        self._ids = itertools.count(1)
        self._session = uuid.uuid4().hex[:8]
        self.connectivity = Connectivity(self.name)
        self.connectivity.up()  # in process: nothing between it and the person
        app.add_backend(self)

    async def run(self, host: Host, stop: asyncio.Event) -> None:
        await stop.wait()

    async def deliver(
        self,
        identity: str,
        address: str,
        reply: Reply,
        *,
        key: str = "",
        context: Mapping[str, str] | None = None,
    ) -> None:
        self.delivered[identity].append(reply)

    async def close(self) -> None:
        return None

    def identity(self, user: str) -> str:
        return f"{self.name}:{user}"

    async def send(self, incoming: Incoming) -> list[Reply]:
        try:
            replies = await self.app.handle(incoming)
        except Unrecorded as unrecorded:  # not acknowledged: a platform would redeliver it
            self.unrecorded.append(incoming)
            replies = unrecorded.replies
        if self.app.sender.woken:
            await self.app.sender.drain()
        return replies

    async def say(
        self, user: str, text: str, *, language: str = "", event_id: str = ""
    ) -> list[Reply]:
        incoming = from_text(
            self.identity(user),
            event_id or f"memory:{self._session}:{next(self._ids)}",
            text,
            display_name=user,
            language_hint=language,
            address=user,
        )
        return await self.send(incoming)

    async def press(self, user: str, data: str) -> list[Reply]:
        incoming = Incoming(
            self.identity(user),
            f"memory:{self._session}:{next(self._ids)}",
            Kind.CHOICE,
            data=data,
            display_name=user,
            address=user,
        )
        return await self.send(incoming)

    def inbox(self, user: str) -> list[Reply]:
        """Notifications delivered to ``user`` through the outbox, oldest first."""
        return self.delivered[self.identity(user)]
