"""Online copies of the database, consistent while the bot writes.

SQLite's backup API copies page by page under the database's own locking,
so a copy taken during a broadcast is a snapshot, never a torn file.
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite


async def copy(source: str | Path, destination: str | Path) -> int:
    """Copy ``source`` into ``destination`` (replaced); return the page count."""
    destination = Path(destination)
    if destination.exists():
        destination.unlink()
    async with aiosqlite.connect(str(source)) as src, aiosqlite.connect(str(destination)) as dst:
        await src.backup(dst)
        await dst.execute("PRAGMA journal_mode=DELETE")
        cursor = await dst.execute("PRAGMA integrity_check")
        row = await cursor.fetchone()
        if row is None or row[0] != "ok":
            raise RuntimeError(f"the copy in {destination} failed its integrity check")
        cursor = await dst.execute("PRAGMA page_count")
        pages = await cursor.fetchone()
    return int(pages[0]) if pages else 0
