"""The small seam every backend implements, and how delivery can fail."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.messages import Incoming, Reply

Dispatch = Callable[[Incoming], Awaitable[list[Reply]]]


class DeliveryError(Exception):
    """A send failed for a reason that may pass: retry later."""


class Blocked(DeliveryError):
    """The person blocked the bot or left: retrying would only annoy the platform."""


class RetryAfter(DeliveryError):
    """The platform asked us to slow down for ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Backend(Protocol):
    name: str
    command_prefix: str

    async def run(self, dispatch: Dispatch, stop: asyncio.Event) -> None:
        """Receive events and hand them to ``dispatch`` until ``stop`` is set."""

    async def deliver(self, identity: str, address: str, reply: Reply) -> None:
        """Send one reply to someone who is not speaking right now (outbox)."""
