"""Who a bulk message goes to: one SQL query per audience, counted or listed.

Every audience is a condition on ``persons p``; each person comes with the
backend they were last heard from, which the outbox row keeps. Persons with no
identity left cannot be reached and are not counted.

A listed audience comes back grouped by what the message depends on (language
setting and backend), each group's person ids as one JSON array that SQLite
builds and the outbox insert reads back (SQLite's JSON functions, built in
since 3.38): a national audience (100,000 persons) never becomes 100,000
Python objects, which took longer than the query itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from storage.collectivites import normalise
from storage.db import Database

AudienceKind = Literal[
    "everyone", "region", "departement", "population", "not_supported", "supporters"
]
AUDIENCE_KINDS: tuple[AudienceKind, ...] = (
    "everyone",
    "region",
    "departement",
    "population",
    "not_supported",
    "supporters",
)


@dataclass(frozen=True)
class Audience:
    """An audience as the staff chose it; ``value`` is a code, a population or a number."""

    kind: AudienceKind
    value: str = ""

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "value": self.value})

    @classmethod
    def from_json(cls, raw: str) -> Audience:
        data = json.loads(raw)
        kind = data.get("kind")
        if kind not in AUDIENCE_KINDS:
            raise ValueError(f"unknown audience {kind!r}")
        return cls(kind, str(data.get("value", "")))


class TargetGroup(NamedTuple):
    """The persons of an audience who share a language setting and a backend."""

    locale: str | None
    locale_hint: str | None
    backend: str
    first: int
    """The lowest person id: someone to render the group's message for."""
    size: int
    person_ids: str
    """JSON array of the ids, handed back to SQLite as is (``outbox.enqueue_stored``)."""
    variant: str = ""
    """What else their message depends on, as the bulk message's kind reads it
    (a needs reminder: their collectivité and how many needs it sent)."""


@dataclass(frozen=True)
class Targets:
    """An audience as a fan-out needs it; ``len()`` is the number of persons."""

    groups: tuple[TargetGroup, ...] = ()

    def __len__(self) -> int:
        return sum(group.size for group in self.groups)


def _member(cond: str = "", *, place: bool = False) -> str:
    """An approved membership of ``p`` (alias ``m``) meeting ``cond``.

    ``place`` joins its collectivité (``c``) for conditions on the map. Only
    then: the foreign key already guarantees the collectivité exists, and the
    join would cost a seek per person of a national audience.
    """
    join = " JOIN collectivites c ON c.code = m.collectivite" if place else ""
    extra = f" AND {cond}" if cond else ""
    return (
        f"EXISTS (SELECT 1 FROM memberships m{join}"
        f" WHERE m.person_id = p.id AND m.status = 'approved'{extra})"
    )


_SUPPORTED = (
    "EXISTS (SELECT 1 FROM supports s JOIN proposals pr ON pr.id = s.proposal_id"
    " WHERE s.collectivite = m.collectivite AND pr.consultation_id = ?{extra})"
)


def _may_support(agents_may_support: bool) -> str:
    return "1" if agents_may_support else "m.role = 'elu'"


def _condition(
    audience: Audience, consultation_id: int, agents_may_support: bool
) -> tuple[str, list[Any]]:
    kind, value = audience.kind, audience.value
    if kind == "everyone":
        return "1", []
    if kind == "region":
        return _member("c.region = ?", place=True), [value]
    if kind == "departement":
        return _member("c.departement = ?", place=True), [value]
    if kind == "population":
        return _member("c.population < ?", place=True), [int(value)]
    if kind == "not_supported":
        cond = f"{_may_support(agents_may_support)} AND NOT {_SUPPORTED.format(extra='')}"
        return _member(cond), [consultation_id]
    cond = _SUPPORTED.format(extra=" AND pr.number = ?")
    return _member(cond), [consultation_id, int(value)]


