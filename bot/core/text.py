"""Text from the platforms, made safe to store and to show, at the edge.

Whatever a person types or chose as a display name reaches the staff's
views, the logs and SQLite. Control characters and bidi overrides can make
a line read differently from what it holds (a name that reverses the text
after it, or that starts a forged "Identity:" line); a lone surrogate, which
JSON lets a platform send, cannot even be encoded in UTF-8 and made every
message from its sender fail. Every ``Incoming`` passes through here, so no
backend and no handler has to remember it.
"""

from __future__ import annotations

import re
import unicodedata

DISPLAY_NAME_CHARS = 80
"""Longer names are cut: a name is a label in a list, not a message."""

_NEWLINES = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_SURROGATES = re.compile("[\ud800-\udfff]")
# C0 and C1 controls but the newline, DEL, and the invisible format characters
# that reorder or hide text: bidi embeddings, overrides, isolates and marks, the
# Arabic letter mark, zero-width space and word joiner, soft hyphen, BOM.
_HIDDEN = re.compile(
    "[\x00-\x09\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
# Format characters that carry meaning: joiners (emoji sequences, Persian,
# Indic scripts) and the tags of subdivision flags.
_KEPT_FORMAT = frozenset({"\u200c", "\u200d", *map(chr, range(0xE0020, 0xE0080))})


def _format_characters() -> re.Pattern[str]:
    """Every other invisible format character (category Cf) as one regex class.

    They live in planes 0, 1 and 14 only; scanning those once at import (about
    15 ms) beats asking ``unicodedata`` about each character of each message.
    """
    found = [
        chr(code)
        for code in (*range(0x20000), *range(0xE0000, 0xE1000))
        if unicodedata.category(chr(code)) == "Cf" and chr(code) not in _KEPT_FORMAT
    ]
    return re.compile("[" + "".join(re.escape(ch) for ch in found) + "]")


_FORMAT = _format_characters()


def clean_text(text: str) -> str:
    """Free text as a person wrote it, lines kept, nothing hidden left in it."""
    if not text:
        return text
    text = _NEWLINES.sub("\n", text)
    text = _SURROGATES.sub("\ufffd", text)
    text = _HIDDEN.sub(lambda m: " " if m.group() == "\t" else "", text)
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _FORMAT.sub("", text))


def clean_line(text: str, limit: int | None = None) -> str:
    """A name or a label: one line, spaces collapsed, at most ``limit`` characters."""
    line = " ".join(clean_text(text).split())
    if limit is not None and len(line) > limit:
        line = line[: limit - 1] + "…"
    return line


def chosen(name: str) -> str:
    """A name the person chose, quoted, for a line the staff read: a name from
    before these rules may still hold anything, so it is cleaned here again."""
    return f"“{clean_line(name, DISPLAY_NAME_CHARS) or '—'}”"
