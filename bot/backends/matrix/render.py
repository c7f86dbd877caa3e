"""How a neutral ``Reply`` becomes Matrix event content, and a message text.

Pure functions, so the event shape (``m.notice``, HTML with a plain fallback,
reply relation, size limit) is tested without a homeserver.
"""

from __future__ import annotations

import html
import struct
from typing import Any

from bot.backends.render import numbered
from bot.core.messages import Reply

# The homeserver refuses an event over 65,536 bytes. nio writes JSON with
# \u escapes (up to 3 bytes per UTF-8 byte of text) and an encrypted event is
# base64 of that (4/3 more): 12,000 bytes of text, counting the plain body and
# the HTML together, stays under the limit with room for the envelope.
MAX_TEXT_BYTES = 12_000


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br/>")


def text_cost(text: str) -> int:
    """Bytes a text costs in an event: once plain, once as escaped HTML."""
    return len(text.encode()) + len(_html(text).encode())


def split_text(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """Cut a long text at line ends (or anywhere, for a monster line) under ``limit``.

    Handlers write short answers, but a list (calendar, proposals) may grow
    with the data; splitting beats a refused event that the person never sees.
    The cost is a sum over characters, so cutting never makes a piece dearer.
    """
    chunks: list[str] = []
    current, size = "", 0
    newline = text_cost("\n")
    for line in text.split("\n"):
        cost = text_cost(line)
        joined = size + newline + cost if current else cost
        if joined <= limit and (current or cost <= limit):
            current = f"{current}\n{line}" if current else line
            size = joined
            continue
        if current:
            chunks.append(current)
        while cost > limit:
            taken = 0
            for count, char in enumerate(line):
                taken += text_cost(char)
                if taken > limit:
                    chunks.append(line[:count])
                    line = line[count:]
                    break
            cost = text_cost(line)
        current, size = line, cost
    if current or not chunks:
        chunks.append(current)
    return chunks


def contents(reply: Reply, in_reply_to: str | None = None) -> list[dict[str, Any]]:
    """The ``m.notice`` events for one reply, in order; the choices close the last.

    A notice, because bots answer with notices: clients do not ping for them
    and other bots do not answer them, which prevents bot-to-bot loops. The
    choices are an ordered list in HTML and a numbered list in plain text, and
    the number is what the person types back.
    """
    head = reply.text
    if reply.image is not None:
        head = f"{head}\n[image: {reply.image.alt}]" if head else f"[image: {reply.image.alt}]"
    plain_all = numbered(reply)
    chunks = split_text(head) if head else [""]
    result = []
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        body = chunk
        formatted = _html(chunk)
        if last and reply.choices:
            body = plain_all if len(chunks) == 1 else numbered(Reply(chunk, reply.choices))
            items = "".join(f"<li>{html.escape(c.label)}</li>" for c in reply.choices)
            formatted = f"{formatted}<ol>{items}</ol>" if chunk else f"<ol>{items}</ol>"
        content: dict[str, Any] = {
            "msgtype": "m.notice",
            "body": body,
            "format": "org.matrix.custom.html",
            "formatted_body": formatted,
            "m.mentions": {},
        }
        if in_reply_to:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": in_reply_to}}
        result.append(content)
    return result


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or None if the bytes are no PNG.

    Clients reserve the image's box from ``info.w``/``info.h`` before it is
    downloaded; without them the timeline jumps. The IHDR chunk always comes
    first, so bytes 16..24 are enough and no image library is needed.
    """
    if len(png) < 24 or not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def attachment(
    msgtype: str,
    name: str,
    mime: str,
    size: int,
    url: str,
    keys: dict[str, Any] | None,
    dimensions: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """An ``m.image``/``m.file`` event; encrypted rooms carry the key in ``file``.

    ``name`` is the body: for an image, its text alternative, which is what a
    screen reader and a client without media show in place of the image.
    """
    info: dict[str, Any] = {"mimetype": mime, "size": size}
    if dimensions is not None:
        info["w"], info["h"] = dimensions
    content: dict[str, Any] = {"msgtype": msgtype, "body": name, "info": info}
    if keys is not None:
        content["file"] = {"url": url, **keys}
    else:
        content["url"] = url
    return content


def strip_reply_fallback(body: str) -> str:
    """Drop the ``> <@bot:hs> quoted text`` lines older clients prepend to a reply.

    A person who answers a menu with their client's Reply button types "2",
    but the body arrives as the quote followed by "2".
    """
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> <"):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    return "\n".join(lines[index:]).strip()


def strip_address(body: str, names: list[str]) -> tuple[str, bool]:
    """Remove a leading ``guichet:`` / ``Guichet,`` / ``@guichet``; (rest, addressed).

    In a shared room the bot answers only when spoken to, and what follows
    the name is the actual message (``guichet 2`` picks choice 2).
    """
    stripped = body.lstrip()
    lowered = stripped.lower()
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        for candidate in (name.lower(), "@" + name.lower()):
            if not lowered.startswith(candidate):
                continue
            rest = stripped[len(candidate) :]
            if rest and rest[0].isalnum():
                continue
            return rest.lstrip(" :,>-\u00a0").strip(), True
    return body, False