def _reminder_condition(
    kind: str, consultation_id: int, agents_may_support: bool
) -> tuple[str, list[Any]] | None:
    """Those who still have something to do in a phase of ``kind``; None: nobody."""
    member = _member()
    if kind == "needs":
        return (
            f"p.reminders = 1 AND {member} AND NOT EXISTS (SELECT 1 FROM contributions k"
            " WHERE k.author_id = p.id AND k.consultation_id = ? AND k.status != 'withdrawn')",
            [consultation_id],
        )
    if kind == "vote":
        return (
            f"p.reminders = 1 AND {member} AND NOT EXISTS (SELECT 1 FROM votes v"
            " JOIN proposals pr ON pr.id = v.proposal_id"
            " WHERE v.person_id = p.id AND pr.consultation_id = ?)",
            [consultation_id],
        )
    if kind == "support":
        cond, params = _condition(Audience("not_supported"), consultation_id, agents_may_support)
        return f"p.reminders = 1 AND {cond}", params
    return None


_BACKEND = (
    "(SELECT i.backend FROM identities i WHERE i.person_id = p.id"
    " ORDER BY i.last_seen DESC LIMIT 1)"
)
# Materialised, so the backend of each person is looked up once, not once per use.
_BACKENDS = f"WITH t AS MATERIALIZED (SELECT {_BACKEND} AS backend FROM persons p WHERE {{cond}})"
# One row per language setting and backend, whatever the size of the audience.
_GROUPS = (
    "WITH t AS MATERIALIZED ("
    f"SELECT p.id, p.locale, p.locale_hint, {_BACKEND} AS backend FROM persons p"
    " WHERE {cond})"
    " SELECT locale, locale_hint, backend, MIN(id), COUNT(*), json_group_array(id) FROM t"
    " WHERE backend IS NOT NULL GROUP BY locale, locale_hint, backend"
)


async def _targets(db: Database, cond: str, params: list[Any]) -> Targets:
    rows = await db.fetchall(_GROUPS.format(cond=cond), params)
    return Targets(tuple(TargetGroup(*r) for r in rows))


def _between(cond: str, params: list[Any], low: int, high: int) -> tuple[str, list[Any]]:
    """``cond`` for the persons whose id is in [low, high): one batch of a fan-out."""
    return f"p.id >= ? AND p.id < ? AND {cond}", [low, high, *params]


async def between(
    db: Database,
    audience: Audience,
    consultation_id: int,
    low: int,
    high: int,
    *,
    agents_may_support: bool = False,
) -> Targets:
    """``targets`` among the persons whose id is in [low, high)."""
    cond, params = _condition(audience, consultation_id, agents_may_support)
    return await _targets(db, *_between(cond, params, low, high))


# A needs reminder speaks of the person's collectivité (the one they act for, else
# their first) and of the needs it sent: grouped by it as well.
_NEEDS_GROUPS = (
    "WITH t AS MATERIALIZED ("
    f"SELECT p.id, p.locale, p.locale_hint, {_BACKEND} AS backend,"
    " COALESCE((SELECT m.collectivite FROM memberships m WHERE m.person_id = p.id"
    "   AND m.status = 'approved' AND m.collectivite = p.acting_for),"
    "  (SELECT m.collectivite FROM memberships m WHERE m.person_id = p.id"
    "   AND m.status = 'approved' ORDER BY m.id LIMIT 1)) AS code"
    " FROM persons p WHERE {cond}),"
    " sent AS (SELECT k.collectivite, COUNT(*) AS n FROM contributions k"
    "   WHERE k.consultation_id = ? AND k.status != 'withdrawn'"
    "   AND k.collectivite IN (SELECT code FROM t) GROUP BY k.collectivite)"
    " SELECT t.locale, t.locale_hint, t.backend, MIN(t.id), COUNT(*), json_group_array(t.id),"
    " json_array(c.name, COALESCE(sent.n, 0)) FROM t"
    " JOIN collectivites c ON c.code = t.code LEFT JOIN sent ON sent.collectivite = t.code"
    " WHERE t.backend IS NOT NULL GROUP BY t.locale, t.locale_hint, t.backend, t.code"
)


