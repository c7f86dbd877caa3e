"""Typed arguments of what people type: command arguments and numbers in a step.

The same rules as button data (``bot.core.callbacks``), for text: ASCII
digits only, bounded, so ``²``, ``٣`` or a 20-digit number are "not a number"
to every flow alike rather than a ValueError or an OverflowError in one of
them. Flows ask here; none converts text to a number itself.

A command whose arguments have a fixed shape declares them as a
``CommandArgs`` class with the command, as maubot's ``@command.argument``
does: the words are parsed before the handler runs, which receives them typed,
and anything else gets the class's usage line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, Self, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from bot.core.callbacks import MAX_ID, ascii_digits

PROPOSAL_PREFIXES = ("n°", "no.", "no", "#")
MAX_PROPOSAL_NUMBER = 999_999_999
MAX_PAGE = 999_999

Page = Annotated[int, BeforeValidator(ascii_digits), Field(ge=0, le=MAX_PAGE)]
"""A page, or a number staff type that stays small (a proposal number to edit)."""
Number = Annotated[int, BeforeValidator(ascii_digits), Field(ge=0, le=MAX_PROPOSAL_NUMBER)]
"""A proposal or contribution number typed after a command."""


class InvalidArguments(ValueError):
    """Words that do not fit a command's declared arguments."""


class CommandArgs(BaseModel):
    """A command's arguments, one word per field in order; a last ``list`` field
    takes the remaining words. ``usage`` is the msgid answered when they do not
    fit, with ``{command}`` the command as the person types it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    usage: ClassVar[str]

    @classmethod
    def parse(cls, words: Sequence[str]) -> Self:
        values: dict[str, Any] = {}
        names = list(cls.model_fields)
        for index, name in enumerate(names):
            if get_origin(cls.model_fields[name].annotation) is list:
                values[name] = list(words[index:])
                break
            if index < len(words):
                values[name] = words[index]
        else:
            if len(words) > len(names):
                raise InvalidArguments(" ".join(words)[:80])
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise InvalidArguments(" ".join(words)[:80]) from error


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
