"""Idempotence and backend cursors: processed event ids, offsets, sync tokens."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from storage.db import Database
from storage.instants import to_iso


def claim_sync(conn: sqlite3.Connection, event_id: str, stamp: str) -> bool:
    """Record an event id; False when it was already processed (a redelivery)."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO processed_events(event_id, processed_at) VALUES (?, ?)",
        (event_id, stamp),
    )
    return cursor.rowcount == 1


async def seen(db: Database, event_id: str) -> bool:
    """Whether the event was processed (within the days its id is kept)."""
    found = await db.fetchval("SELECT 1 FROM processed_events WHERE event_id = ?", (event_id,))
    return found is not None


async def claim(db: Database, event_id: str, now: datetime) -> bool:
    return await db.run(claim_sync, event_id, to_iso(now))


async def forget_older_than(db: Database, now: datetime, days: int) -> int:
    return await db.execute_rowcount(
        "DELETE FROM processed_events WHERE processed_at < ?", (to_iso(now - timedelta(days=days)),)
    )


async def get_state(db: Database, key: str) -> str | None:
    value = await db.fetchval("SELECT value FROM backend_state WHERE key = ?", (key,))
    return None if value is None else str(value)


async def set_state(db: Database, key: str, value: str) -> None:
    await db.execute(
        "INSERT INTO backend_state(key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
