"""Neutral message types shared by every backend and every handler.

Handlers only ever see these types, so a flow is written once and rendered
natively by Telegram, Matrix or the console. Nothing here knows a platform.
"""

from __future__ import annotations

from base64 import b64decode, b64encode
from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.text import DISPLAY_NAME_CHARS, clean_line, clean_text


class Kind(StrEnum):
    """What the person did: typed a command, typed free text, or picked a choice."""

    COMMAND = "command"
    TEXT = "text"
    CHOICE = "choice"


@dataclass(frozen=True)
class Incoming:
    """One event from a person, already stripped of its platform specifics.

    ``identity`` is ``backend:id`` (``telegram:123``, ``matrix:@a:b``,
    ``console:alice``); ``event_id`` is the backend's own id, used to refuse
    processing the same event twice after a restart or a redelivery.
    Whatever the person chose (text, arguments, button data, display name) is
    cleaned as the event is built (``bot.core.text``), whichever backend builds it.
    """

    identity: str
    event_id: str
    kind: Kind
    text: str = ""
    command: str = ""
    args: tuple[str, ...] = ()
    data: str = ""
    display_name: str = ""
    language_hint: str = ""
    address: str = ""
    room: str = ""
    """The shared room (a Telegram group) the event was typed in; empty in a private
    chat. Only a flow about that room reads it (binding a co-construction group)."""
    shared: bool = False
    """Said in a room others read (a Telegram group, a Matrix room of more than
    two): only public answers are posted there (``bot.core.shared_rooms``)."""

    def __post_init__(self) -> None:
        cleaned = {
            "text": clean_text(self.text),
            "command": clean_line(self.command),
            "args": tuple(a for a in (clean_line(arg) for arg in self.args) if a),
            "data": clean_line(self.data),
            "display_name": clean_line(self.display_name, DISPLAY_NAME_CHARS),
            "language_hint": clean_line(self.language_hint),
        }
        for name, value in cleaned.items():
            if value != getattr(self, name):
                object.__setattr__(self, name, value)

    @property
    def backend(self) -> str:
        return self.identity.split(":", 1)[0]

    @property
    def arg_text(self) -> str:
        return " ".join(self.args)


@dataclass(frozen=True)
class Choice:
    """A button and its typed equivalent: ``data`` is what the server re-checks."""

    label: str
    data: str


@dataclass(frozen=True)
class Image:
    """A PNG with the text alternative a screen reader reads in its place."""

    png: bytes
    alt: str


@dataclass(frozen=True)
class File:
    """A document to download (export, personal data)."""

    name: str
    content: bytes
    mime: str = "application/octet-stream"


@dataclass
class Reply:
    """What a handler answers; each backend renders it as natively as it can."""

    text: str
    choices: list[Choice] = field(default_factory=list)
    image: Image | None = None
    file: File | None = None
    edit: bool = False

    def to_json(self) -> dict[str, object]:
        """Serialisable form, so a reply can wait in the outbox; an answer's chart
        or file goes with it (base64), as it too must survive a restart."""
        raw: dict[str, object] = {
            "text": self.text,
            "choices": [[c.label, c.data] for c in self.choices],
        }
        if self.image is not None:
            raw["image"] = [b64encode(self.image.png).decode(), self.image.alt]
        if self.file is not None:
            raw["file"] = [self.file.name, b64encode(self.file.content).decode(), self.file.mime]
        if self.edit:
            raw["edit"] = True
        return raw

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> Reply:
        choices_raw = raw.get("choices") or []
        assert isinstance(choices_raw, list)
        image = raw.get("image")
        file = raw.get("file")
        return cls(
            text=str(raw.get("text", "")),
            choices=[Choice(str(label), str(data)) for label, data in choices_raw],
            image=Image(b64decode(str(image[0])), str(image[1]))
            if isinstance(image, list)
            else None,
            file=File(str(file[0]), b64decode(str(file[1])), str(file[2]))
            if isinstance(file, list)
            else None,
            edit=bool(raw.get("edit", False)),
        )


def parse_command(text: str, prefixes: str = "/") -> tuple[str, tuple[str, ...]] | None:
    """Split ``/cmd@bot arg1 arg2`` into (``cmd``, args); None for plain text.

    Only the first word is lower-cased: arguments keep the person's spelling.
    """
    stripped = text.strip()
    if not stripped or stripped[0] not in prefixes:
        return None
    head, _, rest = stripped[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    if not name:
        return None
    return name, tuple(rest.split())


def from_text(
    identity: str,
    event_id: str,
    text: str,
    prefixes: str = "/",
    *,
    display_name: str = "",
    language_hint: str = "",
    address: str = "",
    shared: bool = False,
) -> Incoming:
    """A typed line as an event: a command when it starts with a prefix, else text."""
    text = clean_text(text)
    parsed = parse_command(text, prefixes)
    kind, name, args = (Kind.TEXT, "", ()) if parsed is None else (Kind.COMMAND, *parsed)
    return Incoming(
        identity,
        event_id,
        kind,
        text=text if parsed is None else "",
        command=name,
        args=args,
        display_name=display_name,
        language_hint=language_hint,
        address=address,
        shared=shared,
    )
