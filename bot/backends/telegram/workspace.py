"""Co-construction groups on Telegram: bound by the staff, entered by personal links.

A bot cannot create a group, so the staff create one, add the bot as an
administrator (needed to create invite links and to see who joins) and bind it
with a command typed in the group. Each volunteer then gets a link of their
own, created with the Bot API with ``member_limit=1``, so a forwarded link
lets nobody else in. Joins arrive as ``chat_member`` updates, recorded here so
that the staff can be told who came (``bot.delivery.workspaces``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from telegram import ChatMember, Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ChatMemberHandler, ContextTypes, ExtBot

from bot.backends import base
from bot.backends.base import Host
from bot.backends.telegram.send import retry_seconds
from bot.backends.workspace import Unsupported

if TYPE_CHECKING:
    from bot.backends.telegram.backend import TelegramBackend

log = logging.getLogger(__name__)

LINK_NAME_LIMIT = 32
PRESENT = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)


class TelegramWorkspace:
    creates_rooms = False

    def __init__(self, backend: TelegramBackend) -> None:
        self.backend = backend

    async def create(self, name: str, topic: str, moderators: Sequence[str]) -> str:
        raise Unsupported("a Telegram bot cannot create a group: the staff bind one")

    def _bot(self) -> ExtBot[Any]:
        application = self.backend._application
        if application is None:
            raise base.RetryAfter(15.0, "not connected")
        return application.bot

    async def admit(self, room: str, account: str, label: str) -> str:
        try:
            link = await self._bot().create_chat_invite_link(
                chat_id=int(room), member_limit=1, name=label[:LINK_NAME_LIMIT]
            )
        except RetryAfter as exc:
            raise base.RetryAfter(retry_seconds(exc)) from exc
        except TelegramError as exc:
            raise base.DeliveryError(f"no invite link for group {room}: {exc.message}") from exc
        return str(link.invite_link)

    async def remove(self, room: str, account: str, *, joined: bool, link: str) -> None:
        bot = self._bot()
        try:
            if link:
                await bot.revoke_chat_invite_link(chat_id=int(room), invite_link=link)
            if joined:
                # A ban then an unban removes without barring a later return.
                await bot.ban_chat_member(chat_id=int(room), user_id=int(account))
                await bot.unban_chat_member(
                    chat_id=int(room), user_id=int(account), only_if_banned=True
                )
        except (BadRequest, Forbidden) as exc:
            log.warning("Telegram: %s not removed from group %s: %s", account, room, exc.message)
        except TelegramError as exc:
            raise base.DeliveryError(f"{account} not removed from {room}: {exc.message}") from exc


def member_handler(host: Host) -> ChatMemberHandler[Any, None]:
    """Record joins in bound groups (Telegram sends ``chat_member`` to admin bots)."""

    async def on_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.chat_member
        if change is None:
            return
        before, after = change.old_chat_member.status, change.new_chat_member.status
        if after not in PRESENT or before in PRESENT:
            return
        await host.member_joined(
            "telegram", str(change.chat.id), str(change.new_chat_member.user.id)
        )

    return ChatMemberHandler(on_member, ChatMemberHandler.CHAT_MEMBER)
