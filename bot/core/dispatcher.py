"""From a neutral ``Incoming`` to the handler that owns it.

One event is one SQLite transaction: the event id is claimed, the person
resolved, the handler run and the conversation saved together, so a crash or
a refusal leaves nothing half-done and a redelivered event is ignored.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.core import answers, drafts, rules, shared_rooms
from bot.core.arguments import InvalidArguments
from bot.core.callbacks import InvalidData, prefix_of
from bot.core.clock import to_iso
from bot.core.context import Context, Refused, Services
from bot.core.flood import FloodGuard
from bot.core.messages import Incoming, Kind, Reply
from bot.core.router import Action, Router, Step
from bot.core.unrecorded import Outages
from storage import conversations, events, persons
from storage.db import StorageUnavailable

log = logging.getLogger(__name__)


class Dispatcher(Router):
    """The root router: every flow included, and the services to run them with.

    Tests may still declare a command on it directly, as on any router.
    """

    def __init__(self, services: Services) -> None:
        super().__init__("root")
        self.services = services
        self.flood = FloodGuard(services.config.limits.messages_per_minute)
        self.outages = Outages(services)
        everyone = rules.Rules()
        self._add_action(Action(drafts.Keep.prefix, self._keep_draft, everyone, drafts.Keep))
        self._add_action(Action(drafts.Drop.prefix, self._drop_draft, everyone, drafts.Drop))
        self._add_step(Step(drafts.CHOICE_STEP, self._typed_draft_choice, everyone))

    # -- dispatch -----------------------------------------------------------------
    async def dispatch(self, incoming: Incoming) -> list[Reply]:
        metrics = self.services.metrics
        metrics.events.labels(incoming.backend, incoming.kind.value).inc()
        with metrics.latency.labels(incoming.backend).time():
            try:
                return await self._dispatch(incoming)
            except StorageUnavailable as fault:  # nothing recorded: see bot.core.unrecorded
                raise await self.outages.refuse(incoming, fault) from fault

    async def _dispatch(self, incoming: Incoming) -> list[Reply]:
        db = self.services.db
        verdict = self.flood.check(incoming.identity, self.services.clock.now())
        if verdict != "ok":
            return await self._flooded(incoming) if verdict == "warn" else []
        ctx: Context | None = None
        try:
            async with db.transaction():
                ctx = await self._context(incoming, claim=True)
                if ctx is None:
                    return []
                before = conversations.fingerprint(ctx.conversation)
                await self._route(ctx)
                conversation = _with_menu(ctx)
                if conversations.fingerprint(conversation) != before:
                    await conversations.save(db, ctx.person.id, conversation, ctx.now)
                answer = await shared_rooms.keep_private(ctx, ctx.replies)
                await self.services.on_answers(ctx.person.id, answer)
        except Refused as refusal:
            reveals = ctx.reveals if ctx is not None else None
            return await self._after_failure(incoming, refusal.message, reveals)
        except StorageUnavailable:
            raise  # the failure path below would need a write too
        except Exception:
            log.exception("handler failed on %s event", incoming.backend)
            self.services.metrics.errors.labels(incoming.backend).inc()
            return await self._after_failure(incoming, None, ctx.reveals if ctx else None)
        assert ctx is not None
        if not ctx.deferred:
            return answer
        # Slow work runs outside any transaction (it would hold the database for
        # everyone); only queueing its replies for a private chat takes one.
        later = await self._after_commit(ctx)
        if later:  # queued in a transaction of their own: the event's is committed
            async with db.transaction():
                if ctx.incoming.shared:
                    later = await shared_rooms.keep_private(ctx, later)
                await self.services.on_answers(ctx.person.id, later)
        return shared_rooms.merge(answer, later)

    async def _after_commit(self, ctx: Context) -> list[Reply]:
        """The work a handler left for after its commit; what it changed stays, so a
        failure here only costs its own replies, with an apology in their place."""
        replies: list[Reply] = []
        for work in ctx.deferred:
            try:
                replies.extend(await work())
            except Exception:
                log.exception("work after commit failed on %s event", ctx.incoming.backend)
                self.services.metrics.errors.labels(ctx.incoming.backend).inc()
                replies.append(
                    Reply(
                        ctx._(
                            "Sorry, something went wrong on our side while preparing this. "
                            "Please try again in a moment."
                        )
                    )
                )
        return replies

    async def _after_failure(
        self, incoming: Incoming, message: str | None, reveals: str | None = None
    ) -> list[Reply]:
        """Record the event as handled and answer, in a transaction of its own,
        since the handler's was rolled back. A refusal says as much as the answer
        would have (``reveals``): in a shared room it goes where that would."""
        async with self.services.db.transaction():
            ctx = await self._context(incoming, claim=True)
            if ctx is None:
                return []
            if message is None:
                message = ctx._(
                    "Sorry, something went wrong on our side and nothing was changed. "
                    "Please try again in a moment."
                )
            ctx.reveals = reveals
            replies = await shared_rooms.keep_private(ctx, [Reply(message)])
            await self.services.on_answers(ctx.person.id, replies)
            return replies

    async def _flooded(self, incoming: Incoming) -> list[Reply]:
        async with self.services.db.transaction():
            ctx = await self._context(incoming, claim=True)
            if ctx is None:
                return []
            replies = [
                Reply(
                    ctx._(
                        "You are sending messages faster than I can follow. I will not answer "
                        "for a minute; nothing you sent in that time is kept."
                    )
                )
            ]
            await self.services.on_answers(ctx.person.id, replies)
            return replies

    async def _context(self, incoming: Incoming, *, claim: bool) -> Context | None:
        """Claim the event, resolve the person and load the step in one round trip;
        None when the event was already processed."""
        opened = await self.services.db.run(
            _open_event, incoming, to_iso(self.services.clock.now()), claim
        )
        if opened is None:
            return None
        person, conversation = opened
        return Context(self.services, incoming, person, conversation, self.commands)

    async def _route(self, ctx: Context) -> None:
        incoming = ctx.incoming
        limit = self.services.config.limits.message_chars
        raw_length = len(incoming.text) + len(incoming.arg_text)
        if raw_length > limit:
            ctx.reply(
                ctx._(
                    "Your message is too long ({length} characters; at most {limit}). "
                    "Nothing was lost: please send it again, shorter.",
                    length=ctx.t.number(raw_length),
                    limit=ctx.t.number(limit),
                )
            )
            return
        if incoming.kind is Kind.COMMAND:
            await self._command(ctx)
        elif incoming.kind is Kind.CHOICE:
            await self._choice(ctx, incoming.data)
        else:
            await self._text(ctx)

    async def _command(self, ctx: Context) -> None:
        name = ctx.incoming.command
        command = self.lookup(name)
        if command is None:
            ctx.reply(
                ctx._(
                    "I don't know the command {command}. Type {help} to see what you can do.",
                    command=self.services.command_prefixes.get(ctx.incoming.backend, "/")
                    + name[:40],
                    help=ctx.cmd("help"),
                )
            )
            return
        ctx.reveals = command.rules.reveals
        refused = await rules.refusal(ctx, command.rules)
        if refused:
            ctx.reply(refused)
            return
        run: Callable[[], Awaitable[None]] = functools.partial(command.fn, ctx)
        if command.args is not None:
            try:
                parsed = command.args.parse(ctx.incoming.args)
            except InvalidArguments:
                # Refused, as the handlers did: rolled back, so a pending step stays.
                raise Refused(ctx._(command.args.usage, command=ctx.cmd(command.key))) from None
            run = functools.partial(command.fn, ctx, parsed)
        draft = drafts.pending(ctx) if command.key != "cancel" else None
        if command.key != "cancel":
            ctx.end()
        if draft is None:
            await run()
            return
        await self._beside_draft(ctx, run, draft)

    async def _beside_draft(
        self, ctx: Context, run: Callable[[], Awaitable[None]], draft: drafts.Draft
    ) -> None:
        """Run a command typed in the middle of a flow without losing the flow.

        It runs in a savepoint: if it only answered, the draft's question is
        asked again after the answer; if it started a flow of its own, all it
        did is undone and the person is asked whether to drop the draft.
        """
        replies, deferred = len(ctx.replies), len(ctx.deferred)
        await ctx.db.execute("SAVEPOINT beside_draft")
        await run()
        started = ctx.conversation.step
        if started is None:
            await ctx.db.execute("RELEASE beside_draft")
            drafts.recall(ctx, draft)
            return
        await ctx.db.execute("ROLLBACK TO beside_draft")
        await ctx.db.execute("RELEASE beside_draft")
        del ctx.replies[replies:]
        del ctx.deferred[deferred:]
        prefix = self.services.command_prefixes.get(ctx.incoming.backend, "/")
        drafts.ask_to_drop(
            ctx, draft, started, prefix + ctx.incoming.command, list(ctx.incoming.args)
        )

    async def _keep_draft(self, ctx: Context, pressed: drafts.Keep) -> None:
        draft = drafts.pending(ctx)
        if ctx.conversation.step != drafts.CHOICE_STEP or draft is None:
            ctx.reply(ctx._("Nothing was changed."))
            return
        drafts.recall(ctx, draft)

    async def _drop_draft(self, ctx: Context, pressed: drafts.Drop) -> None:
        wanted = drafts.then(ctx)
        ctx.end()
        if wanted is None:
            ctx.reply(ctx._("Nothing was changed."))
            return
        name, command_args = wanted
        prefix = self.services.command_prefixes.get(ctx.incoming.backend, "/")
        ctx.incoming = replace(
            ctx.incoming,
            kind=Kind.COMMAND,
            command=name.removeprefix(prefix),
            args=tuple(command_args),
            data="",
        )
        await self._command(ctx)

    async def _typed_draft_choice(self, ctx: Context, text: str) -> None:
        """Neither choice was typed: ask again, the draft still kept."""
        draft = drafts.pending(ctx)
        if draft is None:
            ctx.end()
            ctx.reply(ctx._("Nothing was changed."))
            return
        question, choices = drafts.Draft(drafts.CHOICE_STEP, ctx.conversation.data).question
        ctx.reply(
            ctx._("Please choose one of the answers by typing its number.") + "\n\n" + question,
            choices,
        )

    async def _choice(self, ctx: Context, data: str) -> None:
        action = self._actions.get(prefix_of(data))
        stale = ctx._(
            "This button is no longer valid. Type {help} to see what you can do.",
            help=ctx.cmd("help"),
        )
        if action is None:
            ctx.reply(stale)
            return
        ctx.reveals = action.rules.reveals
        try:
            parsed = action.data.unpack(data)
        except InvalidData:
            # Refused, as the handler did: rolled back, so the step and menu stay.
            raise Refused(stale) from None
        await _enforce(ctx, action.rules)
        await action.fn(ctx, parsed)

    async def _text(self, ctx: Context) -> None:
        text = ctx.incoming.text.strip()
        menu = ctx.conversation.menu
        if menu:
            index = _menu_index(text, menu, ctx.conversation.labels)
            if index is not None:
                await self._choice(ctx, menu[index - 1])
                return
            if answers.number(text) is not None and not ctx.conversation.step:
                ctx.reply(
                    ctx._(
                        "Please type a number between 1 and {count}.",
                        count=ctx.t.number(len(menu)),
                    )
                )
                ctx.keep_menu = True
                return
        step = ctx.conversation.step
        handler = self._steps.get(step) if step else None
        if handler is None:
            ctx.end()
            ctx.reply(
                ctx._(
                    "I was not expecting a message. Type {help} to see what you can do, "
                    "or {contact} to write to the consultation team.",
                    help=ctx.cmd("help"),
                    contact=ctx.cmd("contact"),
                )
            )
            return
        ctx.reveals = handler.rules.reveals
        await _enforce(ctx, handler.rules)
        await handler.fn(ctx, text)


def _menu_index(text: str, menu: list[str], labels: list[str]) -> int | None:
    """Which choice of the menu a typed answer names: its number however written
    ("3", "3.", "n°3"), its label accents and case aside, or yes/no to a question
    whose choices start "Yes…"/"No…" (or Confirm); None if none or several."""
    if len(labels) != len(menu):
        typed = answers.number(text)
        return typed if typed is not None and 1 <= typed <= len(menu) else None
    index = answers.pick(text, labels)
    if index is not None or answers.number(text) is not None:
        return index
    meant = answers.yes_no(text)
    if meant is None:
        return None
    words = ("oui", "yes", "confirmer", "confirm") if meant else ("non", "no")
    found = [
        i for i, label in enumerate(labels, 1) if answers.fold(label).split(" ", 1)[0] in words
    ]
    return found[0] if len(found) == 1 else None


async def _enforce(ctx: Context, declared: rules.Rules) -> None:
    """A button or a step refused rolls back like any refusal, keeping the menu and step."""
    refused = await rules.refusal(ctx, declared)
    if refused:
        raise Refused(refused)


def _open_event(
    conn: sqlite3.Connection, incoming: Incoming, stamp: str, claim: bool
) -> tuple[persons.Person, conversations.Conversation] | None:
    if claim and incoming.event_id and not events.claim_sync(conn, incoming.event_id, stamp):
        return None
    person, _ = persons.resolve_sync(
        conn,
        incoming.identity,
        stamp,
        incoming.display_name,
        incoming.language_hint,
        incoming.address,
    )
    return person, conversations.load_sync(conn, person.id)


def _with_menu(ctx: Context) -> conversations.Conversation:
    """The choices last shown become the menu a typed number refers to."""
    conversation = ctx.conversation
    shown = [reply for reply in ctx.replies if reply.choices]
    if ctx.menu_from_last:
        shown = ctx.replies[-1:]
    if shown:
        conversation.menu = [choice.data for choice in shown[-1].choices]
        conversation.labels = [choice.label for choice in shown[-1].choices]
    elif ctx.replies and not ctx.keep_menu:
        conversation.menu = []
        conversation.labels = []
    return conversation
