"""Who hears about the steering committee's decisions, and why.

A person hears about a decided proposal when they voted for it, when a
collectivité they are an approved member of supported it (the support
committed the collectivité, so all who speak for it should know), or when a
need they wrote was grouped into it. Read by ranges of person ids, for the
results fan-out (``handlers.results``), so a national audience is never held
in memory whole.
"""

from __future__ import annotations

from collections.abc import Sequence

from storage.db import Database

Why = str
"""'vote', 'support' (detail: the collectivité's name) or 'need' (detail: its title)."""


def _marks(proposal_ids: Sequence[int]) -> str:
    return ", ".join("?" for _ in proposal_ids)


_CONCERNED = (
    "SELECT v.person_id AS person, 'vote' AS why, v.proposal_id AS proposal, '' AS detail"
    " FROM votes v"
    " WHERE v.person_id >= ? AND v.person_id < ? AND v.proposal_id IN ({marks})"
    " UNION ALL"
    " SELECT m.person_id, 'support', s.proposal_id, c.name FROM memberships m"
    " JOIN supports s ON s.collectivite = m.collectivite"
    " JOIN collectivites c ON c.code = s.collectivite"
    " WHERE m.person_id >= ? AND m.person_id < ? AND m.status = 'approved'"
    " AND s.proposal_id IN ({marks})"
    " UNION ALL"
    " SELECT k.author_id, 'need', k.proposal_id, k.title FROM contributions k"
    " WHERE k.author_id >= ? AND k.author_id < ? AND k.status = 'grouped'"
    " AND k.proposal_id IN ({marks})"
)


async def concerns_between(
    db: Database, proposal_ids: Sequence[int], low: int, high: int
) -> list[tuple[int, Why, int, str]]:
    """(person, why, proposal, detail) for the persons whose id is in [low, high)."""
    if not proposal_ids:
        return []
    ids = list(proposal_ids)
    rows = await db.fetchall(
        _CONCERNED.format(marks=_marks(ids)) + " ORDER BY 1, 3, 2, 4",
        [low, high, *ids, low, high, *ids, low, high, *ids],
    )
    return [(int(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in rows]


async def concerned_count(db: Database, proposal_ids: Sequence[int]) -> int:
    """How many persons the results of these proposals concern."""
    if not proposal_ids:
        return 0
    ids = list(proposal_ids)
    sql = _CONCERNED.format(marks=_marks(ids))
    return int(
        await db.fetchval(
            f"SELECT COUNT(DISTINCT person) FROM ({sql})",
            [0, 2**62, *ids, 0, 2**62, *ids, 0, 2**62, *ids],
        )
    )
