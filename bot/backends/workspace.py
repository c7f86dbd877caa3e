"""The seam for co-construction spaces: what a backend can do with a room of its own.

A working space is a room where a proposal's volunteers meet. Matrix lets the
bot create one and invite people; Telegram does not let a bot create a group,
so the staff create it and bind it, and the bot hands each person a link that
admits one member. ``bot.delivery.workspaces`` drives either through this
interface, never through the platform's library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Unsupported(Exception):
    """This platform cannot do that (a Telegram bot creating a group)."""


class Workspace(Protocol):
    creates_rooms: bool
    """True when the bot makes the rooms itself (Matrix); False when staff bind one."""

    async def create(self, name: str, topic: str, moderators: Sequence[str]) -> str:
        """A new private room for volunteers; its id. ``moderators`` are accounts."""

    async def admit(self, room: str, account: str, label: str) -> str:
        """Let ``account`` in: an invite (returns "") or a one-person link (returned)."""

    async def remove(self, room: str, account: str, *, joined: bool, link: str) -> None:
        """Take ``account`` out of the room, or withdraw its invitation or link."""
