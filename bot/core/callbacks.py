"""Typed button data, declared with the action that reads it, as aiogram's ``CallbackData``.

A button's data is ``prefix:field:field``: the prefix names the action, the
fields are typed and bounded by the class that declares them, and packing and
parsing happen here only. Whatever a client sends back is parsed as if typed
by a stranger (a button proves nothing): ASCII digits only (``²`` and ``٣``
are digits to ``str.isdigit``, not here), ids that fit an SQLite INTEGER,
tokens without separator or space, literals from their list, at most 64 bytes in
all (Telegram's limit). Anything else raises ``InvalidData``, which the
dispatcher answers with the one "this button is no longer valid".

Buttons name things by their stable internal id (a proposal's id, not the
number staff may change), so an old button acts on what the person read.

Borrowed from aiogram 3: the subclass keyword ``prefix``, ``pack``/``unpack``,
the ``:`` separator, the 64-byte ceiling and pydantic to validate the fields.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

SEP = ":"
MAX_BYTES = 64
MAX_ID = 2**63 - 1
"""The largest SQLite INTEGER: a bigger id could only be forged, and raised OverflowError."""
_DIGITS = re.compile(r"[0-9]{1,19}")
_TOKEN = re.compile(r"[^:\s]+")
MAX_TOKEN_BYTES = 40
_PREFIX = re.compile(r"[a-z][a-z.]{0,15}")


class InvalidData(ValueError):
    """Button data no declaration accepts: unknown, forged, or from an older version."""


def ascii_digits(value: object) -> object:
    """Refuse before pydantic converts: it would read ``٣`` or ``+3`` as an int."""
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        raise ValueError("not a whole number in ASCII digits")
    return value


def _token(value: object) -> object:
    if isinstance(value, str) and not is_token(value):
        raise ValueError("not a token")
    return value


Id = Annotated[int, BeforeValidator(ascii_digits), Field(ge=0, le=MAX_ID)]
"""A stored row's id, a page or an offset: 0 to the largest SQLite INTEGER."""
Token = Annotated[str, BeforeValidator(_token)]
"""A code or a key (INSEE code, theme key): 1 to 40 bytes, no separator, no space.
It is compared with the known codes or keys by the handler that reads it."""


class ButtonData(BaseModel):
    """The typed data of one kind of button; subclasses name their ``prefix``.

    Fields are packed in their declared order; trailing fields with a default
    may be left out, and are when they hold None.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    prefix: ClassVar[str]

    def __init_subclass__(cls, *, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(f"{cls.__name__}: a prefix of safe characters is required")
        cls.prefix = prefix

    def pack(self) -> str:
        parts = [self.prefix]
        values = [getattr(self, name) for name in type(self).model_fields]
        while values and values[-1] is None:
            values.pop()
        for value in values:
            if value is None:
                raise ValueError(f"{self.prefix}: only trailing fields may be left out")
            parts.append(str(value))
        data = SEP.join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"button data longer than {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: str) -> Self:
        if len(data.encode()) > MAX_BYTES:
            raise InvalidData(data[:MAX_BYTES])
        prefix, *parts = data.split(SEP)
        names = list(cls.model_fields)
        if prefix != cls.prefix or len(parts) > len(names):
            raise InvalidData(data)
        try:
            return cls.model_validate(dict(zip(names, parts, strict=False)))
        except ValidationError as error:
            raise InvalidData(data) from error


def is_token(value: str) -> bool:
    """Whether ``value`` may travel as a ``Token`` (a deployment's own theme key may be long)."""
    return bool(_TOKEN.fullmatch(value)) and len(value.encode()) <= MAX_TOKEN_BYTES


def prefix_of(data: str) -> str:
    return data.partition(SEP)[0]
