"""The consultation and its calendar: an ordered list of dated phases.

The phase open *now* decides what is allowed, so every permission check asks
``open_phase`` with the context's clock rather than trusting a button.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from storage.db import Database
from storage.instants import from_iso, to_iso

PhaseKind = Literal["needs", "vote", "support", "selection", "coconstruction"]
PHASE_KINDS: tuple[PhaseKind, ...] = ("needs", "vote", "support", "selection", "coconstruction")


@dataclass(frozen=True)
class Phase:
    id: int
    position: int
    kind: PhaseKind
    opens_at: datetime
    closes_at: datetime | None

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now and (self.closes_at is None or now < self.closes_at)


@dataclass(frozen=True)
class Consultation:
    id: int
    slug: str
    title: str
    settings: dict[str, Any] = field(default_factory=dict)
    phases: tuple[Phase, ...] = ()

    def open_phase(self, now: datetime) -> Phase | None:
        for phase in self.phases:
            if phase.is_open(now):
                return phase
        return None

    @property
    def has_votes(self) -> bool:
        """Whether people vote at all: 2021 as run had no vote phase (vote and support
        were one step), and then no vote is shown anywhere, not even a count of 0."""
        return any(p.kind == "vote" for p in self.phases)

    def next_phase(self, now: datetime) -> Phase | None:
        upcoming = [p for p in self.phases if p.opens_at > now]
        return min(upcoming, key=lambda p: p.opens_at) if upcoming else None


async def current(db: Database) -> Consultation | None:
    """The consultation people are taking part in: the most recent one.

    One query with its phases, since nearly every event asks for it.
    """
    rows = await db.fetchall(
        "SELECT c.id, c.slug, c.title, c.settings, p.id AS phase_id, p.position, p.kind,"
        " p.opens_at, p.closes_at"
        " FROM consultations c LEFT JOIN phases p ON p.consultation_id = c.id"
        " WHERE c.id = (SELECT MAX(id) FROM consultations) ORDER BY p.position"
    )
    if not rows:
        return None
    first = rows[0]
    phases = tuple(
        Phase(
            id=int(p["phase_id"]),
            position=int(p["position"]),
            kind=p["kind"],
            opens_at=from_iso(p["opens_at"]),
            closes_at=from_iso(p["closes_at"]) if p["closes_at"] else None,
        )
        for p in rows
        if p["phase_id"] is not None
    )
    return Consultation(
        id=int(first["id"]),
        slug=str(first["slug"]),
        title=str(first["title"]),
        settings=json.loads(first["settings"]),
        phases=phases,
    )


async def create(
    db: Database,
    *,
    slug: str,
    title: str,
    settings: dict[str, Any],
    phases: list[tuple[PhaseKind, datetime, datetime | None]],
    now: datetime,
) -> int:
    """Create a consultation with its phases, refusing overlaps or disorder."""
    previous_close: datetime | None = None
    for index, (_kind, opens, closes) in enumerate(phases):
        if closes is not None and closes <= opens:
            raise ValueError(f"phase {index + 1} closes before it opens")
        if previous_close is not None and opens < previous_close:
            raise ValueError(f"phase {index + 1} opens before the previous one closes")
        if previous_close is None and index > 0:
            raise ValueError("only the last phase may be open-ended")
        previous_close = closes
    async with db.transaction():
        consultation_id = await db.execute(
            "INSERT INTO consultations(slug, title, settings, created_at) VALUES (?, ?, ?, ?)",
            (slug, title, json.dumps(settings, ensure_ascii=False), to_iso(now)),
        )
        await db.executemany(
            "INSERT INTO phases(consultation_id, position, kind, opens_at, closes_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (consultation_id, i + 1, kind, to_iso(opens), to_iso(closes) if closes else None)
                for i, (kind, opens, closes) in enumerate(phases)
            ],
        )
    return consultation_id
