"""Matrix: an image the bot sends carries its text alternative and its size.

Reproduces what was found: every chart went out with the body "image.png"
(what a screen reader and a client without media show) and an ``info``
without width or height, so clients could not reserve its place.
"""

from __future__ import annotations

import struct
import zlib

from bot.app import App
from bot.backends.matrix.render import png_size
from bot.core.messages import Image, Reply
from tests.matrix.conftest import Bots, NewPerson


def tiny_png(width: int, height: int) -> bytes:
    """A real, decodable grey PNG, built by hand so the test needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_png_size_reads_the_header_and_refuses_what_is_not_png() -> None:
    assert png_size(tiny_png(640, 7)) == (640, 7)
    assert png_size(b"GIF89a" + b"\x00" * 30) is None
    assert png_size(tiny_png(3, 2)[:20]) is None


async def test_an_image_carries_its_alt_text_and_its_size(
    app: App, bots: Bots, new_person: NewPerson
) -> None:
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id)
    png = tiny_png(31, 17)
    alt = "Graphique : 17 propositions soutenues"
    await bot.deliver(f"matrix:{mayor.user_id}", room, Reply("Résultats", image=Image(png, alt)))
    _, media = await mayor.until(lambda: mayor.media and mayor.media[-1])
    content = media.source["content"]
    assert content["msgtype"] == "m.image"
    assert content["body"] == alt
    assert content["info"] == {"mimetype": "image/png", "size": len(png), "w": 31, "h": 17}
