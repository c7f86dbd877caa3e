"""Outbound notifications, written in the transaction of the fact that caused them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_iso, to_iso
from bot.messages import Reply
from storage.db import Database


@dataclass(frozen=True)
class Pending:
    id: int
    person_id: int
    kind: str
    reply: Reply
    attempts: int
    not_before: datetime


async def enqueue(
    db: Database,
    person_id: int,
    kind: str,
    reply: Reply,
    now: datetime,
    not_before: datetime | None = None,
) -> int:
    return await db.execute(
        "INSERT INTO outbox(person_id, kind, payload, not_before, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            person_id,
            kind,
            json.dumps(reply.to_json(), ensure_ascii=False),
            to_iso(not_before or now),
            to_iso(now),
        ),
    )


async def due(db: Database, now: datetime, limit: int = 100) -> list[Pending]:
    rows = await db.fetchall(
        "SELECT id, person_id, kind, payload, attempts, not_before FROM outbox"
        " WHERE status = 'pending' AND not_before <= ? ORDER BY id LIMIT ?",
        (to_iso(now), limit),
    )
    return [
        Pending(
            id=int(r["id"]),
            person_id=int(r["person_id"]),
            kind=str(r["kind"]),
            reply=Reply.from_json(json.loads(r["payload"])),
            attempts=int(r["attempts"]),
            not_before=from_iso(r["not_before"]),
        )
        for r in rows
    ]


async def mark_sent(db: Database, outbox_id: int, now: datetime) -> None:
    await db.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?",
        (to_iso(now), outbox_id),
    )


async def mark_final(db: Database, outbox_id: int, status: str, error: str) -> None:
    await db.execute(
        "UPDATE outbox SET status = ?, error = ?, attempts = attempts + 1 WHERE id = ?",
        (status, error[:500], outbox_id),
    )


async def retry_later(db: Database, outbox_id: int, at: datetime, error: str) -> None:
    await db.execute(
        "UPDATE outbox SET not_before = ?, error = ?, attempts = attempts + 1 WHERE id = ?",
        (to_iso(at), error[:500], outbox_id),
    )


async def counts(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
    return {str(r["status"]): int(r["n"]) for r in rows}
