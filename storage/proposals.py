"""Proposals: what staff grouped the needs into, and what people vote for and support."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.db import Database
from storage.instants import to_iso

Status = Literal["open", "selected", "not_selected"]
# The tokenizer folds accents and case itself; only words reach it, never operators.
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Proposal:
    id: int
    consultation_id: int
    number: int
    title: str
    summary: str
    theme: str
    status: Status
    votes: int = 0
    supports: int = 0
    contributions: int = 0


_SELECT = (
    "SELECT p.id, p.consultation_id, p.number, p.title, p.summary, p.theme, p.status,"
    " (SELECT COUNT(*) FROM votes v WHERE v.proposal_id = p.id) AS votes,"
    " (SELECT COUNT(*) FROM supports s WHERE s.proposal_id = p.id) AS supports,"
    " (SELECT COUNT(*) FROM contributions c WHERE c.proposal_id = p.id) AS contributions"
    " FROM proposals p"
)


def _proposal(r: sqlite3.Row) -> Proposal:
    return Proposal(
        id=int(r["id"]),
        consultation_id=int(r["consultation_id"]),
        number=int(r["number"]),
        title=str(r["title"]),
        summary=str(r["summary"]),
        theme=str(r["theme"]),
        status=r["status"],
        votes=int(r["votes"]),
        supports=int(r["supports"]),
        contributions=int(r["contributions"]),
    )


async def next_number(db: Database, consultation_id: int) -> int:
    value = await db.fetchval(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM proposals WHERE consultation_id = ?",
        (consultation_id,),
    )
    return int(value)


async def create(
    db: Database,
    consultation_id: int,
    *,
    title: str,
    summary: str,
    theme: str,
    now: datetime,
    number: int | None = None,
) -> Proposal:
    """A new proposal; without a number it takes the next free one."""
    if number is None:
        number = await next_number(db, consultation_id)
    stamp = to_iso(now)
    proposal_id = await db.execute(
        "INSERT INTO proposals(consultation_id, number, title, summary, theme, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (consultation_id, number, title, summary, theme, stamp, stamp),
    )
    created = await get(db, proposal_id)
    assert created is not None
    return created


async def update(
    db: Database,
    proposal_id: int,
    *,
    now: datetime,
    number: int | None = None,
    title: str | None = None,
    summary: str | None = None,
    theme: str | None = None,
) -> None:
    fields = {"number": number, "title": title, "summary": summary, "theme": theme}
    changes = {key: value for key, value in fields.items() if value is not None}
    if not changes:
        return
    assignments = ", ".join(f"{key} = ?" for key in changes)
    await db.execute(
        f"UPDATE proposals SET {assignments}, updated_at = ? WHERE id = ?",
        (*changes.values(), to_iso(now), proposal_id),
    )


async def get(db: Database, proposal_id: int) -> Proposal | None:
    row = await db.fetchone(f"{_SELECT} WHERE p.id = ?", (proposal_id,))
    return _proposal(row) if row else None


async def by_number(db: Database, consultation_id: int, number: int) -> Proposal | None:
    row = await db.fetchone(
        f"{_SELECT} WHERE p.consultation_id = ? AND p.number = ?", (consultation_id, number)
    )
    return _proposal(row) if row else None


async def page(
    db: Database,
    consultation_id: int,
    *,
    theme: str | None = None,
    limit: int = 5,
    offset: int = 0,
) -> list[Proposal]:
    """Proposals in number order, optionally of one theme, a phone screen at a time."""
    where = "WHERE p.consultation_id = ?" + (" AND p.theme = ?" if theme else "")
    params: tuple[object, ...] = (consultation_id, theme) if theme else (consultation_id,)
    rows = await db.fetchall(
        f"{_SELECT} {where} ORDER BY p.number LIMIT ? OFFSET ?", (*params, limit, offset)
    )
    return [_proposal(r) for r in rows]


async def count(db: Database, consultation_id: int, theme: str | None = None) -> int:
    if theme:
        value = await db.fetchval(
            "SELECT COUNT(*) FROM proposals WHERE consultation_id = ? AND theme = ?",
            (consultation_id, theme),
        )
    else:
        value = await db.fetchval(
            "SELECT COUNT(*) FROM proposals WHERE consultation_id = ?", (consultation_id,)
        )
    return int(value)


async def search(db: Database, consultation_id: int, query: str, limit: int = 10) -> list[Proposal]:
    """Proposals whose title or summary hold every word typed, accents and case aside.

    Each word is quoted and used as a prefix, so FTS5 syntax typed by a person
    ("AND", quotes, stars) is read as words, never as operators.
    """
    words = _WORD.findall(query)[:8]
    if not words:
        return []
    match = " ".join(f'"{word}"*' for word in words)
    rows = await db.fetchall(
        f"{_SELECT} JOIN proposals_fts f ON f.rowid = p.id"
        " WHERE proposals_fts MATCH ? AND p.consultation_id = ? ORDER BY f.rank LIMIT ?",
        (match, consultation_id, limit),
    )
    return [_proposal(r) for r in rows]


async def set_status(db: Database, proposal_id: int, status: Status, now: datetime) -> None:
    await db.execute(
        "UPDATE proposals SET status = ?, updated_at = ? WHERE id = ?",
        (status, to_iso(now), proposal_id),
    )


# -- read models for browsing, voting, supporting and selecting ---------------------------


@dataclass(frozen=True)
class Origin:
    """Where a proposal came from, without saying who: counts only."""

    contributions: int
    collectivites: int
    themes: dict[str, int]


async def of_ids(db: Database, proposal_ids: list[int]) -> list[Proposal]:
    """These proposals in number order (missing ids are skipped)."""
    if not proposal_ids:
        return []
    marks = ", ".join("?" for _ in proposal_ids)
    rows = await db.fetchall(
        f"{_SELECT} WHERE p.id IN ({marks}) ORDER BY p.number", tuple(proposal_ids)
    )
    return [_proposal(r) for r in rows]


async def count_by_theme(db: Database, consultation_id: int) -> dict[str, int]:
    rows = await db.fetchall(
        "SELECT theme, COUNT(*) AS n FROM proposals WHERE consultation_id = ? GROUP BY theme",
        (consultation_id,),
    )
    return {str(r["theme"]): int(r["n"]) for r in rows}


async def origin(db: Database, proposal_id: int) -> Origin:
    rows = await db.fetchall(
        "SELECT theme, COUNT(*) AS n FROM contributions WHERE proposal_id = ?"
        " GROUP BY theme ORDER BY n DESC, theme",
        (proposal_id,),
    )
    places = await db.fetchval(
        "SELECT COUNT(DISTINCT collectivite) FROM contributions WHERE proposal_id = ?",
        (proposal_id,),
    )
    return Origin(
        contributions=sum(int(r["n"]) for r in rows),
        collectivites=int(places or 0),
        themes={str(r["theme"]): int(r["n"]) for r in rows},
    )


async def publish_status(
    db: Database, proposal_id: int, status: Literal["selected", "not_selected"], now: datetime
) -> bool:
    """Decide a proposal still open; False when it was decided already, so a
    result is announced once whatever is pressed twice."""
    count = await db.execute_rowcount(
        "UPDATE proposals SET status = ?, updated_at = ? WHERE id = ? AND status = 'open'",
        (status, to_iso(now), proposal_id),
    )
    return count == 1
