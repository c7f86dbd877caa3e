"""Contributions (needs) and what the staff made of them.

Every review step only applies to a contribution still ``submitted``, so two
staff members pressing at once, or an old button, cannot review it twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.db import Database
from storage.instants import from_iso, to_iso

Status = Literal["submitted", "rerouted", "grouped", "rejected", "withdrawn"]


@dataclass(frozen=True)
class Contribution:
    id: int
    consultation_id: int
    author_id: int | None
    collectivite: str
    collectivite_name: str
    departement: str | None
    title: str
    body: str
    theme: str
    status: Status
    reason: str
    pointer: str
    proposal_id: int | None
    proposal_number: int | None
    proposal_title: str | None
    created_at: datetime


_SELECT = (
    "SELECT k.id, k.consultation_id, k.author_id, k.collectivite, c.name AS cname,"
    " c.departement, k.title, k.body, k.theme, k.status, k.reason, k.pointer, k.proposal_id,"
    " p.number AS pnumber, p.title AS ptitle, k.created_at"
    " FROM contributions k JOIN collectivites c ON c.code = k.collectivite"
    " LEFT JOIN proposals p ON p.id = k.proposal_id"
)


def _contribution(r: sqlite3.Row) -> Contribution:
    return Contribution(
        id=int(r["id"]),
        consultation_id=int(r["consultation_id"]),
        author_id=r["author_id"],
        collectivite=str(r["collectivite"]),
        collectivite_name=str(r["cname"]),
        departement=r["departement"],
        title=str(r["title"]),
        body=str(r["body"]),
        theme=str(r["theme"]),
        status=r["status"],
        reason=str(r["reason"]),
        pointer=str(r["pointer"]),
        proposal_id=r["proposal_id"],
        proposal_number=r["pnumber"],
        proposal_title=r["ptitle"],
        created_at=from_iso(r["created_at"]),
    )


async def create(
    db: Database,
    consultation_id: int,
    *,
    author_id: int,
    collectivite: str,
    title: str,
    body: str,
    theme: str,
    now: datetime,
) -> int:
    stamp = to_iso(now)
    return await db.execute(
        "INSERT INTO contributions(consultation_id, author_id, collectivite, title, body, theme,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (consultation_id, author_id, collectivite, title, body, theme, stamp, stamp),
    )


async def get(db: Database, contribution_id: int) -> Contribution | None:
    row = await db.fetchone(f"{_SELECT} WHERE k.id = ?", (contribution_id,))
    return _contribution(row) if row else None


async def of_author(db: Database, author_id: int, consultation_id: int) -> list[Contribution]:
    rows = await db.fetchall(
        f"{_SELECT} WHERE k.author_id = ? AND k.consultation_id = ? ORDER BY k.id",
        (author_id, consultation_id),
    )
    return [_contribution(r) for r in rows]


async def count_since(db: Database, author_id: int, since: datetime) -> int:
    """Contributions written since ``since`` (withdrawn ones count: the limit is on effort)."""
    value = await db.fetchval(
        "SELECT COUNT(*) FROM contributions WHERE author_id = ? AND created_at >= ?",
        (author_id, to_iso(since)),
    )
    return int(value)


async def edit(
    db: Database,
    contribution_id: int,
    author_id: int,
    *,
    title: str,
    body: str,
    theme: str,
    now: datetime,
) -> bool:
    count = await db.execute_rowcount(
        "UPDATE contributions SET title = ?, body = ?, theme = ?, updated_at = ?"
        " WHERE id = ? AND author_id = ? AND status = 'submitted'",
        (title, body, theme, to_iso(now), contribution_id, author_id),
    )
    return count == 1


async def withdraw(db: Database, contribution_id: int, author_id: int, now: datetime) -> bool:
    count = await db.execute_rowcount(
        "UPDATE contributions SET status = 'withdrawn', updated_at = ?"
        " WHERE id = ? AND author_id = ? AND status = 'submitted'",
        (to_iso(now), contribution_id, author_id),
    )
    return count == 1


async def queue(
    db: Database, consultation_id: int, *, limit: int = 1, offset: int = 0
) -> list[Contribution]:
    rows = await db.fetchall(
        f"{_SELECT} WHERE k.consultation_id = ? AND k.status = 'submitted'"
        " ORDER BY k.created_at, k.id LIMIT ? OFFSET ?",
        (consultation_id, limit, offset),
    )
    return [_contribution(r) for r in rows]


async def queue_size(db: Database, consultation_id: int) -> int:
    value = await db.fetchval(
        "SELECT COUNT(*) FROM contributions WHERE consultation_id = ? AND status = 'submitted'",
        (consultation_id,),
    )
    return int(value)


async def review(
    db: Database,
    contribution_id: int,
    status: Literal["rerouted", "rejected"],
    *,
    reason: str,
    pointer: str = "",
    staff_id: int,
    now: datetime,
) -> bool:
    """Re-route or reject a contribution still waiting; False if it no longer is."""
    stamp = to_iso(now)
    count = await db.execute_rowcount(
        "UPDATE contributions SET status = ?, reason = ?, pointer = ?, reviewed_by = ?,"
        " reviewed_at = ?, updated_at = ? WHERE id = ? AND status = 'submitted'",
        (status, reason, pointer, staff_id, stamp, stamp, contribution_id),
    )
    return count == 1


async def group(
    db: Database,
    contribution_ids: Sequence[int],
    proposal_id: int,
    *,
    staff_id: int,
    now: datetime,
) -> list[int]:
    """Group the contributions still waiting into a proposal; return those grouped."""
    grouped = []
    stamp = to_iso(now)
    for contribution_id in dict.fromkeys(contribution_ids):
        count = await db.execute_rowcount(
            "UPDATE contributions SET status = 'grouped', proposal_id = ?, reviewed_by = ?,"
            " reviewed_at = ?, updated_at = ? WHERE id = ? AND status = 'submitted'",
            (proposal_id, staff_id, stamp, stamp, contribution_id),
        )
        if count == 1:
            grouped.append(contribution_id)
    return grouped


async def of_proposal(db: Database, proposal_id: int) -> list[Contribution]:
    rows = await db.fetchall(f"{_SELECT} WHERE k.proposal_id = ? ORDER BY k.id", (proposal_id,))
    return [_contribution(r) for r in rows]


async def counts_by_status(db: Database, consultation_id: int) -> dict[str, int]:
    rows = await db.fetchall(
        "SELECT status, COUNT(*) AS n FROM contributions WHERE consultation_id = ? GROUP BY status",
        (consultation_id,),
    )
    return {str(r["status"]): int(r["n"]) for r in rows}
