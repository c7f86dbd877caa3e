"""Volunteers: collectivités that co-build a selected proposal (territoires référents).

A proposal has a number of places. A volunteer holds one (``approved``) or
waits for one (``waiting``, ranked by ``queued_at``); a place that frees up goes
to the first in line, in the same transaction as the change that freed it, so
two staff members deciding at once cannot give one place twice (every write
runs inside the event's ``BEGIN IMMEDIATE``).

Collectivités that supported the proposal as "ready to co-build" are
``invited`` (they only confirm); the others ``applied`` and wait for the staff.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.db import Database
from storage.instants import from_iso, to_iso

Status = Literal["invited", "applied", "approved", "waiting", "declined", "rejected", "withdrawn"]
ACTIVE: tuple[Status, ...] = ("invited", "applied", "approved", "waiting")
"""Still in the running: a new request for the same collectivité is refused."""
DEFAULT_PLACES = 10
"""Places per proposal when neither the proposal nor the consultation says."""


@dataclass(frozen=True)
class Volunteer:
    id: int
    proposal_id: int
    proposal_number: int
    proposal_title: str
    collectivite: str
    collectivite_name: str
    person_id: int | None
    person_name: str
    status: Status
    queued_at: datetime | None
    created_at: datetime

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


_SELECT = (
    "SELECT v.id, v.proposal_id, p.number, p.title, v.collectivite, c.name AS cname,"
    " v.person_id, COALESCE(w.display_name, '') AS who, v.status, v.queued_at, v.created_at"
    " FROM volunteers v JOIN proposals p ON p.id = v.proposal_id"
    " JOIN collectivites c ON c.code = v.collectivite"
    " LEFT JOIN persons w ON w.id = v.person_id"
)
# Placed first, then the waiting list in its order, then the requests.
_ORDER = (
    " ORDER BY CASE v.status WHEN 'approved' THEN 0 WHEN 'waiting' THEN 1 WHEN 'applied' THEN 2"
    " WHEN 'invited' THEN 3 ELSE 4 END, v.queued_at, v.created_at, v.id"
)


def _volunteer(r: sqlite3.Row) -> Volunteer:
    return Volunteer(
        id=int(r["id"]),
        proposal_id=int(r["proposal_id"]),
        proposal_number=int(r["number"]),
        proposal_title=str(r["title"]),
        collectivite=str(r["collectivite"]),
        collectivite_name=str(r["cname"]),
        person_id=r["person_id"],
        person_name=str(r["who"]),
        status=r["status"],
        queued_at=from_iso(r["queued_at"]) if r["queued_at"] else None,
        created_at=from_iso(r["created_at"]),
    )


def default_places(settings: dict[str, object]) -> int:
    """The consultation's ``coconstruction_places``, or ``DEFAULT_PLACES``."""
    raw = settings.get("coconstruction_places")
    return (
        raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0 else DEFAULT_PLACES
    )


async def places(db: Database, proposal_id: int, default: int) -> int:
    value = await db.fetchval(
        "SELECT places FROM coconstruction_places WHERE proposal_id = ?", (proposal_id,)
    )
    return default if value is None else int(value)


async def set_places(db: Database, proposal_id: int, count: int, now: datetime) -> list[Volunteer]:
    """Change a proposal's places; those now in line for a free place get it (returned).

    Fewer places never take one back: the volunteers above the new number keep
    theirs, and the next ones wait until enough leave.
    """
    await db.execute(
        "INSERT INTO coconstruction_places(proposal_id, places) VALUES (?, ?)"
        " ON CONFLICT(proposal_id) DO UPDATE SET places = excluded.places",
        (proposal_id, count),
    )
    return await promote(db, proposal_id, count, now)


async def get(db: Database, volunteer_id: int) -> Volunteer | None:
    row = await db.fetchone(f"{_SELECT} WHERE v.id = ?", (volunteer_id,))
    return _volunteer(row) if row else None


