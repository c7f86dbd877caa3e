"""A rendered reply sent (or edited in place) through PTB's bot.

Every message leaves through the outbox, which paces the sends and meets a
429 itself (``bot.delivery``): nothing here waits or retries.
"""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta
from typing import Any

from telegram import InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter
from telegram.ext import ExtBot
from telegram.warnings import PTBDeprecationWarning

from bot.backends.telegram.render import Document, Photo, Text, render
from bot.core.messages import Reply

log = logging.getLogger(__name__)


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds to wait, whichever type this PTB release gives ``retry_after``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def parse_chat_id(raw: str) -> int | str:
    """Chat ids are integers; ``@channelname`` stays a string."""
    return int(raw) if raw.lstrip("-").isdigit() else raw


async def send(bot: ExtBot[Any], chat: int | str, reply: Reply) -> None:
    """The reply's messages in order, the keyboard on the last one.

    A photo Telegram refuses falls back to its text alternative, never to an error.
    """
    rendered = render(reply)
    last = len(rendered.parts) - 1
    for index, part in enumerate(rendered.parts):
        markup = rendered.keyboard if index == last else None
        if isinstance(part, Text):
            await bot.send_message(
                chat,
                part.html,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        elif isinstance(part, Photo):
            try:
                await bot.send_photo(
                    chat,
                    part.png,
                    caption=part.caption or None,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            except BadRequest as exc:
                log.warning("Telegram refused a photo (%s): sending its text instead", exc)
                if part.caption:
                    await bot.send_message(
                        chat,
                        part.caption,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )
        elif isinstance(part, Document):
            await bot.send_document(
                chat,
                InputFile(part.content, filename=part.name),
                reply_markup=markup,
            )


async def edit(bot: ExtBot[Any], chat: int | str, message_id: int, reply: Reply) -> bool:
    """Replace a message's text and keyboard (the one whose button was pressed);
    False when it cannot be (several parts, media, a message too old to edit),
    so the caller sends it."""
    part = (rendered := render(reply)).single_text
    if part is None:
        return False
    try:
        await bot.edit_message_text(
            part.html,
            chat_id=chat,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=rendered.keyboard,
        )
    except BadRequest as exc:
        return "not modified" in exc.message
    return True
