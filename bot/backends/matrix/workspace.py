"""Co-construction rooms on Matrix: the bot creates them and manages who is invited.

A room is private (invitation only), end-to-end encrypted from its creation
(as Tchap's private rooms are), named after the proposal, with its summary as
topic; the staff get the moderator power level (50), the bot keeps its
creator's power to go on inviting and removing. Removing someone who never joined withdraws the
invitation: in Matrix a kick does both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from nio import (
    EnableEncryptionBuilder,
    RoomCreateError,
    RoomGetStateEventError,
    RoomInviteError,
    RoomKickError,
    RoomPreset,
    RoomPutStateError,
    RoomVisibility,
)

from bot.backends.base import DeliveryError, until_connected

if TYPE_CHECKING:
    from bot.backends.matrix.backend import MatrixBackend

MODERATOR = 50
NAME_LIMIT = 255
TOPIC_LIMIT = 1000
NOT_CONNECTED_RETRY = 30.0


class MatrixWorkspace:
    creates_rooms = True

    def __init__(self, backend: MatrixBackend) -> None:
        self.backend = backend

    async def create(self, name: str, topic: str, moderators: Sequence[str]) -> str:
        await until_connected(self.backend.ready, 5.0, NOT_CONNECTED_RETRY)
        me = self.backend.user_id
        staff = [m for m in dict.fromkeys(moderators) if m != me]
        response = await self.backend.client.room_create(
            visibility=RoomVisibility.private,
            name=name[:NAME_LIMIT],
            topic=topic[:TOPIC_LIMIT],
            preset=RoomPreset.private_chat,
            invite=staff,
            initial_state=[EnableEncryptionBuilder().as_dict()],
        )
        if isinstance(response, RoomCreateError):
            raise DeliveryError(f"room not created: {response.message}")
        room = str(response.room_id)
        if staff:
            await self._moderators(room, staff)
        return room

    async def _moderators(self, room: str, staff: list[str]) -> None:
        """Raise the staff to moderators in the room's own power levels.

        Done after creation rather than with ``power_level_content_override``:
        overriding ``users`` must list the creator in older room versions (or
        the bot loses its power) and must not in version 12 (creators are above
        any level), so the levels the server wrote are read and amended.
        """
        client = self.backend.client
        current = await client.room_get_state_event(room, "m.room.power_levels", "")
        if isinstance(current, RoomGetStateEventError):
            raise DeliveryError(f"power levels of {room} unreadable: {current.message}")
        content = dict(current.content)
        content["users"] = {**content.get("users", {}), **dict.fromkeys(staff, MODERATOR)}
        written = await client.room_put_state(room, "m.room.power_levels", content, "")
        if isinstance(written, RoomPutStateError):
            raise DeliveryError(f"staff not made moderators of {room}: {written.message}")

    async def admit(self, room: str, account: str, label: str) -> str:
        await until_connected(self.backend.ready, 5.0, NOT_CONNECTED_RETRY)
        response = await self.backend.client.room_invite(room, account)
        if isinstance(response, RoomInviteError) and not _already(response):
            raise DeliveryError(f"{account} not invited to {room}: {response.message}")
        return ""

    async def remove(self, room: str, account: str, *, joined: bool, link: str) -> None:
        await until_connected(self.backend.ready, 5.0, NOT_CONNECTED_RETRY)
        response = await self.backend.client.room_kick(
            room, account, reason="left the co-construction"
        )
        if isinstance(response, RoomKickError) and not _gone(response):
            raise DeliveryError(f"{account} not removed from {room}: {response.message}")


def _already(error: RoomInviteError) -> bool:
    """Synapse refuses to invite someone already in the room: that is success here."""
    return "already in the room" in (error.message or "")


def _gone(error: RoomKickError) -> bool:
    """Removing someone no longer there (they left, or declined) is done already."""
    message = error.message or ""
    return "not in the room" in message or "not a member" in message.lower()
