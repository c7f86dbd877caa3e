"""Staff broadcasts and how far their delivery has gone.

Progress is not stored twice: it is counted from the broadcast's outbox rows,
so the listing and the final report agree with what the sender did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from storage.audiences import Audience
from storage.db import Database
from storage.instants import from_iso, to_iso


@dataclass(frozen=True)
class Broadcast:
    id: int
    author_id: int | None
    text_fr: str
    text_en: str
    audience: Audience
    recipients: int
    not_before: datetime
    created_at: datetime
    reported_at: datetime | None
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return self.statuses.get("sent", 0)

    @property
    def failed(self) -> int:
        return self.statuses.get("failed", 0)

    @property
    def blocked(self) -> int:
        return self.statuses.get("blocked", 0)

    @property
    def waiting(self) -> int:
        return self.statuses.get("pending", 0) + self.statuses.get("sending", 0)


async def create(
    db: Database,
    *,
    consultation_id: int | None,
    author_id: int,
    text_fr: str,
    text_en: str,
    audience: Audience,
    recipients: int,
    not_before: datetime,
    now: datetime,
) -> int:
    return await db.execute(
        "INSERT INTO broadcasts(consultation_id, author_id, text_fr, text_en, audience,"
        " recipients, not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            consultation_id,
            author_id,
            text_fr,
            text_en,
            audience.to_json(),
            recipients,
            to_iso(not_before),
            to_iso(now),
        ),
    )


_SELECT = (
    "SELECT id, author_id, text_fr, text_en, audience, recipients, not_before, created_at,"
    " reported_at, purged_sent FROM broadcasts"
)


async def _with_statuses(db: Database, where: str, params: tuple[object, ...]) -> list[Broadcast]:
    rows = await db.fetchall(f"{_SELECT} {where}", params)
    if not rows:
        return []
    ids = [int(r["id"]) for r in rows]
    marks = ", ".join("?" for _ in ids)
    # Sent rows purged from the outbox (``outbox.purge``) still count as sent.
    statuses: dict[int, dict[str, int]] = {
        int(r["id"]): {"sent": int(r["purged_sent"])} if r["purged_sent"] else {} for r in rows
    }
    for r in await db.fetchall(
        "SELECT broadcast_id, status, COUNT(*) AS n FROM outbox"
        f" WHERE broadcast_id IN ({marks}) GROUP BY broadcast_id, status",
        ids,
    ):
        counts = statuses[int(r["broadcast_id"])]
        counts[str(r["status"])] = counts.get(str(r["status"]), 0) + int(r["n"])
    return [
        Broadcast(
            id=int(r["id"]),
            author_id=r["author_id"],
            text_fr=str(r["text_fr"]),
            text_en=str(r["text_en"]),
            audience=Audience.from_json(r["audience"]),
            recipients=int(r["recipients"]),
            not_before=from_iso(r["not_before"]),
            created_at=from_iso(r["created_at"]),
            reported_at=from_iso(r["reported_at"]) if r["reported_at"] else None,
            statuses=statuses[int(r["id"])],
        )
        for r in rows
    ]


async def get(db: Database, broadcast_id: int) -> Broadcast | None:
    found = await _with_statuses(db, "WHERE id = ?", (broadcast_id,))
    return found[0] if found else None


async def recent(db: Database, limit: int = 5) -> list[Broadcast]:
    return await _with_statuses(db, "ORDER BY id DESC LIMIT ?", (limit,))


async def finished_unreported(db: Database) -> list[Broadcast]:
    """Broadcasts whose every row is final and whose author was not told yet."""
    return await _with_statuses(
        db,
        "WHERE reported_at IS NULL AND NOT EXISTS (SELECT 1 FROM outbox o"
        " WHERE o.broadcast_id = broadcasts.id AND o.status IN ('pending', 'sending'))"
        " ORDER BY id",
        (),
    )


async def mark_reported(db: Database, broadcast_id: int, now: datetime) -> bool:
    """True for the one caller that gets to tell the author."""
    count = await db.execute_rowcount(
        "UPDATE broadcasts SET reported_at = ? WHERE id = ? AND reported_at IS NULL",
        (to_iso(now), broadcast_id),
    )
    return count == 1
