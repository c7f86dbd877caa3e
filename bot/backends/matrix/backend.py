"""Matrix (and so Tchap) through matrix-nio, end-to-end encryption included.

The sync loop is written here rather than with ``sync_forever`` so the sync
token is stored in SQLite only after every event of the batch was handled: a
crash replays the batch (the router ignores event ids it already claimed)
instead of losing it, and a restart resumes exactly where the bot stopped.
Within a batch, different senders' events are handled at once, each
sender's in order. Answers leave through the outbox, each message under a
transaction id named after its outbox row, so a resend after a crash or an
outage is recognised by the homeserver and not posted twice.

A homeserver that cannot be reached, at start or later, is retried from a
quarter second up to a second (``base.next_delay``), with one log line per
outage; the first sync after a failure does not wait, so the backend is
connected again the moment the homeserver answers.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    InviteMemberEvent,
    JoinError,
    LocalProtocolError,
    MatrixRoom,
    MegolmEvent,
    RedactionEvent,
    RoomEncryptedMedia,
    RoomMemberEvent,
    RoomMessageEmote,
    RoomMessageMedia,
    RoomMessageText,
    RoomMessageUnknown,
    SyncError,
    SyncResponse,
)

from bot.backends import base
from bot.backends.base import Blocked, Connectivity, DeliveryError, Host, Where, next_delay
from bot.backends.matrix import render as matrix_render
from bot.backends.matrix import session as matrix_session
from bot.backends.matrix.admission import Admission
from bot.backends.matrix.send import MatrixOutgoing
from bot.backends.matrix.workspace import MatrixWorkspace
from bot.core.config import MatrixConfig
from bot.core.i18n import N_
from bot.core.matrix_ids import localpart_of, server_of, tchap_facts
from bot.core.messages import Reply, from_text
from bot.core.non_text import EDIT_KEPT, ONLY_TEXT, REDACTION_KEPT
from bot.core.unrecorded import Unrecorded

__all__ = ["MatrixBackend", "tchap_facts"]

log = logging.getLogger(__name__)


class _WithoutContent(logging.Filter):
    """nio logs an event it cannot validate with the event's whole content (a
    person's message, their image's description): the line is kept, the
    content is not. No message content is logged at any level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Error validating event"):
            record.msg, record.args = "Error validating event (content not logged)", ()
        return True


logging.getLogger("nio.events.misc").addFilter(_WithoutContent())

NEXT_BATCH = "matrix:next_batch"
PREFIXES = "!/"
# More than the default 10 events per room, so a restart after a busy
# downtime still sees every message sent meanwhile (beyond that, the
# timeline is "limited" and the oldest ones are not answered).
TIMELINE_LIMIT = 100


def sync_filter(run: str | None = None) -> dict[str, Any]:
    """The sync filter; ``run`` makes it unique to this run of the bot.

    Synapse answers a repeated sync request (same user, device, token and
    filter) from a two-minute cache. A bot restarted on a wiped database
    would get its predecessor's initial sync back, an old position from which
    every later message looks new, and would answer history. Excluding an
    event type nobody sends, named after the run, changes nothing but the
    cache key.
    """
    timeline: dict[str, Any] = {"limit": TIMELINE_LIMIT}
    if run:
        timeline["not_types"] = [f"org.guichet.run.{run}"]
    return {"room": {"timeline": timeline}}


# Greeting and help command names per locale: the router accepts both names
# in any language, so these only choose what the greeting suggests.
HELP_NAMES = {"fr": "aide", "en": "help"}

GREETING = N_(
    "Hello, I am Guichet, the assistant of the national consultation. "
    "Type {start} to say which collectivité you represent, or {help} to see what you can do."
)
# What a person may send that carries no text for the bot (m.image, m.file,
# m.audio, m.video, m.emote, m.location and other unknown types); m.notice is
# left out on purpose: it comes from bots, and answering it starts loops.
NON_TEXT = (RoomMessageMedia, RoomEncryptedMedia, RoomMessageEmote, RoomMessageUnknown)

CHOICE_HINT = N_(
    "Others read this room too: to choose, write my name and the number, e.g. “{example}”."
)