async def get_for(db: Database, proposal_id: int, collectivite: str) -> Volunteer | None:
    row = await db.fetchone(
        f"{_SELECT} WHERE v.proposal_id = ? AND v.collectivite = ?", (proposal_id, collectivite)
    )
    return _volunteer(row) if row else None


async def of_proposal(db: Database, proposal_id: int) -> list[Volunteer]:
    rows = await db.fetchall(f"{_SELECT} WHERE v.proposal_id = ?{_ORDER}", (proposal_id,))
    return [_volunteer(r) for r in rows]


async def of_person(db: Database, person_id: int) -> list[Volunteer]:
    rows = await db.fetchall(
        f"{_SELECT} WHERE v.person_id = ? ORDER BY p.number, v.collectivite", (person_id,)
    )
    return [_volunteer(r) for r in rows]


async def of_collectivites(db: Database, codes: list[str], consultation_id: int) -> list[Volunteer]:
    """The volunteering of these collectivités, whoever answered for them."""
    if not codes:
        return []
    marks = ", ".join("?" for _ in codes)
    rows = await db.fetchall(
        f"{_SELECT} WHERE v.collectivite IN ({marks}) AND p.consultation_id = ?"
        " ORDER BY p.number, c.name",
        (*codes, consultation_id),
    )
    return [_volunteer(r) for r in rows]


async def requests(db: Database, consultation_id: int) -> list[Volunteer]:
    """Applications waiting for the staff, oldest first."""
    rows = await db.fetchall(
        f"{_SELECT} WHERE p.consultation_id = ? AND v.status = 'applied'"
        " ORDER BY v.created_at, v.id",
        (consultation_id,),
    )
    return [_volunteer(r) for r in rows]


async def invite_ready(db: Database, consultation_id: int, now: datetime) -> list[Volunteer]:
    """Invite every collectivité that supported a selected proposal as "ready to
    co-build" and was not asked yet; the new invitations, for the caller to send.

    The row is the record that the question was asked: asking again (a restart,
    a second pass) finds it and asks nobody twice.
    """
    stamp = to_iso(now)
    created = await db.fetchall(
        "INSERT INTO volunteers(proposal_id, collectivite, person_id, status, created_at,"
        " updated_at)"
        " SELECT s.proposal_id, s.collectivite, s.committed_by, 'invited', ?, ?"
        " FROM supports s JOIN proposals p ON p.id = s.proposal_id"
        " WHERE p.consultation_id = ? AND p.status = 'selected' AND s.level = 'co_construction'"
        " AND NOT EXISTS (SELECT 1 FROM volunteers v"
        "   WHERE v.proposal_id = s.proposal_id AND v.collectivite = s.collectivite)"
        " RETURNING id",
        (stamp, stamp, consultation_id),
    )
    found = [await get(db, int(r["id"])) for r in created]
    return [v for v in found if v is not None]


def _place(
    conn: sqlite3.Connection, volunteer_id: int, proposal_id: int, places: int, stamp: str
) -> Status:
    """Give the volunteer a place if one is free, else the end of the waiting list."""
    taken = conn.execute(
        "SELECT COUNT(*) FROM volunteers WHERE proposal_id = ? AND status = 'approved'",
        (proposal_id,),
    ).fetchone()[0]
    status: Status = "approved" if taken < places else "waiting"
    conn.execute(
        "UPDATE volunteers SET status = ?, queued_at = ?, updated_at = ? WHERE id = ?",
        (status, stamp, stamp, volunteer_id),
    )
    return status


async def apply(
    db: Database,
    proposal_id: int,
    collectivite: str,
    person_id: int,
    now: datetime,
) -> Volunteer:
    """A request for the staff; a collectivité that left or was refused may ask again."""
    stamp = to_iso(now)
    await db.execute(
        "INSERT INTO volunteers(proposal_id, collectivite, person_id, status, created_at,"
        " updated_at) VALUES (?, ?, ?, 'applied', ?, ?)"
        " ON CONFLICT(proposal_id, collectivite) DO UPDATE SET person_id = excluded.person_id,"
        " status = 'applied', queued_at = NULL, decided_by = NULL, decided_at = NULL,"
        " created_at = excluded.created_at, updated_at = excluded.updated_at",
        (proposal_id, collectivite, person_id, stamp, stamp),
    )
    found = await get_for(db, proposal_id, collectivite)
    assert found is not None
    return found


