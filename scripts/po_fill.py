"""Fill catalogs after ``pybabel update``.

English msgids are the English text, so the ``en`` catalog copies every empty
msgstr from its msgid (both forms for plurals). For another language,
``--from FILE.json`` (a mapping msgid → translation, or → [singular, plural]
keyed by the singular msgid) fills the entries a translator prepared in bulk.
Fuzzy flags are cleared only where a translation is written.

A French catalog is then typeset as a whole (``bot.core.french.typeset``:
no-break spaces before ``: ; ! ?`` and inside « »), so translators may type
ordinary spaces and the catalog test of French typography still holds.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from bot.core.french import typeset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("po", type=Path)
    parser.add_argument("--copy-msgid", action="store_true", help="msgstr = msgid when empty")
    parser.add_argument("--from", dest="source", type=Path, help="JSON msgid → translation")
    args = parser.parse_args()
    with args.po.open("rb") as handle:
        catalog = read_po(handle)
    mapping: dict[str, str | list[str]] = {}
    if args.source:
        mapping = json.loads(args.source.read_text(encoding="utf-8"))
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        plural = isinstance(message.id, tuple)
        key = message.id[0] if plural else message.id
        empty = not all(message.string) if plural else not message.string
        if key in mapping:
            value = mapping[key]
            if plural:
                forms = list(value)
                # Pad to the language's number of forms (CLDR gives French a third).
                forms += forms[-1:] * (catalog.num_plurals - len(forms))
                message.string = tuple(forms[: catalog.num_plurals])
            else:
                message.string = value
        elif args.copy_msgid and empty:
            message.string = message.id
        else:
            continue
        message.flags.discard("fuzzy")
        filled += 1
    if catalog.locale is not None and catalog.locale.language == "fr":
        for message in catalog:
            if message.id and isinstance(message.string, tuple):
                message.string = tuple(typeset(form) for form in message.string)
            elif message.id and message.string:
                message.string = typeset(message.string)
    with args.po.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True)
    print(f"{args.po}: {filled} entries filled")


if __name__ == "__main__":
    main()
