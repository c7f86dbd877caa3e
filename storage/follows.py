"""Following a proposal, and the news its followers were sent.

Who voted for a proposal, who speaks for a collectivité that supported it and
who volunteers to co-build it follow it without asking; anyone may follow it
too, and anyone may stop. Only those choices are stored (``follows``), so a
vote cast tomorrow makes a follower tomorrow, and a "stop" outlives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from storage import audiences
from storage.audiences import Targets
from storage.db import Database
from storage.instants import from_iso, to_iso

Reason = Literal["chose", "voted", "supported", "volunteer"]
NewsKind = Literal["news", "edit"]

# Persons who follow by default, for the proposal bound as parameter 1.
_BY_DEFAULT = (
    "SELECT v.person_id FROM votes v WHERE v.proposal_id = ?1"
    " UNION SELECT m.person_id FROM supports s JOIN memberships m"
    " ON m.collectivite = s.collectivite AND m.status = 'approved'"
    " WHERE s.proposal_id = ?1"
    " UNION SELECT x.person_id FROM volunteers x WHERE x.proposal_id = ?1"
    " AND x.person_id IS NOT NULL"
    " AND x.status IN ('invited', 'applied', 'approved', 'waiting')"
)
FOLLOWERS = (
    "SELECT f.person_id FROM follows f WHERE f.proposal_id = ?1 AND f.following = 1"
    f" UNION SELECT person_id FROM ({_BY_DEFAULT})"
    " EXCEPT SELECT f.person_id FROM follows f WHERE f.proposal_id = ?1 AND f.following = 0"
)


@dataclass(frozen=True)
class News:
    id: int
    proposal_id: int
    kind: NewsKind
    text: str
    recipients: int
    created_at: datetime


async def set_following(
    db: Database, person_id: int, proposal_id: int, following: bool, now: datetime
) -> None:
    await db.execute(
        "INSERT INTO follows(proposal_id, person_id, following, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(proposal_id, person_id) DO UPDATE SET following = excluded.following,"
        " updated_at = excluded.updated_at",
        (proposal_id, person_id, int(following), to_iso(now)),
    )


async def reason(db: Database, person_id: int, proposal_id: int) -> Reason | None:
    """Why this person follows the proposal; None if they do not (or stopped)."""
    chosen = await db.fetchval(
        "SELECT following FROM follows WHERE proposal_id = ? AND person_id = ?",
        (proposal_id, person_id),
    )
    if chosen is not None:
        return "chose" if chosen else None
    params = (proposal_id, person_id)
    checks: list[tuple[Reason, str]] = [
        ("voted", "SELECT 1 FROM votes WHERE proposal_id = ?1 AND person_id = ?2"),
        (
            "supported",
            "SELECT 1 FROM supports s JOIN memberships m ON m.collectivite = s.collectivite"
            " AND m.status = 'approved' WHERE s.proposal_id = ?1"
            " AND m.person_id = ?2",
        ),
        (
            "volunteer",
            "SELECT 1 FROM volunteers WHERE proposal_id = ?1 AND person_id = ?2"
            " AND status IN ('invited', 'applied', 'approved', 'waiting')",
        ),
    ]
    for why, sql in checks:
        if await db.fetchone(sql, params) is not None:
            return why
    return None


def _condition(proposal_id: int) -> tuple[str, list[Any]]:
    # ``?1`` everywhere: the query names its one parameter several times.
    return f"p.id IN ({FOLLOWERS})", [proposal_id]


async def targets(db: Database, proposal_id: int) -> Targets:
    """The followers, grouped for a fan-out (``bot.delivery.fanout``)."""
    return await audiences.matching(db, *_condition(proposal_id))


async def count(db: Database, proposal_id: int) -> int:
    return int(await db.fetchval(f"SELECT COUNT(*) FROM ({FOLLOWERS})", (proposal_id,)))


async def followed_by(db: Database, person_id: int, consultation_id: int) -> list[int]:
    """Numbers of the proposals this person follows, in order."""
    rows = await db.fetchall(
        "SELECT number, id FROM proposals WHERE consultation_id = ? ORDER BY number",
        (consultation_id,),
    )
    return [int(r["number"]) for r in rows if await reason(db, person_id, int(r["id"]))]


async def record(
    db: Database,
    proposal_id: int,
    *,
    author_id: int | None,
    kind: NewsKind,
    text: str,
    recipients: int,
    now: datetime,
) -> int:
    return await db.execute(
        "INSERT INTO proposal_news(proposal_id, author_id, kind, text, recipients, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (proposal_id, author_id, kind, text, recipients, to_iso(now)),
    )


async def news(db: Database, proposal_id: int, limit: int = 5) -> list[News]:
    """The latest news of a proposal, newest first."""
    rows = await db.fetchall(
        "SELECT id, proposal_id, kind, text, recipients, created_at FROM proposal_news"
        " WHERE proposal_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
        (proposal_id, limit),
    )
    return [
        News(
            id=int(r["id"]),
            proposal_id=int(r["proposal_id"]),
            kind=r["kind"],
            text=str(r["text"]),
            recipients=int(r["recipients"]),
            created_at=from_iso(r["created_at"]),
        )
        for r in rows
    ]