async def confirm(
    db: Database, volunteer_id: int, person_id: int, places: int, now: datetime
) -> Status:
    """An invited collectivité confirms: a place, or the waiting list, without the staff."""
    found = await get(db, volunteer_id)
    assert found is not None
    await db.execute(
        "UPDATE volunteers SET person_id = ?, decided_at = ? WHERE id = ?",
        (person_id, to_iso(now), volunteer_id),
    )
    return await db.run(_place, volunteer_id, found.proposal_id, places, to_iso(now))


async def decide(
    db: Database, volunteer_id: int, approve: bool, staff_id: int, places: int, now: datetime
) -> Status:
    """The staff's answer to a request: approved (a place or the waiting list) or rejected."""
    found = await get(db, volunteer_id)
    assert found is not None
    stamp = to_iso(now)
    await db.execute(
        "UPDATE volunteers SET decided_by = ?, decided_at = ?, updated_at = ? WHERE id = ?",
        (staff_id, stamp, stamp, volunteer_id),
    )
    if approve:
        return await db.run(_place, volunteer_id, found.proposal_id, places, stamp)
    await _set_status(db, volunteer_id, "rejected", stamp)
    return "rejected"


async def leave(
    db: Database, volunteer_id: int, status: Status, places: int, now: datetime
) -> list[Volunteer]:
    """The volunteer withdraws (or declines an invitation); who got the freed place."""
    found = await get(db, volunteer_id)
    assert found is not None
    await _set_status(db, volunteer_id, status, to_iso(now))
    return await promote(db, found.proposal_id, places, now)


async def promote(db: Database, proposal_id: int, places: int, now: datetime) -> list[Volunteer]:
    """Fill the free places from the waiting list, first in line first; who got one."""
    taken = int(
        await db.fetchval(
            "SELECT COUNT(*) FROM volunteers WHERE proposal_id = ? AND status = 'approved'",
            (proposal_id,),
        )
    )
    free = places - taken
    if free <= 0:
        return []
    rows = await db.fetchall(
        "SELECT id FROM volunteers WHERE proposal_id = ? AND status = 'waiting'"
        " ORDER BY queued_at, id LIMIT ?",
        (proposal_id, free),
    )
    stamp = to_iso(now)
    promoted = []
    for row in rows:
        await _set_status(db, int(row["id"]), "approved", stamp)
        volunteer = await get(db, int(row["id"]))
        assert volunteer is not None
        promoted.append(volunteer)
    return promoted


async def _set_status(db: Database, volunteer_id: int, status: Status, stamp: str) -> None:
    await db.execute(
        "UPDATE volunteers SET status = ?, updated_at = ? WHERE id = ?",
        (status, stamp, volunteer_id),
    )


async def rank(db: Database, volunteer: Volunteer) -> int:
    """1 for the first on the waiting list."""
    return int(
        await db.fetchval(
            "SELECT COUNT(*) FROM volunteers WHERE proposal_id = ? AND status = 'waiting'"
            " AND (queued_at < ? OR (queued_at = ? AND id <= ?))",
            (
                volunteer.proposal_id,
                to_iso(volunteer.queued_at or volunteer.created_at),
                to_iso(volunteer.queued_at or volunteer.created_at),
                volunteer.id,
            ),
        )
    )


async def counts(db: Database, proposal_id: int) -> dict[str, int]:
    rows = await db.fetchall(
        "SELECT status, COUNT(*) AS n FROM volunteers WHERE proposal_id = ? GROUP BY status",
        (proposal_id,),
    )
    return {str(r["status"]): int(r["n"]) for r in rows}
