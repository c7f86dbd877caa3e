"""The small seam every backend implements, and how delivery can fail."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Protocol

from bot.core.messages import Incoming, Reply

Dispatch = Callable[[Incoming], Awaitable[list[Reply]]]


class DeliveryError(Exception):
    """A send failed for a reason that may pass: retry later."""


class Blocked(DeliveryError):
    """The person blocked the bot or left: retrying would only annoy the platform."""


class RetryAfter(DeliveryError):
    """Nothing more should go through this backend for ``seconds``: the platform
    asked us to slow down, or the backend is not connected (``reason`` says)."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {seconds}s")
        self.seconds = seconds


async def until_connected(ready: asyncio.Event, within: float, retry: float) -> None:
    """Raise ``RetryAfter`` unless the backend was connected already.

    Sends that waited for the connection would all leave the moment it comes,
    in one burst over the platform's rate (the outbox paced them when they
    started waiting); so a send that had to wait is not made: the lane is held
    for a second, then starts again, paced from then on.
    """
    if ready.is_set():
        return
    with suppress(TimeoutError):
        await asyncio.wait_for(ready.wait(), within)
    if ready.is_set():
        raise RetryAfter(1.0, "connected just now: starting again, paced")
    raise RetryAfter(retry, "not connected")


class Backend(Protocol):
    name: str
    command_prefix: str

    async def run(self, dispatch: Dispatch, stop: asyncio.Event) -> None:
        """Receive events and hand them to ``dispatch`` until ``stop`` is set."""

    async def deliver(self, identity: str, address: str, reply: Reply) -> None:
        """Send one reply to someone who is not speaking right now (outbox)."""
