"""Typed arguments of what people type: command arguments and numbers in a step.

The same rules as button data (``bot.core.callbacks``), for text: ASCII
digits only, bounded, so ``²``, ``٣`` or a 20-digit number are "not a number"
to every flow alike rather than a ValueError or an OverflowError in one of
them. Flows ask here; none converts text to a number itself.
"""

from __future__ import annotations

from bot.core.callbacks import MAX_ID

PROPOSAL_PREFIXES = ("n°", "no.", "no", "#")
MAX_PROPOSAL_NUMBER = 999_999_999


def whole_number(text: str, *, least: int = 0, most: int = MAX_ID) -> int | None:
    """``text`` as a whole number within [least, most], or None."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(most)):
        return None
    value = int(text)
    return value if least <= value <= most else None


def proposal_number(raw: str) -> int | None:
    """``12``, ``#12``, ``n°12``, ``no.12`` → 12; anything else → None."""
    text = raw.strip().lower()
    for prefix in PROPOSAL_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
            break
    return whole_number(text, most=MAX_PROPOSAL_NUMBER)


def whole_numbers(words: tuple[str, ...] | list[str], *, most: int = MAX_ID) -> list[int] | None:
    """Every word a whole number (``/regrouper 3 12 14``), or None if one is not."""
    numbers = [whole_number(word, most=most) for word in words]
    return None if any(n is None for n in numbers) else [n for n in numbers if n is not None]
