"""The small seam every backend implements, what it may ask of its host, and how
delivery can fail.

A backend knows its platform and nothing of the consultation: it turns what
it receives into neutral ``Incoming`` events for its ``Host`` and renders the
neutral ``Reply`` messages the host hands back through ``deliver``. Everything
a person is told leaves through the outbox (``bot.delivery``), answers
included, so a backend never sends on its own account except through
``Host.tell``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.core.i18n import Translator
from bot.core.messages import Incoming, Reply

log = logging.getLogger(__name__)

Dispatch = Callable[[Incoming], Awaitable[list[Reply]]]


class DeliveryError(Exception):
    """A send failed for a reason that may pass: retry later."""


class Blocked(DeliveryError):
    """The person blocked the bot or left: retrying would only annoy the platform."""


class Rejected(DeliveryError):
    """The platform refused this message as it is (bad markup, a chat that does
    not exist): sent again, it would be refused again."""


class Unreachable(DeliveryError):
    """The platform did not answer (down, restarting, a proxy's 5xx): the same
    send succeeds once it is back, which the backend's ``Connectivity`` says."""


class RetryAfter(DeliveryError):
    """The platform asked to wait ``seconds`` before sending again: to this chat
    only (``whole_lane`` false), or to anyone through this backend."""

    def __init__(self, seconds: float, reason: str = "", *, whole_lane: bool = True) -> None:
        super().__init__(reason or f"retry after {seconds}s")
        self.seconds = seconds
        self.whole_lane = whole_lane


@dataclass(frozen=True)
class Where:
    """Where the answers to one event go, as the backend that received it says.

    ``address`` is the conversation the event came from (a private chat, a
    group, a room), ``context`` what the backend needs to answer there (the
    event answered, for a threaded reply), ``editable`` a message the first
    answer marked ``edit`` may replace (the one whose button was pressed).
    They are stored with the answer, so a resend after a restart is the same.
    """

    address: str
    context: Mapping[str, str] = field(default_factory=dict)
    editable: str = ""


class Connectivity:
    """Whether a backend can reach its platform right now, since when, and why not.

    The backend says ``up`` whenever the platform answered and ``down`` when
    it did not; the outbox waits on it instead of backing off on its own, so
    sending resumes the moment the platform is back; ``/health`` and
    ``/metrics`` report it.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.connected = False
        self.since = time.time()
        self.last_error = ""
        self.event = asyncio.Event()
        """Set while connected."""
        self._listeners: list[Callable[[], None]] = []

    def on_up(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def up(self) -> None:
        if self.connected:
            return
        away = time.time() - self.since
        if self.last_error:
            log.info("%s: connected again after %.1f s", self.name, away)
        self.connected, self.since = True, time.time()
        self.event.set()
        for listener in self._listeners:
            listener()

    def down(self, error: str) -> None:
        """The platform did not answer; logged once per outage, not per retry."""
        self.last_error = error
        if not self.connected:
            return
        log.warning("%s: platform unreachable (%s); retrying until it answers", self.name, error)
        self.connected, self.since = False, time.time()
        self.event.clear()

    def stopped(self) -> None:
        """The backend was closed on purpose: not an outage, nothing to log."""
        if self.connected:
            self.connected, self.since = False, time.time()
        self.last_error = "stopped"
        self.event.clear()

    async def wait_up(self) -> None:
        await self.event.wait()


async def say_unrecorded(
    backend: Backend, identity: str, where: Where, replies: list[Reply]
) -> None:
    """Send, outside the outbox, the answer to an event the database could not
    record (it says so): best effort, as nothing can be written."""
    for reply in replies:
        try:
            await backend.deliver(identity, where.address, reply, context=where.context)
        except DeliveryError as exc:
            log.warning("%s: could not say an event was not recorded: %s", backend.name, exc)


async def until_connected(ready: asyncio.Event, within: float, retry: float) -> None:
    """Raise ``RetryAfter`` unless the backend is connected within ``within`` seconds
    (for work outside the outbox, such as the workspace keeper's)."""
    if ready.is_set():
        return
    with suppress(TimeoutError):
        await asyncio.wait_for(ready.wait(), within)
    if not ready.is_set():
        raise RetryAfter(retry, "not connected")


async def backoff_sleep(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep unless stopped; True when the sleep ran to its end."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return True
    return False


RECONNECT_FIRST = 0.25
RECONNECT_MAX = 1.0
"""Retries while a platform is away start at a quarter second and double up to
a second: one cheap request a second is nothing to a platform that is back,
and the first answer then leaves within two seconds of its return (the
backoff restarts from the first whenever the platform answers)."""


def next_delay(delay: float) -> float:
    return min(delay * 2, RECONNECT_MAX)


class Host(Protocol):
    """What a backend may ask of the application that runs it."""

    async def handle(self, incoming: Incoming, where: Where | None) -> list[Reply]:
        """Handle one event; with ``where``, its answers are written in the event's
        transaction and sent through the outbox at once (returned too, for
        information); without, they are only returned, for a backend that shows
        them itself (console, tests).

        Raises ``bot.core.unrecorded.Unrecorded`` when the database could not be
        written: nothing was recorded, the outbox neither, so the backend sends
        its replies itself (``say_unrecorded``) and leaves the event to be
        delivered again where the platform can."""
        ...

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
        """Send a message that answers no event (a greeting on joining a room, a
        link to a private chat) through the outbox, like an answer. The person
        is met as an event would meet them (name, language, private address)."""
        ...

    async def member_joined(self, backend: str, room: str, account: str) -> None:
        """Someone joined a co-construction room the backend watches."""
        ...

    async def seen(self, event_id: str) -> bool:
        """Whether the event was handled already (an edit of it is then answered)."""
        ...

    async def get_state(self, key: str) -> str | None:
        """A value this backend stored (a polling offset, a sync token, a room id)."""
        ...

    async def set_state(self, key: str, value: str) -> None: ...

    def translator(self, locale: str | None) -> Translator: ...

    def now(self) -> datetime:
        """The application's clock (tests set it)."""
        ...

    def set_direct_link(self, backend: str, link: str) -> None:
        """A link that opens a private chat with the bot, for people asked in a
        shared room to continue there (Telegram's ``t.me`` link)."""
        ...

    async def locale_of(self, identity: str, hint: str = "") -> str | None:
        """The language a person chose, or the one their platform reports, if known."""
        ...


class Backend(Protocol):
    """What a new backend must do (console, memory, telegram and matrix do it):

    - ``name`` (the identity prefix, ``telegram`` in ``telegram:123``) and
      ``command_prefix`` (how a person types a command: ``/``, ``!``);
    - ``connectivity``: say ``up()`` whenever the platform answers and
      ``down(error)`` when it does not; never exit for an outage;
    - ``run(host, stop)``: receive events until ``stop`` is set, turn each into
      an ``Incoming`` with a stable ``event_id`` (a redelivered event keeps its
      id and is ignored) and hand it to ``host.handle`` with the ``Where`` of
      its answers; store the platform's cursor with ``host.set_state`` only once
      the events before it are handled (``handle`` returned), so nothing is lost
      or replayed; hand one person's events over in order, different people's
      at once if it likes; when ``handle`` raises ``Unrecorded`` (the database
      cannot be written), send its replies with ``say_unrecorded`` and leave
      the event unconfirmed where the platform allows; while the platform is
      away, retry with ``next_delay`` from ``RECONNECT_FIRST``, starting again
      from it as soon as it answers;
    - ``deliver``: send one reply (its text, choices, image or file, falling back
      to text for what the platform cannot show) and raise ``Blocked``,
      ``Rejected``, ``Unreachable`` or ``RetryAfter`` as the platform answered;
      ``key`` names the message for good (the same on a resend), ``context``
      and ``editable`` are the ``Where`` of an answer;
    - ``close``: release the platform's connections, after the last deliveries
      (the host stops receiving first, lets sends in flight end, then closes).
    """

    name: str
    command_prefix: str
    connectivity: Connectivity

    async def run(self, host: Host, stop: asyncio.Event) -> None:
        """Receive events and hand them to ``host`` until ``stop`` is set."""

    async def deliver(
        self,
        identity: str,
        address: str,
        reply: Reply,
        *,
        key: str = "",
        context: Mapping[str, str] | None = None,
    ) -> None:
        """Send one message of the outbox to ``identity`` at ``address``."""

    async def close(self) -> None:
        """Release the platform's connections; nothing is sent afterwards."""
