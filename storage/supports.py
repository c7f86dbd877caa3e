"""Supports: a collectivité commits to a proposal, as a *soutien* or ready to co-build.

One support per collectivité and proposal is the table's primary key, as the
2021 consultation counted them; the optional cap on a collectivité's priorities
is checked and the row written in one call to the database thread, inside the
event's ``BEGIN IMMEDIATE`` transaction, so members clicking at once cannot
overshoot it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.db import Database
from storage.instants import from_iso, to_iso

Level = Literal["soutien", "co_construction"]
LEVELS: tuple[Level, ...] = ("soutien", "co_construction")
CommitResult = Literal["added", "changed", "same", "full"]


@dataclass(frozen=True)
class Support:
    collectivite: str
    collectivite_name: str
    proposal_id: int
    proposal_number: int
    proposal_title: str
    level: Level
    committed_by: int | None
    committed_by_name: str
    updated_at: datetime


_SELECT = (
    "SELECT s.collectivite, c.name AS cname, s.proposal_id, p.number, p.title, s.level,"
    " s.committed_by, COALESCE(w.display_name, '') AS who, s.updated_at"
    " FROM supports s JOIN collectivites c ON c.code = s.collectivite"
    " JOIN proposals p ON p.id = s.proposal_id LEFT JOIN persons w ON w.id = s.committed_by"
)
_COUNT = (
    "SELECT COUNT(*) FROM supports s JOIN proposals p ON p.id = s.proposal_id"
    " WHERE s.collectivite = ? AND p.consultation_id = ?"
)


def _support(r: sqlite3.Row) -> Support:
    return Support(
        collectivite=str(r["collectivite"]),
        collectivite_name=str(r["cname"]),
        proposal_id=int(r["proposal_id"]),
        proposal_number=int(r["number"]),
        proposal_title=str(r["title"]),
        level=r["level"],
        committed_by=r["committed_by"],
        committed_by_name=str(r["who"]),
        updated_at=from_iso(r["updated_at"]),
    )


def _commit(
    conn: sqlite3.Connection,
    collectivite: str,
    proposal_id: int,
    consultation_id: int,
    level: Level,
    person_id: int,
    cap: int | None,
    stamp: str,
) -> CommitResult:
    row = conn.execute(
        "SELECT level FROM supports WHERE collectivite = ? AND proposal_id = ?",
        (collectivite, proposal_id),
    ).fetchone()
    if row is not None:
        if row[0] == level:
            return "same"
        conn.execute(
            "UPDATE supports SET level = ?, committed_by = ?, updated_at = ?"
            " WHERE collectivite = ? AND proposal_id = ?",
            (level, person_id, stamp, collectivite, proposal_id),
        )
        return "changed"
    if cap is not None and conn.execute(_COUNT, (collectivite, consultation_id)).fetchone()[0] >= (
        cap
    ):
        return "full"
    conn.execute(
        "INSERT INTO supports(collectivite, proposal_id, level, committed_by, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        (collectivite, proposal_id, level, person_id, stamp, stamp),
    )
    return "added"


async def commit(
    db: Database,
    collectivite: str,
    proposal_id: int,
    consultation_id: int,
    *,
    level: Level,
    person_id: int,
    cap: int | None,
    now: datetime,
) -> CommitResult:
    """Add the support, or change its level; "same" and "full" change nothing."""
    return await db.run(
        _commit,
        collectivite,
        proposal_id,
        consultation_id,
        level,
        person_id,
        cap,
        to_iso(now),
    )


async def withdraw(db: Database, collectivite: str, proposal_id: int) -> bool:
    count = await db.execute_rowcount(
        "DELETE FROM supports WHERE collectivite = ? AND proposal_id = ?",
        (collectivite, proposal_id),
    )
    return count == 1


async def get(db: Database, collectivite: str, proposal_id: int) -> Support | None:
    row = await db.fetchone(
        f"{_SELECT} WHERE s.collectivite = ? AND s.proposal_id = ?", (collectivite, proposal_id)
    )
    return _support(row) if row else None


async def of_collectivite(db: Database, collectivite: str, consultation_id: int) -> list[Support]:
    rows = await db.fetchall(
        f"{_SELECT} WHERE s.collectivite = ? AND p.consultation_id = ? ORDER BY p.number",
        (collectivite, consultation_id),
    )
    return [_support(r) for r in rows]


async def count_of_collectivite(db: Database, collectivite: str, consultation_id: int) -> int:
    return int(await db.fetchval(_COUNT, (collectivite, consultation_id)))


async def levels(db: Database, proposal_id: int) -> dict[str, int]:
    """How many collectivités support a proposal, per level."""
    rows = await db.fetchall(
        "SELECT level, COUNT(*) AS n FROM supports WHERE proposal_id = ? GROUP BY level",
        (proposal_id,),
    )
    return {str(r["level"]): int(r["n"]) for r in rows}


async def supporters(db: Database, proposal_ids: Sequence[int]) -> list[tuple[int, str, int]]:
    """(person_id, collectivité name, proposal_id) for every approved member of every
    collectivité supporting these proposals: who hears about their result."""
    if not proposal_ids:
        return []
    marks = ", ".join("?" for _ in proposal_ids)
    rows = await db.fetchall(
        "SELECT m.person_id, c.name, s.proposal_id FROM supports s"
        " JOIN collectivites c ON c.code = s.collectivite"
        " JOIN memberships m ON m.collectivite = s.collectivite AND m.status = 'approved'"
        f" WHERE s.proposal_id IN ({marks}) ORDER BY m.person_id, s.proposal_id, c.name",
        tuple(proposal_ids),
    )
    return [(int(r["person_id"]), str(r["name"]), int(r["proposal_id"])) for r in rows]
