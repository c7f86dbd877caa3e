"""Who speaks for which collectivité, with which role, and whether staff agreed."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from storage.db import Database
from storage.instants import from_iso, to_iso

MemberRole = Literal["elu", "agent"]
REQUEST_WINDOW = timedelta(days=1)
"""The period over which ``[limits] requests_per_day`` counts a person's requests."""
Status = Literal["pending", "approved", "rejected"]


@dataclass(frozen=True)
class Membership:
    id: int
    person_id: int
    collectivite: str
    collectivite_name: str
    departement: str | None
    role: MemberRole
    status: Status
    evidence: str
    created_at: datetime
    person_name: str = ""
    # Another role asked for by an approved member, waiting for the staff.
    requested_role: MemberRole | None = None


_SELECT = (
    "SELECT m.id, m.person_id, m.collectivite, c.name AS cname, c.departement, m.role,"
    " m.status, m.evidence, m.created_at, p.display_name, m.requested_role"
    " FROM memberships m JOIN collectivites c ON c.code = m.collectivite"
    " JOIN persons p ON p.id = m.person_id"
)


def _membership(r: sqlite3.Row) -> Membership:
    return Membership(
        id=int(r["id"]),
        person_id=int(r["person_id"]),
        collectivite=str(r["collectivite"]),
        collectivite_name=str(r["cname"]),
        departement=r["departement"],
        role=r["role"],
        status=r["status"],
        evidence=str(r["evidence"]),
        created_at=from_iso(r["created_at"]),
        person_name=str(r["display_name"]),
        requested_role=r["requested_role"],
    )


async def request(
    db: Database,
    person_id: int,
    collectivite: str,
    role: MemberRole,
    *,
    approve: bool,
    evidence: str,
    now: datetime,
    counted: bool = True,
) -> Membership:
    """Ask to speak for a collectivité (again); approved at once in open mode.

    A repeated request replaces the role and goes back to the queue, so a
    person who picked the wrong role, or was refused, can try again.
    ``counted`` requests go to the log the daily cap reads (a change of role
    on a request still waiting is not a new one).
    """
    status: Status = "approved" if approve else "pending"
    if counted:
        await db.execute(
            "DELETE FROM membership_requests WHERE person_id = ? AND created_at < ?",
            (person_id, to_iso(now - REQUEST_WINDOW)),
        )
        await db.execute(
            "INSERT INTO membership_requests(person_id, collectivite, created_at) VALUES (?, ?, ?)",
            (person_id, collectivite, to_iso(now)),
        )
    await db.execute(
        "INSERT INTO memberships(person_id, collectivite, role, status, evidence, created_at,"
        " decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(person_id, collectivite) DO UPDATE SET role = excluded.role,"
        " status = excluded.status, evidence = excluded.evidence,"
        " created_at = excluded.created_at, decided_at = excluded.decided_at, decided_by = NULL",
        (
            person_id,
            collectivite,
            role,
            status,
            evidence,
            to_iso(now),
            to_iso(now) if approve else None,
        ),
    )
    found = await get_for(db, person_id, collectivite)
    assert found is not None
    return found


async def request_role_change(
    db: Database, membership_id: int, role: MemberRole, now: datetime
) -> bool:
    """An approved member asks for another role: the approved one stays until the
    staff decide (a mis-tap at ``/start`` used to replace it with a pending request,
    which staff could reject, leaving the mayor with nothing).  Asking for the role
    already held withdraws the request.  False if not approved."""
    count = await db.execute_rowcount(
        "UPDATE memberships SET requested_role = CASE WHEN role = ? THEN NULL ELSE ? END"
        " WHERE id = ? AND status = 'approved'",
        (role, role, membership_id),
    )
    return count == 1


async def requests_within_window(db: Database, person_id: int, now: datetime) -> int:
    """Requests ``person_id`` filed in the ``REQUEST_WINDOW`` before ``now``, withdrawn ones too."""
    return int(
        await db.fetchval(
            "SELECT COUNT(*) FROM membership_requests WHERE person_id = ? AND created_at >= ?",
            (person_id, to_iso(now - REQUEST_WINDOW)),
        )
    )


async def pending_of_person(db: Database, person_id: int) -> int:
    return int(
        await db.fetchval(
            "SELECT COUNT(*) FROM memberships WHERE person_id = ? AND status = 'pending'",
            (person_id,),
        )
    )


async def get(db: Database, membership_id: int) -> Membership | None:
    row = await db.fetchone(f"{_SELECT} WHERE m.id = ?", (membership_id,))
    return _membership(row) if row else None


async def get_for(db: Database, person_id: int, collectivite: str) -> Membership | None:
    row = await db.fetchone(
        f"{_SELECT} WHERE m.person_id = ? AND m.collectivite = ?", (person_id, collectivite)
    )
    return _membership(row) if row else None


async def of_person(db: Database, person_id: int) -> list[Membership]:
    rows = await db.fetchall(f"{_SELECT} WHERE m.person_id = ? ORDER BY m.created_at", (person_id,))
    return [_membership(r) for r in rows]


async def approved_of_person(db: Database, person_id: int) -> list[Membership]:
    return [m for m in await of_person(db, person_id) if m.status == "approved"]


_WAITING = "(m.status = 'pending' OR m.requested_role IS NOT NULL)"


async def queue(db: Database, limit: int = 20, offset: int = 0) -> list[Membership]:
    """Claims and role changes waiting for the staff, oldest first."""
    rows = await db.fetchall(
        f"{_SELECT} WHERE {_WAITING} ORDER BY m.created_at, m.id LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [_membership(r) for r in rows]


async def queue_size(db: Database) -> int:
    return int(await db.fetchval(f"SELECT COUNT(*) FROM memberships m WHERE {_WAITING}"))


async def decide(
    db: Database, membership_id: int, status: Status, staff_id: int, now: datetime
) -> bool:
    """Approve or reject a pending claim or a role change; False if no longer waiting.

    For a change, approving gives the role asked for and rejecting keeps the
    approved one: either way the membership stays approved.
    """
    count = await db.execute_rowcount(
        "UPDATE memberships SET"
        " role = CASE WHEN status = 'approved' AND ? = 'approved' THEN requested_role"
        "        ELSE role END,"
        " status = CASE WHEN status = 'approved' THEN 'approved' ELSE ? END,"
        " requested_role = NULL, decided_by = ?, decided_at = ?"
        " WHERE id = ? AND (status = 'pending' OR requested_role IS NOT NULL)",
        (status, status, staff_id, to_iso(now), membership_id),
    )
    return count == 1


async def leave(db: Database, person_id: int, collectivite: str) -> bool:
    count = await db.execute_rowcount(
        "DELETE FROM memberships WHERE person_id = ? AND collectivite = ?",
        (person_id, collectivite),
    )
    return count == 1
