"""The rows the steering committee receives, and nothing more.

Each query names its columns one by one, so a column added to a table later
never leaks into an export by accident. Contributions and supports carry the
collectivité (code, name, population, EPCI) but never who wrote or committed
them: no person id, name or identity. Only the audit log keeps the staff
labels, because accountability is its purpose, and it is only exported to
administrators and operators.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from storage.audit import public_detail, public_target
from storage.db import Database
from storage.follows import FOLLOWERS
from storage.instants import from_iso

Row = tuple[Any, ...]


def _iter(
    conn: sqlite3.Connection, sql: str, params: tuple[Any, ...], dates: set[int]
) -> Iterator[Row]:
    """Rows as tuples, one at a time, with the stored ISO text of ``dates`` columns
    made datetimes."""
    for raw in conn.execute(sql, params):
        yield tuple(from_iso(v) if i in dates and v is not None else v for i, v in enumerate(raw))


def _rows(
    conn: sqlite3.Connection, sql: str, params: tuple[Any, ...], dates: set[int]
) -> list[Row]:
    return list(_iter(conn, sql, params, dates))


def _contributions(conn: sqlite3.Connection, consultation_id: int) -> Iterator[Row]:
    """id, created, code, collectivité, département, population, theme, status,
    title, text, reason, pointer, proposal number, reviewed."""
    return _iter(
        conn,
        "SELECT k.id, k.created_at, k.collectivite, c.name, c.departement, c.population,"
        " k.theme, k.status, k.title, k.body, k.reason, k.pointer, p.number, k.reviewed_at"
        " FROM contributions k JOIN collectivites c ON c.code = k.collectivite"
        " LEFT JOIN proposals p ON p.id = k.proposal_id"
        " WHERE k.consultation_id = ? ORDER BY k.id",
        (consultation_id,),
        {1, 13},
    )


def _proposals(conn: sqlite3.Connection, consultation_id: int) -> list[Row]:
    return _rows(
        conn,
        "WITH v AS (SELECT proposal_id, COUNT(*) AS n FROM votes GROUP BY proposal_id),"
        " s AS (SELECT proposal_id, COUNT(*) AS n, SUM(level = 'soutien') AS soutien,"
        "  SUM(level = 'co_construction') AS cocon FROM supports GROUP BY proposal_id),"
        " k AS (SELECT proposal_id, COUNT(*) AS n, COUNT(DISTINCT collectivite) AS places"
        "  FROM contributions WHERE proposal_id IS NOT NULL GROUP BY proposal_id)"
        " SELECT p.number, p.title, p.theme, p.status, COALESCE(k.n, 0), COALESCE(k.places, 0),"
        " COALESCE(v.n, 0), COALESCE(s.n, 0), COALESCE(s.soutien, 0), COALESCE(s.cocon, 0),"
        " p.summary, p.created_at"
        " FROM proposals p LEFT JOIN v ON v.proposal_id = p.id"
        " LEFT JOIN s ON s.proposal_id = p.id LEFT JOIN k ON k.proposal_id = p.id"
        " WHERE p.consultation_id = ? ORDER BY p.number",
        (consultation_id,),
        {11},
    )


async def proposals(db: Database, consultation_id: int) -> list[Row]:
    """number, title, theme, status, contributions, contributing collectivités,
    votes, supports, soutien, co-construction, summary, created."""
    return await db.run(_proposals, consultation_id)


def _supports(conn: sqlite3.Connection, consultation_id: int) -> Iterator[Row]:
    """proposal number, title, level, INSEE code or SIREN, kind, name, département,
    région, population, EPCI SIREN, EPCI name, committed, last changed."""
    return _iter(
        conn,
        "SELECT p.number, p.title, s.level, s.collectivite, c.kind, c.name, c.departement,"
        " r.name, c.population, c.epci, e.name, s.created_at, s.updated_at"
        " FROM supports s JOIN proposals p ON p.id = s.proposal_id"
        " JOIN collectivites c ON c.code = s.collectivite"
        " LEFT JOIN regions r ON r.code = c.region"
        " LEFT JOIN collectivites e ON e.code = c.epci"
        " WHERE p.consultation_id = ? ORDER BY p.number, s.collectivite",
        (consultation_id,),
        {11, 12},
    )


def _volunteers(conn: sqlite3.Connection, consultation_id: int) -> list[Row]:
    return _rows(
        conn,
        "SELECT p.number, p.title, v.status, v.collectivite, c.kind, c.name, c.departement,"
        " c.population, v.created_at, v.queued_at"
        " FROM volunteers v JOIN proposals p ON p.id = v.proposal_id"
        " JOIN collectivites c ON c.code = v.collectivite"
        " WHERE p.consultation_id = ?"
        " ORDER BY p.number, CASE v.status WHEN 'approved' THEN 0 WHEN 'waiting' THEN 1"
        " ELSE 2 END, v.queued_at, v.id",
        (consultation_id,),
        {8, 9},
    )


async def volunteers(db: Database, consultation_id: int) -> list[Row]:
    """proposal number, title, status, INSEE code or SIREN, kind, name, département,
    population, volunteered, place or waiting list since: collectivités, never persons."""
    return await db.run(_volunteers, consultation_id)


def _coconstruction(conn: sqlite3.Connection, consultation_id: int, places: int) -> list[Row]:
    rows = _rows(
        conn,
        "SELECT p.id, p.number, p.title, COALESCE(cp.places, ?),"
        " (SELECT COUNT(*) FROM volunteers v WHERE v.proposal_id = p.id AND v.status = 'approved'),"
        " (SELECT COUNT(*) FROM volunteers v WHERE v.proposal_id = p.id AND v.status = 'waiting'),"
        " (SELECT COUNT(*) FROM volunteers v WHERE v.proposal_id = p.id AND v.status = 'applied'),"
        " (SELECT COUNT(*) FROM volunteers v WHERE v.proposal_id = p.id AND v.status = 'invited'),"
        " (SELECT COUNT(*) FROM workspaces w WHERE w.proposal_id = p.id AND w.backend = 'matrix'),"
        " (SELECT COUNT(*) FROM workspaces w WHERE w.proposal_id = p.id"
        "  AND w.backend = 'telegram'),"
        " (SELECT COUNT(*) FROM proposal_news n WHERE n.proposal_id = p.id)"
        " FROM proposals p LEFT JOIN coconstruction_places cp ON cp.proposal_id = p.id"
        " WHERE p.consultation_id = ? AND p.status = 'selected' ORDER BY p.number",
        (places, consultation_id),
        set(),
    )
    out = []
    for proposal_id, *counts in rows:
        followers = conn.execute(f"SELECT COUNT(*) FROM ({FOLLOWERS})", (proposal_id,)).fetchone()
        out.append((*counts[:-1], int(followers[0]), counts[-1]))
    return out


async def coconstruction(db: Database, consultation_id: int, places: int) -> list[Row]:
    """For each selected proposal: number, title, places, volunteers with a place,
    waiting, to decide, invited, Matrix rooms, Telegram groups, followers, news sent."""
    return await db.run(_coconstruction, consultation_id, places)


def _audit(conn: sqlite3.Connection, up_to: int = 2**62) -> Iterator[Row]:
    """Entries up to ``up_to``: an export read after its request (``stream``) shows
    the log as it was then, without the entry that records the export itself."""
    for id_, at, label, action, target, detail in _iter(
        conn,
        "SELECT id, at, staff_label, action, target, detail FROM audit_log WHERE id <= ?"
        " ORDER BY id",
        (up_to,),
        {1},
    ):
        yield (id_, at, label, action, public_target(str(target)), public_detail(str(detail)))


async def audit_log(db: Database) -> list[Row]:
    """id, at, staff label, action, target, detail (JSON): the whole log, oldest first.

    Staff are named; participants are not: a target that leads to a person
    keeps its kind only, and the detail loses the keys naming one."""
    return await db.run(lambda conn: list(_audit(conn)))


StreamedKey = Literal["contributions", "supports", "audit_log"]
"""The tables that grow with the consultation: read as streams, never as lists.
Each is read for a consultation id, except the audit log: up to an entry id."""
_STREAMED: dict[StreamedKey, Callable[[sqlite3.Connection, int], Iterator[Row]]] = {
    "contributions": _contributions,
    "supports": _supports,
    "audit_log": _audit,
}
_COUNTS: dict[StreamedKey, str] = {
    "contributions": "SELECT COUNT(*) FROM contributions WHERE consultation_id = ?",
    "supports": "SELECT COUNT(*) FROM supports s JOIN proposals p ON p.id = s.proposal_id"
    " WHERE p.consultation_id = ?",
    "audit_log": "SELECT COUNT(*) FROM audit_log WHERE id <= ?",
}


def stream(path: str, key: StreamedKey, within: int) -> Iterator[Row]:
    """The rows of a big table read through a read-only connection of their own.

    For the files of a national consultation: read in a worker thread while the
    bot goes on with everyone's messages on its own connection (WAL lets this
    reader see the last commit without holding anyone up), and written out as
    they come, so the process never holds a whole table: ``/export`` took the
    process from 140 to 463 MiB, and 410 MiB afterwards, with tables as lists.
    """
    conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        yield from _STREAMED[key](conn, within)
    finally:
        conn.close()


async def count(db: Database, key: StreamedKey, within: int) -> int:
    return int(await db.fetchval(_COUNTS[key], (within,)))


async def audit_bound(db: Database) -> int:
    """The last audit entry now: what an export asked for now shows of the log."""
    return int(await db.fetchval("SELECT COALESCE(MAX(id), 0) FROM audit_log"))
