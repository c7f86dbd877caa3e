"""Telegram's platform limits, and a neutral ``Reply`` turned into Bot API messages.

Everything here is pure (no network), so the limits are tested without a bot.
Lengths are counted in UTF-16 code units, the unit Telegram counts entities
in: it is never smaller than the number of characters, so a part that fits by
this measure fits whatever Telegram counts.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.backends.render import numbered
from bot.core.messages import Choice, Reply

# -- platform limits, in one place ---------------------------------------------------
TEXT_LIMIT = 4096
"""Characters of a message's text, after entity parsing."""
CAPTION_LIMIT = 1024
"""Characters of a photo or document caption, after entity parsing."""
CALLBACK_DATA_LIMIT = 64
"""Bytes (UTF-8) of an inline button's callback data."""
KEYBOARD_BUTTON_LIMIT = 100
"""Buttons in one inline keyboard (not in the Bot API docs; larger ones are refused)."""
COMMAND_DESCRIPTION_LIMIT = 256
"""Characters of a command's description in the command menu."""
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
"""What Telegram accepts as a command name in the menu."""
DEEP_LINK_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""What a ``t.me/<bot>?start=<payload>`` link may carry."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fits_callback(data: str) -> bool:
    return 0 < len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT


def _prefix_within(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut ``text`` into parts within ``limit``, preferring to cut between
    paragraphs, then lines, then words, and only then inside a word."""
    parts: list[str] = []
    rest = text.strip()  # Telegram trims messages anyway
    while utf16_len(rest) > limit:
        window = rest[: _prefix_within(rest, limit)]
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator)
            if cut > 0:
                break
        else:
            separator, cut = "", len(window)
        head = rest[:cut].rstrip()
        if head:
            parts.append(head)
        rest = rest[cut + len(separator) :].lstrip("\n")
    if rest.strip():
        parts.append(rest)
    return parts


def escape(text: str) -> str:
    """Handler text is plain text: under HTML parse mode it must show as typed."""
    return html.escape(text, quote=False)


def keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup | None:
    """One button per row (labels are long place names), or None when the
    choices cannot all be buttons: then the caller falls back to a numbered
    list, which the router understands as well, rather than send a broken one."""
    if not choices or len(choices) > KEYBOARD_BUTTON_LIMIT:
        return None
    if not all(fits_callback(choice.data) for choice in choices):
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(choice.label, callback_data=choice.data)] for choice in choices]
    )


@dataclass(frozen=True)
class Text:
    html: str


@dataclass(frozen=True)
class Photo:
    png: bytes
    caption: str


@dataclass(frozen=True)
class Document:
    name: str
    content: bytes


Part = Text | Photo | Document


@dataclass(frozen=True)
class Rendered:
    """The messages one reply becomes; the keyboard goes on the last one, where
    the person's eyes (and a screen reader) end up."""

    parts: tuple[Part, ...]
    keyboard: InlineKeyboardMarkup | None

    @property
    def single_text(self) -> Text | None:
        """The only part when it is a text, i.e. when the reply can replace a message."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Text):
            return self.parts[0]
        return None


def _texts(text: str) -> list[Part]:
    return [Text(escape(part)) for part in split_text(text)]


def render(reply: Reply) -> Rendered:
    markup = keyboard(reply.choices)
    text = reply.text
    if reply.choices and (markup is None or not text.strip()):
        text = numbered(Reply(text, reply.choices))
    parts = _texts(text)
    if reply.image is not None:
        alt = reply.image.alt
        if utf16_len(alt) <= CAPTION_LIMIT:
            parts.append(Photo(reply.image.png, escape(alt)))
        else:
            parts.append(Photo(reply.image.png, ""))
            parts.extend(_texts(alt))
    if reply.file is not None:
        parts.append(Document(reply.file.name, reply.file.content))
    return Rendered(tuple(parts), markup if parts else None)


def menu(entries: Iterable[tuple[str, str]]) -> list[BotCommand]:
    """(name, description) pairs as a command menu, without those Telegram would refuse."""
    commands = []
    for name, description in entries:
        if COMMAND_NAME.match(name) and description.strip():
            commands.append(BotCommand(name, description[:COMMAND_DESCRIPTION_LIMIT]))
    return commands


def deep_link(username: str, payload: str = "") -> str:
    """``t.me`` link to a private chat with the bot; ``payload`` arrives as ``/start payload``."""
    link = f"https://t.me/{username}"
    return f"{link}?start={payload}" if DEEP_LINK_PAYLOAD.match(payload) else link
