"""Sending to Matrix: answers, attachments, notifications to a direct room,
and the refusals translated into what the outbox understands.
"""

from __future__ import annotations

import asyncio
import io
import itertools
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    ErrorResponse,
    LocalProtocolError,
    RoomCreateError,
    RoomSendError,
    SendRetryError,
    UploadError,
)
from nio.api import RoomPreset
from nio.exceptions import EncryptionError, OlmTrustError

from bot.backends.base import Blocked, DeliveryError, Host, Rejected, RetryAfter, Unreachable
from bot.backends.matrix import render as matrix_render
from bot.core.messages import Reply

DIRECT_ROOM = "matrix:direct:"
# What a proxy answers while the homeserver behind it restarts.
GATEWAY_STATUSES = (502, 503, 504)


def delivery_error(response: ErrorResponse) -> DeliveryError:
    """A refused request as the outbox understands it: wait, give up, or retry."""
    code = response.status_code or ""
    if code == "M_LIMIT_EXCEEDED":  # the account's rate, not a room's: the whole lane waits
        return RetryAfter((response.retry_after_ms or 5000) / 1000, whole_lane=True)
    if code == "M_FORBIDDEN":
        return Blocked(f"{code}: {response.message}")
    status = getattr(response.transport_response, "status", None)
    if status in GATEWAY_STATUSES:
        return Unreachable(f"HTTP {status}: {response.message}")
    if status == 400:
        return Rejected(f"{code or 'error'}: {response.message}")
    return DeliveryError(f"{code or 'error'}: {response.message}")


class MatrixOutgoing:
    """Everything the bot sends goes through here, encrypted when the room is.

    Before each send the keys of new devices are fetched and the room key is
    shared (nio does the latter in ``room_send``); unverified devices still
    receive it, as a person's phone is never verified by a bot.
    """

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.state: Host | None = None
        """Where the direct rooms are remembered; given by ``MatrixBackend.run``."""

    async def send(
        self, room_id: str, reply: Reply, in_reply_to: str | None, *, txn: str | None = None
    ) -> None:
        """Send a reply as notices, then its image or file; raise what the outbox needs.

        ``txn`` names the reply's events (``txn.0``, ``txn.1``…): sending the
        same reply again with the same ``txn`` makes the homeserver return the
        events it already has instead of posting them twice.
        """
        if room_id not in self.client.rooms:
            raise Blocked(f"the bot is not in room {room_id}")
        numbers = itertools.count()

        def tx_id() -> str | None:
            return f"{txn}.{next(numbers)}" if txn else None

        try:
            for content in matrix_render.contents(reply, in_reply_to):
                await self._room_send(room_id, content, tx_id())
            if reply.image is not None:
                image = reply.image
                alt = image.alt or "image.png"
                await self._attach(room_id, "m.image", alt, "image/png", image.png, tx_id())
            if reply.file is not None:
                file = reply.file
                await self._attach(room_id, "m.file", file.name, file.mime, file.content, tx_id())
        except (ClientError, TimeoutError) as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
        except (
            LocalProtocolError,
            SendRetryError,
            OlmTrustError,
            EncryptionError,
        ) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc

    async def _room_send(
        self, room_id: str, content: dict[str, Any], tx_id: str | None = None
    ) -> None:
        if self.client.should_query_keys:
            await self.client.keys_query()
        response = await self.client.room_send(
            room_id, "m.room.message", content, tx_id=tx_id, ignore_unverified_devices=True
        )
        if isinstance(response, RoomSendError):
            raise delivery_error(response)

    async def _attach(
        self,
        room_id: str,
        msgtype: str,
        name: str,
        mime: str,
        data: bytes,
        tx_id: str | None = None,
    ) -> None:
        encrypt = room_id in self.client.encrypted_rooms
        filename = "image.png" if msgtype == "m.image" else name
        uploaded, keys = await self.client.upload(
            io.BytesIO(data), mime, filename, encrypt=encrypt, filesize=len(data)
        )
        if isinstance(uploaded, UploadError):
            raise delivery_error(uploaded)
        dimensions = matrix_render.png_size(data) if mime == "image/png" else None
        content = matrix_render.attachment(
            msgtype, name, mime, len(data), uploaded.content_uri, keys, dimensions
        )
        await self._room_send(room_id, content, tx_id)

    async def direct_room(self, user_id: str) -> str:
        """The direct room the bot opened for someone heard only in shared rooms.

        Remembered in SQLite so each notification does not open another room.
        Encrypted from the start, as Tchap's private rooms are.
        """
        state = self.state
        assert state is not None
        key = DIRECT_ROOM + user_id
        known = await state.get_state(key)
        if known and known in self.client.rooms:
            return known
        try:
            created = await self.client.room_create(
                is_direct=True,
                invite=[user_id],
                preset=RoomPreset.trusted_private_chat,
                initial_state=[
                    {
                        "type": "m.room.encryption",
                        "state_key": "",
                        "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                    }
                ],
            )
        except (ClientError, TimeoutError) as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
        if isinstance(created, RoomCreateError):
            raise delivery_error(created)
        await state.set_state(key, created.room_id)
        await self._wait_for_member(created.room_id, user_id)
        return str(created.room_id)

    async def _wait_for_member(self, room_id: str, user_id: str, within: float = 30) -> None:
        """Members are known once the sync loop sees the new room; sending earlier
        would encrypt for nobody."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while user_id not in getattr(self.client.rooms.get(room_id), "users", ()):
            if loop.time() > deadline:
                raise DeliveryError(f"room {room_id} did not appear in sync")
            await asyncio.sleep(0.1)