LEAVING = N_(
    "The server {server} is not among those this consultation accepts, so I am leaving this room."
)

UNREADABLE = N_(
    "I could not decrypt your message: your app has not shared its keys with me yet. "
    "Please send it again in a moment."
)


class MatrixBackend:
    name = "matrix"
    command_prefix = "!"

    def __init__(
        self,
        config: MatrixConfig,
        *,
        sync_timeout_ms: int = 30_000,
        max_limit_exceeded: int = 3,
    ) -> None:
        self.config = config
        self.sync_timeout_ms = sync_timeout_ms
        self.user_id = config.user_id
        self.own_server = server_of(config.user_id)
        Path(config.store_path).mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(
            config.homeserver,
            config.user_id,
            device_id=config.device_id,
            store_path=config.store_path,
            config=AsyncClientConfig(
                encryption_enabled=True,
                store_sync_tokens=False,
                # A 429 is honoured (nio sleeps retry_after_ms) a few times,
                # then reported, so one busy room cannot stall the bot.
                max_limit_exceeded=max_limit_exceeded,
                max_timeouts=2,
                request_timeout=30,
            ),
        )
        self.out = MatrixOutgoing(self.client)
        self.connectivity = Connectivity(self.name)
        self._host: Host | None = None
        self._greet: set[str] = set()
        self.admission = Admission(config.user_id, config.allowed_servers)
        self._leaving: set[str] = set()
        self.workspace = MatrixWorkspace(self)

    @property
    def ready(self) -> asyncio.Event:
        """Set while connected (the workspace keeper waits on it)."""
        return self.connectivity.event

    @property
    def host(self) -> Host:
        assert self._host is not None, "run() gives the backend its host"
        return self._host

    # -- the sync loop ---------------------------------------------------------------
    async def run(self, host: Host, stop: asyncio.Event) -> None:
        """Sync until ``stop``; the client stays open for the outbox's last sends
        until ``close``."""
        self._host = host
        self.out.state = host
        if not await self._login(stop):
            return
        token = await host.get_state(NEXT_BATCH)
        first, delay = True, base.RECONNECT_FIRST
        while not stop.is_set():
            await self._keys()
            response = await self._sync(stop, since=token if first else None, first=first)
            if response is None:
                break
            if isinstance(response, SyncError):
                if response.status_code == "M_UNKNOWN_TOKEN":
                    # Logged out from elsewhere: log in again as the same
                    # device (or stop, when there is no password to do so).
                    log.warning("Matrix session ended (%s); logging in again", response)
                    await matrix_session.login(self.client, self.config, relogin=True)
                    continue
                self.connectivity.down(f"sync: {response}")
                await base.backoff_sleep(stop, delay)
                delay = next_delay(delay)
                continue
            delay = base.RECONNECT_FIRST
            await self._keys()
            # Members and encryption are known once the first sync is read.
            first_sync = first
            first = False
            self.admission.learn(response)
            if first_sync:
                self.connectivity.up()
                await self._leave_refused_rooms()
            # A first start skips history: old messages were meant for no bot.
            await self._handle(response, history=not (first_sync and token is None))
            await host.set_state(NEXT_BATCH, response.next_batch)
            token = response.next_batch
            self.connectivity.up()

    async def _login(self, stop: asyncio.Event) -> bool:
        """Log in, waiting for a homeserver that is away (down, a proxy's 5xx) with
        one log line; False if stopped meanwhile. Wrong credentials are raised."""
        delay = base.RECONNECT_FIRST
        while not stop.is_set():
            try:
                await matrix_session.login(self.client, self.config)
            except (ClientError, TimeoutError, OSError) as exc:
                if delay == base.RECONNECT_FIRST:
                    log.warning(
                        "Matrix: homeserver %s unreachable at start (%s); retrying until it"
                        " answers",
                        self.config.homeserver,
                        exc,
                    )
                self.connectivity.down(f"login: {exc}")
                await base.backoff_sleep(stop, delay)
                delay = next_delay(delay)
                continue
            log.info("Matrix: logged in as %s, device %s", self.user_id, self.client.device_id)
            return True
        return False

    async def close(self) -> None:
        self.connectivity.stopped()
        await self.client.close()

    async def _sync(
        self, stop: asyncio.Event, *, since: str | None, first: bool
    ) -> SyncResponse | SyncError | None:
        """One sync, abandoned as soon as ``stop`` is set (None), so shutdown is prompt.

        The first sync of a run asks for the full state since ``since``: nio
        keeps rooms in memory only, and members and encryption must be known
        before the first answer.
        """
        waiting = self.connectivity.connected and not first
        sync = asyncio.create_task(
            self.client.sync(
                timeout=self.sync_timeout_ms if waiting else 0,
                sync_filter=sync_filter(secrets.token_hex(4) if first else None),
                since=since,
                full_state=first,
            )
        )
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({sync, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not sync.done():
            sync.cancel()
            await asyncio.gather(sync, return_exceptions=True)
            return None
        try:
            response: SyncResponse | SyncError = sync.result()
        except (ClientError, TimeoutError) as exc:
            return SyncError(f"{type(exc).__name__}: {exc}")
        return response

    async def _keys(self) -> None:
        """Keep our device keys published and our view of the others' current.

        Done between syncs, as ``sync_forever`` would, so that an encrypted
        message can be decrypted and answered without waiting for a send.
        """
        responses: list[Any] = []
        try:
            if self.client.should_upload_keys:
                responses.append(await self.client.keys_upload())
            if self.client.should_query_keys:
                responses.append(await self.client.keys_query())
            if self.client.should_claim_keys:
                users = self.client.get_users_for_key_claiming()
                responses.append(await self.client.keys_claim(users))
            responses.extend(await self.client.send_to_device_messages())
        except (ClientError, TimeoutError, LocalProtocolError) as exc:
            log.warning("Matrix key maintenance failed: %s", exc)
        for response in responses:
            if isinstance(response, ErrorResponse):
                log.warning("Matrix key maintenance refused: %s", response)

    # -- events ----------------------------------------------------------------------
    async def _handle(self, response: SyncResponse, *, history: bool) -> None:
        """The batch's events: each sender's in order, different senders' at once."""
        for room_id, info in response.rooms.invite.items():
            await self._on_invite(room_id, info.invite_state)
        by_sender: dict[str, list[tuple[MatrixRoom, Any]]] = {}
        for room_id, info in response.rooms.join.items():
            room = self.client.rooms.get(room_id)
            if room is None:
                continue
            # In a room joined since the last sync, what was said before the
            # bot came in is history too: the greeting says what to type.
            joined_now = room_id in self._greet
            if joined_now:
                self._greet.discard(room_id)
                await self._greeting(room)
            if not history:
                continue
            for event in info.timeline.events:
                if joined_now:
                    joined_now = not _own_join(event, self.user_id)
                    continue
                sender = getattr(event, "sender", self.user_id)
                by_sender.setdefault(sender, []).append((room, event))

        async def in_order(items: list[tuple[MatrixRoom, Any]]) -> None:
            for room, event in items:
                await self._on_event(room, event)

        await asyncio.gather(*(in_order(items) for items in by_sender.values()))

    async def _on_invite(self, room_id: str, state: list[Any]) -> None:
        inviter = next(
            (
                e.sender
                for e in state
                if isinstance(e, InviteMemberEvent)
                and e.state_key == self.user_id
                and e.membership == "invite"
            ),
            None,
        )
        if inviter and self.admission.admits(server_of(inviter)):
            joined = await self.client.join(room_id)
            if isinstance(joined, JoinError):
                log.warning("Matrix: could not join %s: %s", room_id, joined)
                return
            self._greet.add(room_id)
            return
        log.info("Matrix: declining invite to %s from %s", room_id, inviter)
        await self.client.room_leave(room_id)

    async def _greeting(self, room: MatrixRoom) -> None:
        """Tell whoever invited the bot what to type, in their language if we know it.

        Strangers get French then English, the welcome the onboarding uses.
        """
        others = [user_id for user_id in room.users if user_id != self.user_id]
        if not others:
            return
        locales = ["fr", "en"]
        for user_id in others:
            person_locale = await self._chosen_locale(f"matrix:{user_id}")
            if person_locale:
                locales = [person_locale]
                break
        texts = [
            self.host.translator(locale)._(
                GREETING, start="!start", help="!" + HELP_NAMES.get(locale, "help")
            )
            for locale in locales
        ]
        await self.host.tell(
            f"matrix:{others[0]}",
            Where(room.room_id),
            Reply("\n\n".join(texts)),
            display_name=room.user_name(others[0]) or "",
            address=room.room_id if room.joined_count <= 2 else "",
        )

    async def _chosen_locale(self, identity: str) -> str | None:
        """The language the person chose (not guessed: Matrix reports none)."""
        return await self.host.locale_of(identity)

    async def _leave_refused_rooms(self) -> None:
        """At start: leave the rooms on a server ``allowed_servers`` no longer admits."""
        for room_id, room in list(self.client.rooms.items()):
            server = self.admission.refused(room_id)
            if server:
                await self._leave(room, server, None)

    async def _leave(self, room: MatrixRoom, server: str, sender: str | None) -> None:
        """Say in one line why, then leave; once per room.

        Sent directly, not through the outbox: once the bot has left, the
        outbox could no longer post in the room.
        """
        if room.room_id in self._leaving:
            return
        self._leaving.add(room.room_id)
        log.info("Matrix: leaving %s, its server %s is not allowed", room.room_id, server)
        locale = await self._chosen_locale(f"matrix:{sender}") if sender else None
        text = self.host.translator(locale or "fr")._(LEAVING, server=server)
        try:
            await self.out.send(room.room_id, Reply(text), None)
        except DeliveryError as exc:
            log.info("Matrix: could not say why before leaving %s: %s", room.room_id, exc)
        left = await self.client.room_leave(room.room_id)
        if isinstance(left, ErrorResponse):
            log.warning("Matrix: could not leave %s: %s", room.room_id, left)

    async def _on_event(self, room: MatrixRoom, event: Any) -> None:
        sender = getattr(event, "sender", self.user_id)
        if sender == self.user_id or room.room_id in self._leaving:
            return
        # Only a message counts: a person joining a shared room is not yet
        # speaking to the bot, and others there may still be admitted.
        spoken = isinstance(event, (RoomMessageText, MegolmEvent, *NON_TEXT))
        refused = self.admission.refused(room.room_id, sender) if spoken else None
        if refused:
            await self._leave(room, refused, sender)
            return
        if isinstance(event, MegolmEvent):
            await self._unreadable(room, event)
            return
        if isinstance(event, RedactionEvent):
            await self._kept(room, event, str(event.redacts or ""))
            return
        # m.notice has a class of its own and is ignored: notices come from
        # bots, and answering them starts loops.
        if isinstance(event, NON_TEXT):
            await self._non_text(room, event)
            return
        if not isinstance(event, RoomMessageText):
            return
        content = event.source.get("content", {})
        if content.get("m.relates_to", {}).get("rel_type") == "m.replace":
            await self._kept(room, event, str(content["m.relates_to"].get("event_id", "")))
            return  # an edit: the original was already answered
        text = matrix_render.strip_reply_fallback(event.body)
        text, addressed = self._addressed(room, text, content)
        if not addressed:
            return
        direct = room.joined_count <= 2
        incoming = from_text(
            f"matrix:{event.sender}",
            f"matrix:{event.event_id}",
            text,
            PREFIXES,
            display_name=room.user_name(event.sender) or "",
            # Notifications go to a person's direct room only, never to a
            # shared room where others would read them.
            address=room.room_id if direct else "",
            shared=not direct,
        )
        where = Where(room.room_id, {"in_reply_to": event.event_id})
        try:
            await self.host.handle(incoming, where)
        except Unrecorded as unrecorded:  # a sync is not replayed: the person sends it again
            await base.say_unrecorded(self, incoming.identity, where, unrecorded.replies)

    def _addressed(self, room: MatrixRoom, text: str, content: dict[str, Any]) -> tuple[str, bool]:
        """In a shared room, only messages meant for the bot are answered."""
        names = [localpart_of(self.user_id), self.user_id, room.user_name(self.user_id) or ""]
        rest, named = matrix_render.strip_address(text, names)
        if room.joined_count <= 2 or named:
            return rest, True
        if text.lstrip()[:1] in PREFIXES:
            return text, True
        mentions = content.get("m.mentions", {}).get("user_ids", [])
        return text, self.user_id in mentions

    async def _kept(self, room: MatrixRoom, event: Any, original: str) -> None:
        """An edit or a deletion of a message the bot already used, in a direct
        room: say that the first version was kept, since nothing follows it."""
        if room.joined_count > 2 or not original:
            return
        if not await self.host.seen(f"matrix:{original}"):
            return
        t = self.host.translator(await self._chosen_locale(f"matrix:{event.sender}"))
        help_name = "!" + HELP_NAMES.get(t.locale, "help")
        text = (
            t._(REDACTION_KEPT, help=help_name)
            if isinstance(event, RedactionEvent)
            else t._(EDIT_KEPT)
        )
        await self._say(room, event, text)

    async def _non_text(self, room: MatrixRoom, event: Any) -> None:
        """An image, a file, an emote… in a direct room: say that only text is read.
        The pending step is left as it was. In a shared room people post such
        things to each other, not to the bot."""
        if room.joined_count > 2:
            return
        t = self.host.translator(await self._chosen_locale(f"matrix:{event.sender}"))
        await self._say(room, event, t._(ONLY_TEXT))

    async def _say(self, room: MatrixRoom, event: Any, text: str) -> None:
        """Answer ``event`` in its direct room through the outbox."""
        await self.host.tell(
            f"matrix:{event.sender}",
            Where(room.room_id, {"in_reply_to": event.event_id}),
            Reply(text),
            display_name=room.user_name(event.sender) or "",
            address=room.room_id,
        )

    async def _unreadable(self, room: MatrixRoom, event: MegolmEvent) -> None:
        """Ask the sender's devices for the key and say so, rather than stay silent."""
        try:
            await self.client.request_room_key(event)
        except (LocalProtocolError, ClientError, TimeoutError) as exc:
            log.info("Matrix: room key request not sent: %s", exc)
        if room.joined_count > 2:
            return
        identity = f"matrix:{event.sender}"
        t = self.host.translator(await self._chosen_locale(identity))
        where = Where(room.room_id, {"in_reply_to": event.event_id})
        await self.host.tell(
            identity,
            where,
            Reply(t._(UNREADABLE)),
            display_name=room.user_name(event.sender) or "",
            address=room.room_id,
        )

    # -- sending ---------------------------------------------------------------------
    async def deliver(
        self,
        identity: str,
        address: str,
        reply: Reply,
        *,
        key: str = "",
        context: Mapping[str, str] | None = None,
    ) -> None:
        """Send one message; an empty address means "their direct room, made if
        need be". ``key`` becomes the events' transaction ids: sent again after a
        crash or an outage, the homeserver returns what it already has."""
        user_id = identity.split(":", 1)[1]
        room_id = address or await self.out.direct_room(user_id)
        room = self.client.rooms.get(room_id)
        if room is None:
            raise Blocked(f"the bot is not in room {room_id}")
        if user_id not in room.users:
            raise Blocked(f"{user_id} left room {room_id}")
        if reply.choices and room.joined_count > 2:
            reply = await self._with_choice_hint(identity, reply)
        in_reply_to = (context or {}).get("in_reply_to") or None
        await self.out.send(room_id, reply, in_reply_to, txn=key or None)

    async def _with_choice_hint(self, identity: str, reply: Reply) -> Reply:
        """In a shared room a bare number is not read (only what names the bot
        is), so a list of choices there says how to pick one instead."""
        t = self.host.translator(await self._chosen_locale(identity))
        hint = t._(CHOICE_HINT, example=f"{localpart_of(self.user_id)} 1")
        return replace(reply, text=f"{reply.text}\n\n{hint}" if reply.text else hint)


def _own_join(event: Any, user_id: str) -> bool:
    return (
        isinstance(event, RoomMemberEvent)
        and event.state_key == user_id
        and event.membership == "join"
    )
