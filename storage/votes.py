"""Votes: one per person and proposal, a capped number per person and consultation.

The primary key (person, proposal) makes a second vote impossible whatever the
handler does; the cap is checked and the row written in one call to the
database thread, inside the event's ``BEGIN IMMEDIATE`` transaction, so two
clicks at once cannot both take the last vote.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from storage import proposals
from storage.db import Database
from storage.instants import to_iso
from storage.proposals import Proposal

CastResult = Literal["cast", "already", "full"]

_COUNT = (
    "SELECT COUNT(*) FROM votes v JOIN proposals p ON p.id = v.proposal_id"
    " WHERE v.person_id = ? AND p.consultation_id = ?"
)


def _cast(
    conn: sqlite3.Connection,
    person_id: int,
    proposal_id: int,
    consultation_id: int,
    cap: int | None,
    stamp: str,
) -> CastResult:
    if conn.execute(
        "SELECT 1 FROM votes WHERE person_id = ? AND proposal_id = ?", (person_id, proposal_id)
    ).fetchone():
        return "already"
    if cap is not None and conn.execute(_COUNT, (person_id, consultation_id)).fetchone()[0] >= cap:
        return "full"
    inserted = conn.execute(
        "INSERT INTO votes(person_id, proposal_id, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (person_id, proposal_id, stamp),
    ).rowcount
    return "cast" if inserted == 1 else "already"


async def cast(
    db: Database,
    person_id: int,
    proposal: Proposal,
    *,
    cap: int | None,
    now: datetime,
) -> CastResult:
    """Vote for ``proposal`` unless already done or the person's ``cap`` is reached."""
    return await db.run(_cast, person_id, proposal.id, proposal.consultation_id, cap, to_iso(now))


async def withdraw(db: Database, person_id: int, proposal_id: int) -> bool:
    """False when there was no vote to withdraw (a second click, an old button)."""
    count = await db.execute_rowcount(
        "DELETE FROM votes WHERE person_id = ? AND proposal_id = ?", (person_id, proposal_id)
    )
    return count == 1


async def has_voted(db: Database, person_id: int, proposal_id: int) -> bool:
    row = await db.fetchone(
        "SELECT 1 FROM votes WHERE person_id = ? AND proposal_id = ?", (person_id, proposal_id)
    )
    return row is not None


async def count_of_person(db: Database, person_id: int, consultation_id: int) -> int:
    return int(await db.fetchval(_COUNT, (person_id, consultation_id)))


async def of_person(db: Database, person_id: int, consultation_id: int) -> list[Proposal]:
    """The proposals a person voted for, in number order."""
    rows = await db.fetchall(
        "SELECT v.proposal_id FROM votes v JOIN proposals p ON p.id = v.proposal_id"
        " WHERE v.person_id = ? AND p.consultation_id = ?",
        (person_id, consultation_id),
    )
    return await proposals.of_ids(db, [int(r["proposal_id"]) for r in rows])


async def voters(db: Database, proposal_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(person_id, proposal_id) of every vote for these proposals."""
    if not proposal_ids:
        return []
    marks = ", ".join("?" for _ in proposal_ids)
    rows = await db.fetchall(
        f"SELECT person_id, proposal_id FROM votes WHERE proposal_id IN ({marks})"
        " ORDER BY person_id, proposal_id",
        tuple(proposal_ids),
    )
    return [(int(r["person_id"]), int(r["proposal_id"])) for r in rows]
