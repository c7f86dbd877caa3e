"""``guichet export``: the committee's files written to a folder, for the operator.

The same tables as ``/export`` in the chat (``bot.render.exports``), audit log
included, since whoever holds the database file may read it anyway. The
export is recorded in the audit log as done from the command line.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from bot.core.clock import SystemClock
from bot.core.i18n import LOCALES, Translations
from bot.core.messages import File
from bot.render import exports
from storage import audit, consultations
from storage.db import Database

CHOICES: dict[str, tuple[exports.Format, ...]] = {
    "csv": ("csv",),
    "xlsx": ("xlsx",),
    "both": ("csv", "xlsx"),
}
LABEL = "command line"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "export",
        help="write contributions, proposals, supports and the audit log as CSV and/or XLSX",
    )
    parser.add_argument("--config")
    parser.add_argument("--db")
    parser.add_argument("--out", default=".", help="folder to write into (default: here)")
    parser.add_argument("--format", choices=sorted(CHOICES), default="both")
    parser.add_argument(
        "--lang", choices=LOCALES, default="fr", help="language of the column headers"
    )


def _write(out: Path, produced: list[tuple[File, exports.Table | None]]) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for file, table in produced:
        path = out / file.name
        path.write_bytes(file.content)
        lines.append(f"{path}\t{table.count} rows" if table else f"{path}\tall tables")
    return lines


async def run(args: argparse.Namespace, db_path: str) -> int:
    out = Path(args.out)
    db = await Database.open(db_path)
    try:
        consultation = await consultations.current(db)
        if consultation is None:
            print("guichet: this database holds no consultation: nothing to export")
            return 2
        now = SystemClock().now()
        t = Translations().get(args.lang)
        built = await exports.tables(db, consultation.id, audit=True, votes=consultation.has_votes)
        formats = CHOICES[args.format]
        produced = exports.files(t, built, formats, exports.file_stem(consultation.slug, now))
        for line in await asyncio.to_thread(_write, out, produced):
            print(line)
        async with db.transaction():
            await audit.record(
                db,
                staff_id=None,
                staff_label=LABEL,
                action="export",
                target=f"consultation:{consultation.id}",
                detail={
                    "formats": list(formats),
                    "rows": {table.key: table.count for table in built},
                },
                now=now,
            )
        return 0
    finally:
        await db.close()
