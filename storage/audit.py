"""The audit log of staff actions, written in the transaction of the action itself."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database
from storage.instants import from_iso, to_iso

PARTICIPANT_KEYS = frozenset({"person", "identity"})
"""Keys of an entry's detail that say who an action was about."""
_PARTICIPANT_TARGETS = frozenset({"person", "membership"})


def public_target(target: str) -> str:
    """``membership:12`` → ``membership``: what was acted on, not on whom.

    A person's or a membership's id leads to a participant in the database;
    the log keeps the kind of thing (and the detail keeps the collectivité).
    """
    kind, _, _ = target.partition(":")
    return kind if kind in _PARTICIPANT_TARGETS else target


def public_detail(raw: str) -> str:
    """An entry's detail without the keys naming a participant."""
    detail = json.loads(raw)
    if isinstance(detail, dict):
        detail = {k: v for k, v in detail.items() if k not in PARTICIPANT_KEYS}
    return json.dumps(detail, ensure_ascii=False)


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    staff_id: int | None
    staff_label: str
    action: str
    target: str
    detail: dict[str, Any]


async def record(
    db: Database,
    *,
    staff_id: int | None,
    staff_label: str,
    action: str,
    target: str,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    await db.execute(
        "INSERT INTO audit_log(at, staff_id, staff_label, action, target, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            to_iso(now),
            staff_id,
            staff_label,
            action,
            target,
            json.dumps(detail, ensure_ascii=False, default=str),
        ),
    )


async def recent(db: Database, limit: int = 20, offset: int = 0) -> list[Entry]:
    rows = await db.fetchall(
        "SELECT id, at, staff_id, staff_label, action, target, detail FROM audit_log"
        " ORDER BY id DESC LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [
        Entry(
            id=int(r["id"]),
            at=from_iso(r["at"]),
            staff_id=r["staff_id"],
            staff_label=str(r["staff_label"]),
            action=str(r["action"]),
            target=str(r["target"]),
            detail=json.loads(r["detail"]),
        )
        for r in rows
    ]


async def count(db: Database) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM audit_log"))