async def reminder_between(
    db: Database,
    phase_kind: str,
    consultation_id: int,
    low: int,
    high: int,
    *,
    agents_may_support: bool = False,
) -> Targets:
    """``reminder_targets`` among the persons whose id is in [low, high); a needs
    reminder's groups carry ``[collectivité name, needs it sent]`` as their variant."""
    found = _reminder_condition(phase_kind, consultation_id, agents_may_support)
    if found is None:
        return Targets()
    cond, params = _between(*found, low, high)
    if phase_kind != "needs":
        return await _targets(db, cond, params)
    rows = await db.fetchall(_NEEDS_GROUPS.format(cond=cond), [*params, consultation_id])
    return Targets(tuple(TargetGroup(*r) for r in rows))


async def _count(db: Database, cond: str, params: list[Any]) -> int:
    return sum((await _per_backend(db, cond, params)).values())


async def _per_backend(db: Database, cond: str, params: list[Any]) -> dict[str, int]:
    rows = await db.fetchall(
        _BACKENDS.format(cond=cond)
        + " SELECT backend, COUNT(*) FROM t WHERE backend IS NOT NULL GROUP BY backend",
        params,
    )
    return {str(r[0]): int(r[1]) for r in rows}


async def targets(
    db: Database, audience: Audience, consultation_id: int, *, agents_may_support: bool = False
) -> Targets:
    return await _targets(db, *_condition(audience, consultation_id, agents_may_support))


async def reach(
    db: Database, person_ids: list[int]
) -> list[tuple[int, str | None, str | None, str]]:
    """(id, locale, locale hint, backend) of these persons who can be reached."""
    rows = await db.fetchall(
        f"SELECT p.id, p.locale, p.locale_hint, {_BACKEND} AS backend FROM persons p"
        " WHERE p.id IN (SELECT value FROM json_each(?)) ORDER BY p.id",
        (json.dumps(person_ids),),
    )
    return [(int(r[0]), r[1], r[2], str(r[3])) for r in rows if r[3] is not None]


async def count(
    db: Database, audience: Audience, consultation_id: int, *, agents_may_support: bool = False
) -> int:
    return await _count(db, *_condition(audience, consultation_id, agents_may_support))


async def count_by_backend(
    db: Database, audience: Audience, consultation_id: int, *, agents_may_support: bool = False
) -> dict[str, int]:
    """Recipients per backend, to estimate how long delivery will take."""
    return await _per_backend(db, *_condition(audience, consultation_id, agents_may_support))


async def matching(db: Database, cond: str, params: list[Any]) -> Targets:
    """The persons meeting ``cond`` (a condition on ``persons p``), for audiences
    defined elsewhere: the followers of a proposal (``storage.follows``)."""
    return await _targets(db, cond, params)


async def reminder_targets(
    db: Database, phase_kind: str, consultation_id: int, *, agents_may_support: bool = False
) -> Targets:
    found = _reminder_condition(phase_kind, consultation_id, agents_may_support)
    return Targets() if found is None else await _targets(db, *found)


async def region_code(db: Database, query: str) -> tuple[str, str] | None:
    """(code, name) of a région typed as its INSEE code or its name."""
    return await _named(db, "regions", query)


async def departement_code(db: Database, query: str) -> tuple[str, str] | None:
    """(code, name) of a département typed as its code (24, 2A, 971) or its name."""
    return await _named(db, "departements", query)


async def _named(db: Database, table: str, query: str) -> tuple[str, str] | None:
    raw = query.strip()
    if not raw or len(raw) > 80:
        return None
    row = await db.fetchone(f"SELECT code, name FROM {table} WHERE code = ?", (raw.upper(),))
    if row is None:
        wanted = normalise(raw)
        for candidate in await db.fetchall(f"SELECT code, name FROM {table}"):
            if normalise(str(candidate["name"])) == wanted:
                row = candidate
                break
    return None if row is None else (str(row["code"]), str(row["name"]))
