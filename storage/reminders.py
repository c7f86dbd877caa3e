"""The record of phase notices (announcements and reminders), and the opt-out.

A notice is claimed by inserting its row under a UNIQUE key, in the same
transaction as its outbox rows: a job that runs twice, or again after a
restart, finds the row and sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.db import Database
from storage.instants import from_iso, to_iso

NoticeKind = Literal["announce", "reminder"]
Outcome = Literal["sent", "skipped"]


@dataclass(frozen=True)
class NoticeKey:
    phase_id: int
    kind: NoticeKind
    days: int = 0
    deadline: str = ""
    """closes_at (storage form) a reminder counts down to; '' for an announcement."""


async def claim(db: Database, key: NoticeKey, outcome: Outcome, now: datetime) -> int | None:
    """Record the notice; its row id, or None when it was already recorded."""
    found = await db.fetchone(
        "INSERT INTO phase_notices(phase_id, kind, days, deadline, outcome, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        (key.phase_id, key.kind, key.days, key.deadline, outcome, to_iso(now)),
    )
    return None if found is None else int(found["id"])


async def set_recipients(db: Database, notice_id: int, recipients: int) -> None:
    await db.execute(
        "UPDATE phase_notices SET recipients = ? WHERE id = ?", (recipients, notice_id)
    )


async def recorded(db: Database, phase_ids: list[int]) -> set[NoticeKey]:
    if not phase_ids:
        return set()
    marks = ", ".join("?" for _ in phase_ids)
    rows = await db.fetchall(
        f"SELECT phase_id, kind, days, deadline FROM phase_notices WHERE phase_id IN ({marks})",
        phase_ids,
    )
    return {
        NoticeKey(int(r["phase_id"]), r["kind"], int(r["days"]), str(r["deadline"])) for r in rows
    }


async def notices_of(db: Database, phase_id: int) -> list[tuple[str, int, str, str, int]]:
    """(kind, days, deadline, outcome, recipients) of a phase, oldest first."""
    rows = await db.fetchall(
        "SELECT kind, days, deadline, outcome, recipients FROM phase_notices"
        " WHERE phase_id = ? ORDER BY id",
        (phase_id,),
    )
    return [
        (
            str(r["kind"]),
            int(r["days"]),
            str(r["deadline"]),
            str(r["outcome"]),
            int(r["recipients"]),
        )
        for r in rows
    ]


async def consultation_created(db: Database, consultation_id: int) -> datetime:
    """Openings before this were never missed: the consultation did not exist yet."""
    raw = await db.fetchval("SELECT created_at FROM consultations WHERE id = ?", (consultation_id,))
    return from_iso(str(raw))


async def set_enabled(db: Database, person_id: int, enabled: bool) -> None:
    await db.execute(
        "UPDATE persons SET reminders = ? WHERE id = ?", (1 if enabled else 0, person_id)
    )
