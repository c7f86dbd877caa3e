"""Participation figures for the staff, computed by SQLite in a few aggregate queries.

A national consultation means some 35,000 communes and up to 100,000 persons:
nothing here loads rows one by one. Each public function runs all of its
statements in one hop to the database thread (``Database.run``) and returns
small frozen dataclasses that the chat, the charts and the exports share.

Who counts as what, in one place so every screen agrees:

- a *participant* is a person with an approved membership of a collectivité;
  an *active* one also wrote a need, voted or committed a support in this
  consultation; per day and per place, approved memberships (*members*) are
  counted instead, which needs no distinct count over every person;
- a collectivité *takes part* when it has an approved member, a contribution
  or a support in this consultation (supports outlive their committer's
  erasure, so they must count on their own).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from storage import follows
from storage.db import Database
from storage.instants import PARIS, to_iso

SMALL = 1_000
MEDIUM = 3_500

# Each part of the union is cheap on its own index; grouping memberships first
# turns 100,000 rows into one per collectivité before the union sorts them.
# A ``+`` before a column keeps SQLite off an index that costs more than a
# scan: nearly every membership is approved, which the planner cannot know
# without ANALYZE statistics (seen: 200 ms through the index, 24 ms without).
_TAKING_PART = (
    "WITH taking_part(code) AS ("
    " SELECT collectivite FROM memberships WHERE +status = 'approved' GROUP BY collectivite"
    " UNION SELECT collectivite FROM contributions WHERE consultation_id = :c"
    " UNION SELECT collectivite FROM supports"
    " WHERE +proposal_id IN (SELECT id FROM proposals WHERE consultation_id = :c))"
)
_IN_CONSULTATION = "+proposal_id IN (SELECT id FROM proposals WHERE consultation_id = :c)"
Groups = list[tuple[str | None, str | None, str, int, int]]


@dataclass(frozen=True)
class Participation:
    persons: int
    active: int
    collectivites: int
    communes: int
    epcis: int
    under_small: int
    under_medium: int


@dataclass(frozen=True)
class ProposalCounts:
    number: int
    title: str
    status: str
    theme: str
    contributions: int
    votes: int
    soutien: int
    co_construction: int

    @property
    def supports(self) -> int:
        return self.soutien + self.co_construction


@dataclass(frozen=True)
class Area:
    """A région or a département: who takes part there, out of how many communes.

    ``members`` counts approved memberships: a person who speaks for two
    collectivités of a département counts twice, which spares a distinct
    count over every person on a national database.
    """

    code: str
    name: str
    collectivites: int
    communes: int
    members: int
    communes_total: int

    @property
    def share(self) -> float:
        return self.communes / self.communes_total if self.communes_total else 0.0


@dataclass(frozen=True)
class Day:
    day: date
    members: int
    contributions: int
    votes: int
    supports: int

    @property
    def actions(self) -> int:
        return self.members + self.contributions + self.votes + self.supports


@dataclass(frozen=True)
class Overview:
    participation: Participation
    by_status: dict[str, int]
    by_theme: dict[str, int]
    proposals: list[ProposalCounts]
    regions: list[Area]

    @property
    def contributions(self) -> int:
        return sum(self.by_status.values())

    @property
    def votes(self) -> int:
        return sum(p.votes for p in self.proposals)

    @property
    def soutien(self) -> int:
        return sum(p.soutien for p in self.proposals)

    @property
    def co_construction(self) -> int:
        return sum(p.co_construction for p in self.proposals)


def _grouped(conn: sqlite3.Connection, sql: str, params: Mapping[str, object]) -> dict[str, int]:
    return {str(key): int(n) for key, n in conn.execute(sql, params).fetchall()}


def _taking_groups(conn: sqlite3.Connection, consultation_id: int) -> Groups:
    """Collectivités taking part, counted by (région, département, kind, size class)."""
    rows = conn.execute(
        f"{_TAKING_PART} SELECT k.region, k.departement, k.kind,"
        f" CASE WHEN k.population < {SMALL} THEN 0 WHEN k.population < {MEDIUM} THEN 1"
        " ELSE 2 END, COUNT(*) FROM taking_part t JOIN collectivites k ON k.code = t.code"
        " GROUP BY 1, 2, 3, 4",
        {"c": consultation_id},
    ).fetchall()
    return [(r[0], r[1], str(r[2]), int(r[3]), int(r[4])) for r in rows]


def _participation(conn: sqlite3.Connection, consultation_id: int, groups: Groups) -> Participation:
    persons = conn.execute(
        "SELECT COUNT(*) FROM (SELECT person_id FROM memberships WHERE +status = 'approved'"
        " GROUP BY person_id)"
    ).fetchone()[0]
    active = conn.execute(
        "SELECT COUNT(*) FROM ("
        f" SELECT person_id FROM votes WHERE {_IN_CONSULTATION}"
        " UNION SELECT author_id FROM contributions WHERE consultation_id = :c"
        " AND author_id IS NOT NULL"
        f" UNION SELECT committed_by FROM supports WHERE {_IN_CONSULTATION}"
        " AND committed_by IS NOT NULL)",
        {"c": consultation_id},
    ).fetchone()[0]
    communes = [g for g in groups if g[2] == "commune"]
    return Participation(
        persons=int(persons),
        active=int(active),
        collectivites=sum(g[4] for g in groups),
        communes=sum(g[4] for g in communes),
        epcis=sum(g[4] for g in groups if g[2] == "epci"),
        under_small=sum(g[4] for g in communes if g[3] == 0),
        under_medium=sum(g[4] for g in communes if g[3] <= 1),
    )


def _proposals(conn: sqlite3.Connection, consultation_id: int) -> list[ProposalCounts]:
    # Each count is grouped once over its index, then joined: correlated
    # sub-queries per proposal would walk the votes index 67 times.
    rows = conn.execute(
        "WITH v AS (SELECT proposal_id, COUNT(*) AS n FROM votes GROUP BY proposal_id),"
        " s AS (SELECT proposal_id, SUM(level = 'soutien') AS soutien,"
        "  SUM(level = 'co_construction') AS cocon FROM supports GROUP BY proposal_id),"
        " k AS (SELECT proposal_id, COUNT(*) AS n FROM contributions"
        "  WHERE proposal_id IS NOT NULL GROUP BY proposal_id)"
        " SELECT p.number, p.title, p.status, p.theme, COALESCE(k.n, 0), COALESCE(v.n, 0),"
        " COALESCE(s.soutien, 0), COALESCE(s.cocon, 0)"
        " FROM proposals p LEFT JOIN v ON v.proposal_id = p.id"
        " LEFT JOIN s ON s.proposal_id = p.id LEFT JOIN k ON k.proposal_id = p.id"
        " WHERE p.consultation_id = ?",
        (consultation_id,),
    ).fetchall()
    counts = [
        ProposalCounts(int(r[0]), str(r[1]), str(r[2]), str(r[3]), *(int(x) for x in r[4:]))
        for r in rows
    ]
    return sorted(counts, key=lambda c: (-c.supports, -c.co_construction, -c.votes, c.number))


async def proposals(db: Database, consultation_id: int) -> list[ProposalCounts]:
    """Every proposal with its counts, most supported first (ties: more co-builders)."""
    return await db.run(_proposals, consultation_id)


def _areas(conn: sqlite3.Connection, groups: Groups, level: str) -> list[Area]:
    """Régions (``level`` "region") or départements, from the taking-part groups."""
    index = 0 if level == "region" else 1
    taking: dict[str, list[int]] = {}
    for group in groups:
        code = group[0] if index == 0 else group[1]
        if code is not None:
            counts = taking.setdefault(code, [0, 0])
            counts[0] += group[4]
            counts[1] += group[4] if group[2] == "commune" else 0
    members: Counter[str] = Counter()
    for region, departement, n in conn.execute(
        "WITH m AS (SELECT collectivite, COUNT(*) AS n FROM memberships"
        " WHERE +status = 'approved' GROUP BY collectivite)"
        " SELECT k.region, k.departement, SUM(m.n) FROM m"
        " JOIN collectivites k ON k.code = m.collectivite GROUP BY 1, 2"
    ):
        code = region if index == 0 else departement
        if code is not None:
            members[str(code)] += int(n)
    # Communes of today's map: merged-away ones keep their collectivites row
    # but left ``places``.
    totals: Counter[str] = Counter()
    names: dict[str, str] = dict(conn.execute("SELECT code, name FROM regions").fetchall())
    for code, name, region, n in conn.execute(
        "WITH t AS (SELECT departement, COUNT(*) AS n FROM places WHERE kind = 'commune'"
        " GROUP BY departement)"
        " SELECT d.code, d.name, d.region, COALESCE(t.n, 0) FROM departements d"
        " LEFT JOIN t ON t.departement = d.code"
    ):
        totals[str(region if index == 0 else code)] += int(n)
        if index == 1:
            names[str(code)] = str(name)
    areas = [
        Area(code, names.get(code, code), n, communes, members[code], totals[code])
        for code, (n, communes) in taking.items()
    ]
    return sorted(areas, key=lambda a: (-a.collectivites, -a.members, a.code))


def _regions(conn: sqlite3.Connection, consultation_id: int) -> list[Area]:
    return _areas(conn, _taking_groups(conn, consultation_id), "region")


def _departements(conn: sqlite3.Connection, consultation_id: int) -> list[Area]:
    return _areas(conn, _taking_groups(conn, consultation_id), "departement")


async def regions(db: Database, consultation_id: int) -> list[Area]:
    """Régions where collectivités take part, the busiest first."""
    return await db.run(_regions, consultation_id)


async def departements(db: Database, consultation_id: int) -> list[Area]:
    """Départements where collectivités take part, the busiest first."""
    return await db.run(_departements, consultation_id)


def _overview(conn: sqlite3.Connection, consultation_id: int) -> Overview:
    p = {"c": consultation_id}
    groups = _taking_groups(conn, consultation_id)
    return Overview(
        participation=_participation(conn, consultation_id, groups),
        by_status=_grouped(
            conn,
            "SELECT status, COUNT(*) FROM contributions WHERE consultation_id = :c GROUP BY status",
            p,
        ),
        by_theme=_grouped(
            conn,
            "SELECT theme, COUNT(*) FROM contributions WHERE consultation_id = :c GROUP BY theme",
            p,
        ),
        proposals=_proposals(conn, consultation_id),
        regions=_areas(conn, groups, "region"),
    )


async def overview(db: Database, consultation_id: int) -> Overview:
    """Everything the first screen of ``/stats`` shows, in one hop to the database."""
    return await db.run(_overview, consultation_id)


def _paris_day(hour_bucket: str) -> date:
    """``2026-12-01T23`` (UTC) → the Paris date it falls on (offsets are whole hours)."""
    at = datetime.strptime(hour_bucket, "%Y-%m-%dT%H").replace(tzinfo=UTC)
    return at.astimezone(PARIS).date()


_DAILY = {
    "members": (
        "SELECT substr(at, 1, 13) AS h, COUNT(*) FROM ("
        " SELECT COALESCE(decided_at, created_at) AS at FROM memberships"
        " WHERE +status = 'approved') WHERE at >= :since AND at < :until GROUP BY h"
    ),
    "contributions": (
        "SELECT substr(created_at, 1, 13) AS h, COUNT(*) FROM contributions"
        " WHERE consultation_id = :c AND created_at >= :since AND created_at < :until GROUP BY h"
    ),
    "votes": (
        # No index on the date: one pass over the table beats 400,000 look-ups
        # through the proposal index (hence the ``+``).
        "SELECT substr(created_at, 1, 13) AS h, COUNT(*) FROM votes"
        f" WHERE created_at >= :since AND created_at < :until AND {_IN_CONSULTATION} GROUP BY h"
    ),
    "supports": (
        "SELECT substr(created_at, 1, 13) AS h, COUNT(*) FROM supports"
        f" WHERE created_at >= :since AND created_at < :until AND {_IN_CONSULTATION} GROUP BY h"
    ),
}


def _daily(
    conn: sqlite3.Connection, consultation_id: int, since: datetime, until: datetime
) -> list[Day]:
    # Grouped by UTC hour in SQL, then folded into Paris days here: SQLite
    # knows nothing of daylight saving time, and an hour never straddles two
    # Paris dates.
    params = {"c": consultation_id, "since": to_iso(since), "until": to_iso(until)}
    series: dict[str, Counter[date]] = {name: Counter() for name in _DAILY}
    for name, sql in _DAILY.items():  # in the order of Day's fields
        for bucket, n in conn.execute(sql, params).fetchall():
            series[name][_paris_day(str(bucket))] += int(n)
    first = since.astimezone(PARIS).date()
    count = ((until - timedelta(seconds=1)).astimezone(PARIS).date() - first).days + 1
    dates = [first + timedelta(days=i) for i in range(count)]
    return [Day(d, *(series[name][d] for name in _DAILY)) for d in dates]


async def daily(db: Database, consultation_id: int, since: datetime, until: datetime) -> list[Day]:
    """What happened each Paris day in ``[since, until)``, days without activity included."""
    if until <= since:
        return []
    return await db.run(_daily, consultation_id, since, until)


@dataclass(frozen=True)
class Coconstruction:
    """After the selection: places, volunteers, working spaces and followers."""

    selected: int
    places: int
    placed: int
    waiting: int
    to_decide: int
    invited: int
    rooms: dict[str, int]
    """Working spaces per platform (``matrix``, ``telegram``)."""
    followers: int
    """Followers of the selected proposals, summed over them (one person may count twice)."""


async def coconstruction(db: Database, consultation_id: int, default_places: int) -> Coconstruction:
    selected = [
        int(r[0])
        for r in await db.fetchall(
            "SELECT id FROM proposals WHERE consultation_id = ? AND status = 'selected'",
            (consultation_id,),
        )
    ]
    statuses: Counter[str] = Counter()
    for row in await db.fetchall(
        "SELECT v.status, COUNT(*) FROM volunteers v JOIN proposals p ON p.id = v.proposal_id"
        " WHERE p.consultation_id = ? GROUP BY v.status",
        (consultation_id,),
    ):
        statuses[str(row[0])] = int(row[1])
    places = await db.fetchval(
        "SELECT COALESCE(SUM(COALESCE(cp.places, ?)), 0) FROM proposals p"
        " LEFT JOIN coconstruction_places cp ON cp.proposal_id = p.id"
        " WHERE p.consultation_id = ? AND p.status = 'selected'",
        (default_places, consultation_id),
    )
    rooms = {
        str(r[0]): int(r[1])
        for r in await db.fetchall(
            "SELECT w.backend, COUNT(*) FROM workspaces w JOIN proposals p ON p.id = w.proposal_id"
            " WHERE p.consultation_id = ? GROUP BY w.backend",
            (consultation_id,),
        )
    }
    return Coconstruction(
        selected=len(selected),
        places=int(places),
        placed=statuses["approved"],
        waiting=statuses["waiting"],
        to_decide=statuses["applied"],
        invited=statuses["invited"],
        rooms=rooms,
        followers=sum([await follows.count(db, proposal_id) for proposal_id in selected]),
    )
