"""The one object a handler receives: who is speaking, in which language, and
every service it may use. Passing it explicitly keeps handlers free of module
globals and of any backend, and lets tests swap the clock or the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.clock import Clock
from bot.core.config import Config
from bot.core.i18n import Translations, Translator, guess_locale
from bot.core.messages import Choice, File, Image, Incoming, Reply
from bot.core.metrics import Metrics
from storage import audit, consultations, outbox, persons
from storage.audiences import Targets
from storage.conversations import Conversation
from storage.db import Database
from storage.similarity.sync import Indexes

if TYPE_CHECKING:
    from bot.core.router import Command


class Refused(Exception):
    """Raised by a handler to refuse an action: the transaction rolls back and
    the person gets ``message`` (already translated), so nothing half-done stays."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BulkKind(Protocol):
    """A kind of bulk message (``bot.delivery.fanout``): to whom and what it says,
    rebuilt from the spec its fan-out was recorded with, after a restart too."""

    async def targets(self, db: Database, spec: dict[str, Any], low: int, high: int) -> Targets:
        """Its recipients among the persons whose id is in [low, high), grouped."""

    async def renderer(self, services: Services, spec: dict[str, Any]) -> VariantRender | None:
        """How to render it for a recipient and a group's variant; None: nothing to
        send any more (what it was about is gone)."""


async def _no_answers(person_id: int, replies: list[Reply]) -> None:
    return None


@dataclass
class Services:
    """Long-lived dependencies shared by every conversation."""

    db: Database
    clock: Clock
    config: Config
    translations: Translations
    command_prefixes: dict[str, str] = field(default_factory=dict)
    direct_links: dict[str, str] = field(default_factory=dict)
    """Per backend, a link that opens a private chat with the bot (Telegram's
    ``t.me``), for people asked in a group to continue there."""
    on_outbox: Callable[[], None] = lambda: None
    on_workspace: Callable[[], None] = lambda: None
    """Who belongs in a co-construction space changed: the keeper should look."""
    metrics: Metrics = field(default_factory=Metrics)
    bulk_kinds: dict[str, BulkKind] = field(default_factory=dict)
    """What each kind of fan-out says (``bot.delivery.fanout``), filled by the app."""
    similarity: Indexes = field(default_factory=Indexes)
    on_answers: Callable[[int, list[Reply]], Awaitable[None]] = field(default=_no_answers)
    """Called in the transaction of the event with its answers (person id, replies):
    the application writes them to the outbox there (``bot.app``)."""


@dataclass(frozen=True)
class Recipient:
    """Who a notification is for: their language and how they type commands."""

    person: persons.Person
    t: Translator
    prefix: str
    commands: Sequence[Command]

    def _(self, message: str, **params: object) -> str:
        return self.t._(message, **params)

    def cmd(self, key: str) -> str:
        return command_name(self.commands, key, self.prefix, self.t.locale)


VariantRender = Callable[[Recipient, str], Reply]
"""A bulk message for one recipient and their group's variant (``TargetGroup.variant``)."""


def command_name(commands: Sequence[Command], key: str, prefix: str, locale: str) -> str:
    for command in commands:
        if command.key == key:
            return prefix + (command.fr if locale == "fr" else command.en)
    return prefix + key


ASKED = "_asked"  # conversation data: the question a flow waits on (text, choices)


@dataclass
class Context:
    services: Services
    incoming: Incoming
    person: persons.Person
    conversation: Conversation
    commands: Sequence[Command]
    replies: list[Reply] = field(default_factory=list)
    deferred: list[Callable[[], Awaitable[list[Reply]]]] = field(default_factory=list)
    keep_menu: bool = False
    reveals: str | None = None
    """What the handler that answered declared its answer shows (``Rules.reveals``);
    None when no handler was found (an unknown command, a stale button)."""
    # The menu is the choices of the last reply only (none if it has none), not
    # of the last reply that had some: set when a kept question is asked again.
    menu_from_last: bool = False
    _consultation: consultations.Consultation | None = None
    _now: datetime | None = None

    @property
    def db(self) -> Database:
        return self.services.db

    @property
    def config(self) -> Config:
        return self.services.config

    @property
    def now(self) -> datetime:
        """One instant for the whole event, so every check sees the same time."""
        if self._now is None:
            self._now = self.services.clock.now()
        return self._now

    @property
    def locale(self) -> str:
        return self.person.locale or guess_locale(self.person.locale_hint)

    @property
    def t(self) -> Translator:
        return self.services.translations.get(self.locale)

    def _(self, message: str, **params: object) -> str:
        return self.t._(message, **params)

    def cmd(self, key: str, locale: str | None = None) -> str:
        """How to type command ``key`` here: ``/aide`` on Telegram, ``!aide`` on Matrix."""
        prefix = self.services.command_prefixes.get(self.incoming.backend, "/")
        return command_name(self.commands, key, prefix, locale or self.locale)

    # -- answering the person who speaks -------------------------------------------------
    def reply(
        self,
        text: str,
        choices: Sequence[Choice] = (),
        *,
        image: Image | None = None,
        file: File | None = None,
        edit: bool = False,
    ) -> None:
        self.replies.append(Reply(text, list(choices), image=image, file=file, edit=edit))

    def after_commit(self, work: Callable[[], Awaitable[list[Reply]]]) -> None:
        """Run ``work`` once this event is committed and send its replies after the
        others: for slow rendering (charts, spreadsheets) of data already read,
        which inside the event would hold the database, and so everyone else's
        messages, for as long as it takes."""
        self.deferred.append(work)

    def ask(self, step: str, text: str, choices: Sequence[Choice] = (), **data: Any) -> None:
        """Reply and wait for the person's next message in ``step``; the question is
        kept with the step, so it can be asked again after an interruption
        (``bot.core.drafts``)."""
        self.conversation.step = step
        self.conversation.data.update(data)
        self.conversation.data[ASKED] = {
            "text": text,
            "choices": [[choice.label, choice.data] for choice in choices],
        }
        self.reply(text, choices)

    def end(self) -> None:
        self.conversation.step = None
        self.conversation.data = {}

    # -- telling someone else ---------------------------------------------------------
    async def notify(self, person_id: int, kind: str, render: Callable[[Recipient], Reply]) -> None:
        """Queue a message for another person, in their language, in this transaction."""
        recipient = await persons.get(self.db, person_id)
        if recipient is None:
            return
        target = await persons.delivery_target(self.db, person_id)
        backend = target[0].split(":", 1)[0] if target else ""
        translator = self.services.translations.get(
            recipient.locale or guess_locale(recipient.locale_hint)
        )
        prefix = self.services.command_prefixes.get(backend, "/")
        reply = render(Recipient(recipient, translator, prefix, self.commands))
        await outbox.enqueue(self.db, person_id, kind, reply, self.now)
        self.services.on_outbox()

    async def audit(self, action: str, target: str = "", **detail: Any) -> None:
        """Record a staff action (who, what, when, on what) with the action's own write."""
        label = self.person.display_name or self.incoming.identity
        await audit.record(
            self.db,
            staff_id=self.person.id,
            staff_label=f"{label} ({self.incoming.identity})",
            action=action,
            target=target,
            detail=detail,
            now=self.now,
        )

    async def consultation(self) -> consultations.Consultation | None:
        if self._consultation is None:
            self._consultation = await consultations.current(self.db)
        return self._consultation
