"""Working spaces of the co-construction: one per selected proposal and platform.

The database says who *should* be in each space (the volunteers holding a
place, through their identity on that platform) and records who was let in;
``bot.delivery.workspaces`` makes the platforms agree, so a crash between the
two is repaired by the next pass rather than lost. A Matrix room is created by
the bot; a Telegram group, which a bot cannot create, is bound by the staff.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.db import Database
from storage.instants import from_iso, to_iso

Platform = Literal["matrix", "telegram"]
MemberStatus = Literal["invited", "joined", "removed"]


@dataclass(frozen=True)
class Workspace:
    id: int
    proposal_id: int
    proposal_number: int
    proposal_title: str
    proposal_summary: str
    backend: Platform
    room: str
    created_at: datetime


@dataclass(frozen=True)
class Member:
    id: int
    workspace_id: int
    person_id: int | None
    account: str
    status: MemberStatus
    invite_link: str


@dataclass(frozen=True)
class Seat:
    """Someone who should be in a workspace and is not yet."""

    person_id: int
    account: str


_SELECT = (
    "SELECT w.id, w.proposal_id, p.number, p.title, p.summary, w.backend, w.room, w.created_at"
    " FROM workspaces w JOIN proposals p ON p.id = w.proposal_id"
)
_MEMBER = "SELECT id, workspace_id, person_id, account, status, invite_link FROM workspace_members"
# The volunteers holding a place in the workspace's proposal, still speaking for
# their collectivité, with their account on its platform: whom the space is for.
_STILL_MEMBER = (
    "EXISTS (SELECT 1 FROM memberships ms WHERE ms.person_id = v.person_id"
    " AND ms.collectivite = v.collectivite AND ms.status = 'approved')"
)
_SEATED = (
    "SELECT v.person_id, substr(i.identity, length(w.backend) + 2) AS account"
    " FROM workspaces w JOIN volunteers v ON v.proposal_id = w.proposal_id"
    " AND v.status = 'approved' AND v.person_id IS NOT NULL"
    " JOIN identities i ON i.person_id = v.person_id AND i.backend = w.backend"
    f" WHERE w.id = ? AND {_STILL_MEMBER}"
)


def _workspace(r: sqlite3.Row) -> Workspace:
    return Workspace(
        id=int(r["id"]),
        proposal_id=int(r["proposal_id"]),
        proposal_number=int(r["number"]),
        proposal_title=str(r["title"]),
        proposal_summary=str(r["summary"]),
        backend=r["backend"],
        room=str(r["room"]),
        created_at=from_iso(r["created_at"]),
    )


def _member(r: sqlite3.Row) -> Member:
    return Member(
        id=int(r["id"]),
        workspace_id=int(r["workspace_id"]),
        person_id=r["person_id"],
        account=str(r["account"]),
        status=r["status"],
        invite_link=str(r["invite_link"]),
    )


async def bind(
    db: Database,
    proposal_id: int,
    backend: str,
    room: str,
    by: int | None,
    now: datetime,
) -> Workspace:
    """Make ``room`` the proposal's space on ``backend`` (a room rebound starts afresh).

    The caller checks first that the room is not another proposal's
    (``by_room``); the UNIQUE key refuses it anyway.
    """
    await db.execute(
        "DELETE FROM workspaces WHERE proposal_id = ? AND backend = ? AND room != ?",
        (proposal_id, backend, room),
    )
    await db.execute(
        "INSERT INTO workspaces(proposal_id, backend, room, bound_by, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(proposal_id, backend) DO NOTHING",
        (proposal_id, backend, room, by, to_iso(now)),
    )
    found = await by_room(db, backend, room)
    assert found is not None
    return found


async def by_room(db: Database, backend: str, room: str) -> Workspace | None:
    row = await db.fetchone(f"{_SELECT} WHERE w.backend = ? AND w.room = ?", (backend, room))
    return _workspace(row) if row else None


async def get(db: Database, workspace_id: int) -> Workspace | None:
    row = await db.fetchone(f"{_SELECT} WHERE w.id = ?", (workspace_id,))
    return _workspace(row) if row else None


async def of_proposal(db: Database, proposal_id: int) -> list[Workspace]:
    rows = await db.fetchall(
        f"{_SELECT} WHERE w.proposal_id = ? ORDER BY w.backend", (proposal_id,)
    )
    return [_workspace(r) for r in rows]


async def of_consultation(db: Database, consultation_id: int, backend: str) -> list[Workspace]:
    rows = await db.fetchall(
        f"{_SELECT} WHERE p.consultation_id = ? AND w.backend = ? ORDER BY p.number",
        (consultation_id, backend),
    )
    return [_workspace(r) for r in rows]


async def without_room(db: Database, consultation_id: int, backend: str) -> list[int]:
    """Selected proposals that have no space on ``backend`` yet, by number."""
    rows = await db.fetchall(
        "SELECT p.id FROM proposals p WHERE p.consultation_id = ? AND p.status = 'selected'"
        " AND NOT EXISTS (SELECT 1 FROM workspaces w WHERE w.proposal_id = p.id"
        " AND w.backend = ?) ORDER BY p.number",
        (consultation_id, backend),
    )
    return [int(r["id"]) for r in rows]


async def to_admit(db: Database, workspace_id: int) -> list[Seat]:
    """Volunteers with a place and an account on the platform, not let in yet."""
    rows = await db.fetchall(
        f"{_SEATED} AND NOT EXISTS (SELECT 1 FROM workspace_members m"
        " WHERE m.workspace_id = w.id AND m.person_id = v.person_id AND m.status != 'removed')"
        " ORDER BY v.queued_at, v.id",
        (workspace_id,),
    )
    return [Seat(int(r["person_id"]), str(r["account"])) for r in rows]


async def to_remove(db: Database, workspace_id: int) -> list[Member]:
    """Members let in who should no longer be: they left the co-construction or
    the collectivité they volunteered for, or erased their account."""
    rows = await db.fetchall(
        f"{_MEMBER} m WHERE m.workspace_id = ? AND m.status != 'removed' AND (m.person_id IS NULL"
        " OR NOT EXISTS (SELECT 1 FROM workspaces w JOIN volunteers v"
        "   ON v.proposal_id = w.proposal_id AND v.status = 'approved'"
        f"   WHERE w.id = m.workspace_id AND v.person_id = m.person_id AND {_STILL_MEMBER}))"
        " ORDER BY m.id",
        (workspace_id,),
    )
    return [_member(r) for r in rows]


async def admitted(
    db: Database, workspace_id: int, seat: Seat, now: datetime, invite_link: str = ""
) -> None:
    """Record that ``seat`` was invited (a Matrix invite, or a link sent)."""
    stamp = to_iso(now)
    await db.execute(
        "INSERT INTO workspace_members(workspace_id, person_id, account, status, invite_link,"
        " created_at, updated_at) VALUES (?, ?, ?, 'invited', ?, ?, ?)"
        " ON CONFLICT(workspace_id, account) DO UPDATE SET person_id = excluded.person_id,"
        " status = 'invited', invite_link = excluded.invite_link, reported_at = NULL,"
        " updated_at = excluded.updated_at",
        (workspace_id, seat.person_id, seat.account, invite_link, stamp, stamp),
    )


async def removed(db: Database, member_id: int, now: datetime) -> None:
    """The member is out; the invitation link, now revoked, is forgotten, and so is
    the account of someone who erased theirs (it was kept only to remove them)."""
    await db.execute(
        "UPDATE workspace_members SET status = 'removed', invite_link = '', updated_at = ?,"
        " account = CASE WHEN person_id IS NULL OR NOT EXISTS (SELECT 1 FROM identities i"
        "  WHERE i.person_id = workspace_members.person_id) THEN 'erased:' || id"
        " ELSE account END"
        " WHERE id = ?",
        (to_iso(now), member_id),
    )


async def joined(
    db: Database, backend: str, room: str, account: str, now: datetime
) -> tuple[Workspace, Member] | None:
    """Record that ``account`` joined the space ``room``; None if it was not invited
    (someone the staff added themselves), or had joined already."""
    workspace = await by_room(db, backend, room)
    if workspace is None:
        return None
    changed = await db.execute_rowcount(
        "UPDATE workspace_members SET status = 'joined', updated_at = ?"
        " WHERE workspace_id = ? AND account = ? AND status = 'invited'",
        (to_iso(now), workspace.id, account),
    )
    if not changed:
        return None
    row = await db.fetchone(
        f"{_MEMBER} WHERE workspace_id = ? AND account = ?", (workspace.id, account)
    )
    assert row is not None
    return workspace, _member(row)


async def unreported_joins(db: Database) -> list[tuple[Workspace, Member]]:
    """Joins the staff were not told about yet."""
    rows = await db.fetchall(
        f"{_MEMBER} WHERE status = 'joined' AND reported_at IS NULL ORDER BY id"
    )
    found = []
    for row in rows:
        member = _member(row)
        workspace = await get(db, member.workspace_id)
        if workspace is not None:
            found.append((workspace, member))
    return found


async def reported(db: Database, member_id: int, now: datetime) -> None:
    await db.execute(
        "UPDATE workspace_members SET reported_at = ? WHERE id = ?", (to_iso(now), member_id)
    )


async def members(db: Database, workspace_id: int) -> list[Member]:
    rows = await db.fetchall(f"{_MEMBER} WHERE workspace_id = ? ORDER BY id", (workspace_id,))
    return [_member(r) for r in rows]
