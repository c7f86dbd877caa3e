"""A person on a Matrix app, played by a real nio client with encryption on.

It syncs in the background like an app does (``sync_forever`` uploads,
queries and claims keys), records the bot's notices as it decrypts them, and
offers what a test needs: open a direct room, say something, wait for the
answer to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    MegolmEvent,
    RoomCreateError,
    RoomEncryptedMedia,
    RoomMessageMedia,
    RoomMessageNotice,
    RoomSendError,
)
from nio.api import RoomPreset

from tests.matrix.synapse_server import Synapse

WAIT = 20.0


class Person:
    def __init__(self, synapse: Synapse, localpart: str, store: Path) -> None:
        self.synapse = synapse
        self.user_id = synapse.user_id(localpart)
        self.password = "secret-" + localpart
        store.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(
            synapse.url,
            self.user_id,
            device_id="PHONE",
            store_path=str(store),
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
        )
        self.notices: list[tuple[str, RoomMessageNotice]] = []
        self.undecrypted: list[MegolmEvent] = []
        self.media: list[tuple[str, RoomMessageMedia | RoomEncryptedMedia]] = []
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    @classmethod
    async def create(cls, synapse: Synapse, prefix: str, folder: Path) -> Person:
        localpart = synapse.unique(prefix)
        person = cls(synapse, localpart, folder / localpart)
        await asyncio.to_thread(synapse.register, localpart, person.password)
        return person

    async def start(self) -> None:
        response = await self.client.login(self.password, device_name="phone")
        assert self.client.access_token, response
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        self.client.add_event_callback(self._on_notice, RoomMessageNotice)
        self.client.add_event_callback(self._on_undecrypted, MegolmEvent)
        self.client.add_event_callback(self._on_media, (RoomMessageMedia, RoomEncryptedMedia))
        self.client.add_response_callback(self._on_sync)
        await self.client.sync(timeout=0, full_state=True)
        self._task = asyncio.create_task(self.client.sync_forever(timeout=500))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.client.close()

    async def _on_notice(self, room: Any, event: RoomMessageNotice) -> None:
        self.notices.append((room.room_id, event))
        self._changed.set()

    async def _on_media(self, room: Any, event: RoomMessageMedia | RoomEncryptedMedia) -> None:
        self.media.append((room.room_id, event))

    async def _on_undecrypted(self, room: Any, event: MegolmEvent) -> None:
        self.undecrypted.append(event)

    async def _on_sync(self, response: Any) -> None:
        self._changed.set()

    async def until(self, check: Callable[[], Any], within: float = WAIT) -> Any:
        """Wait until ``check()`` is truthy (re-checked after every sync); return it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            result = check()
            if result:
                return result
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"{self.user_id}: condition not met within {within}s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=min(left, 0.5))
            except TimeoutError:
                pass

    # -- acting ------------------------------------------------------------------------
    async def open_direct(self, bot_id: str, *, encrypted: bool = False) -> str:
        """Create a direct room, invite the bot and wait until it has greeted us."""
        initial_state = []
        if encrypted:
            initial_state.append(
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            )
        created = await self.client.room_create(
            is_direct=True,
            invite=[bot_id],
            preset=RoomPreset.trusted_private_chat,
            initial_state=initial_state,
        )
        assert not isinstance(created, RoomCreateError), created
        room_id = str(created.room_id)
        await self.until(lambda: self.has_joined(room_id, bot_id))
        await self.until(lambda: self.notices_in(room_id))
        return room_id

    def has_joined(self, room_id: str, user_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return bool(room and user_id in room.users and not room.users[user_id].invited)

    async def say(self, room_id: str, text: str, **extra: Any) -> str:
        await self.until(lambda: room_id in self.client.rooms)
        content = {"msgtype": "m.text", "body": text, **extra}
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert not isinstance(response, RoomSendError), response
        return str(response.event_id)

    def answers(self, event_id: str) -> list[RoomMessageNotice]:
        """The bot's notices sent in reply to ``event_id``, in order."""
        return [
            event
            for _, event in self.notices
            if event.source.get("content", {})
            .get("m.relates_to", {})
            .get("m.in_reply_to", {})
            .get("event_id")
            == event_id
        ]

    async def ask(self, room_id: str, text: str, count: int = 1) -> list[RoomMessageNotice]:
        """Say ``text`` and wait for ``count`` answers to it."""
        event_id = await self.say(room_id, text)
        return list(
            await self.until(
                lambda: len(self.answers(event_id)) >= count and self.answers(event_id)
            )
        )

    def notices_in(self, room_id: str) -> list[RoomMessageNotice]:
        return [event for room, event in self.notices if room == room_id]
