"""Bulk messages waiting to be expanded into outbox rows, and how far they got.

A fan-out is recorded with the fact that causes it (a phase opening, the
results, a broadcast), then expanded by ranges of person ids, one short
transaction per range (``bot.delivery.fanout``). Its cursor is committed with
the rows of each range, so a crash loses nothing and repeats nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database
from storage.instants import to_iso


@dataclass(frozen=True)
class Fanout:
    id: int
    kind: str
    spec: dict[str, Any]
    priority: int
    quiet: bool
    broadcast_id: int | None
    notice_id: int | None
    not_before: str
    last_person: int
    next_person: int
    queued: int
    done: bool


async def create(
    db: Database,
    kind: str,
    spec: dict[str, Any],
    *,
    priority: int,
    quiet: bool,
    not_before: datetime,
    now: datetime,
    broadcast_id: int | None = None,
    notice_id: int | None = None,
) -> int:
    """Record a fan-out over every person known now; its id."""
    return await db.execute(
        "INSERT INTO fanouts(kind, spec, priority, quiet, broadcast_id, notice_id, not_before,"
        " created_at, last_person) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
        " (SELECT COALESCE(MAX(id), 0) FROM persons))",
        (
            kind,
            json.dumps(spec, sort_keys=True),
            priority,
            int(quiet),
            broadcast_id,
            notice_id,
            to_iso(not_before),
            to_iso(now),
        ),
    )


async def get(db: Database, fanout_id: int) -> Fanout | None:
    row = await db.fetchone(
        "SELECT id, kind, spec, priority, quiet, broadcast_id, notice_id, not_before,"
        " last_person, next_person, queued, done_at FROM fanouts WHERE id = ?",
        (fanout_id,),
    )
    if row is None:
        return None
    return Fanout(
        id=int(row["id"]),
        kind=str(row["kind"]),
        spec=json.loads(row["spec"]),
        priority=int(row["priority"]),
        quiet=bool(row["quiet"]),
        broadcast_id=row["broadcast_id"],
        notice_id=row["notice_id"],
        not_before=str(row["not_before"]),
        last_person=int(row["last_person"]),
        next_person=int(row["next_person"]),
        queued=int(row["queued"]),
        done=row["done_at"] is not None,
    )


async def advance(
    db: Database, fanout_id: int, next_person: int, added: int, done_at: datetime | None
) -> None:
    await db.execute(
        "UPDATE fanouts SET next_person = ?, queued = queued + ?, done_at = ? WHERE id = ?",
        (next_person, added, to_iso(done_at) if done_at else None, fanout_id),
    )


async def pending(db: Database) -> list[int]:
    """Fan-outs not fully expanded (the process stopped during one), oldest first."""
    rows = await db.fetchall("SELECT id FROM fanouts WHERE done_at IS NULL ORDER BY id")
    return [int(r["id"]) for r in rows]
