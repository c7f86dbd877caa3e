"""An event that could not be recorded because the database cannot be written.

Disk full, a read-only file, an I/O error, a lock held past the busy timeout:
the handler's transaction is rolled back, and the usual failure path (which
records the event as handled) would need a write too. So the person gets an
answer that needs none, and the backend gets ``Unrecorded`` instead of a list
of replies: it sends them and does not acknowledge the event, so that the
platform delivers it again where it can (Telegram: the polling offset is not
advanced) and it is handled for real once the database can be written again.

A redelivered event is not answered a second time, and logs its ERROR line
only once: a full disk for an hour must not fill the log or the chat.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from bot.core.context import Services
from bot.core.i18n import N_, guess_locale
from bot.core.messages import Incoming, Reply
from storage import persons
from storage.db import StorageUnavailable

log = logging.getLogger(__name__)

MESSAGE = N_("Sorry, nothing could be recorded just now. Please try again in a few minutes.")
REMEMBERED = 10_000


class Unrecorded(Exception):
    """Nothing of the event was recorded: send ``replies``, do not acknowledge it."""

    def __init__(self, replies: list[Reply], reason: str) -> None:
        super().__init__(f"event not recorded: the database is {reason}")
        self.replies = replies
        self.reason = reason


class Outages:
    """Answers events the database could not record, once per event."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._answered: OrderedDict[str, None] = OrderedDict()

    async def refuse(self, incoming: Incoming, fault: StorageUnavailable) -> Unrecorded:
        """The ``Unrecorded`` to raise for ``incoming``, counted and logged."""
        self.services.metrics.unrecorded.labels(incoming.backend, fault.reason).inc()
        key = incoming.event_id or ""
        if key and key in self._answered:
            return Unrecorded([], fault.reason)
        if key:
            self._answered[key] = None
            while len(self._answered) > REMEMBERED:
                self._answered.popitem(last=False)
        log.error(
            "%s event not recorded, left for redelivery: the database is %s (%s)",
            incoming.backend,
            fault.reason,
            fault,
        )
        t = self.services.translations.get(await self._locale(incoming))
        return Unrecorded([Reply(t._(MESSAGE))], fault.reason)

    async def _locale(self, incoming: Incoming) -> str:
        """The person's language if the database can still be read, else the platform's hint."""
        try:
            person = await persons.by_identity(self.services.db, incoming.identity)
        except Exception:  # a read may fail too (I/O error): the hint will do
            person = None
        if person is not None and person.locale:
            return person.locale
        return guess_locale(incoming.language_hint)
