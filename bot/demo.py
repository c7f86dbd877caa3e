"""The demo consultation: the 2021 calendar's shape, dated around today.

The announced 2021 calendar (needs 25 Jan → 15 Mar, vote → 15 Apr, support →
15 May, then selection) is shifted so that the chosen phase is open now, which
lets a trial see every phase without waiting for months.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.clock import PARIS
from storage import consultations, persons
from storage.consultations import PhaseKind
from storage.db import Database

SLUG = "transformation-numerique-demo"
TITLE = "Transformation numérique des collectivités territoriales"
TITLE_EN = "Digital transformation of local authorities"
DURATIONS: dict[PhaseKind, int | None] = {"needs": 50, "vote": 31, "support": 30, "selection": None}
SETTINGS = {
    "title_en": TITLE_EN,
    "votes_per_person": 10,
    "supports_per_collectivite": None,
    "agents_may_support": False,
    "themes": [
        "mobility",
        "culture",
        "sharing",
        "citizen_services",
        "schools",
        "environment",
        "data",
        "administration",
    ],
}
STAFF_IDENTITY = "console:staff"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=PARIS)


def demo_phases(
    today: date, open_kind: PhaseKind
) -> list[tuple[PhaseKind, datetime, datetime | None]]:
    """Back-to-back phases; ``open_kind`` opened ten days ago (selection: yesterday)."""
    kinds: list[PhaseKind] = ["needs", "vote", "support", "selection"]
    index = kinds.index(open_kind)
    start = today - timedelta(days=1 if open_kind == "selection" else 10)
    for kind in reversed(kinds[:index]):
        days = DURATIONS[kind]
        assert days is not None
        start -= timedelta(days=days)
    phases: list[tuple[PhaseKind, datetime, datetime | None]] = []
    for kind in kinds:
        days = DURATIONS[kind]
        end = None if days is None else start + timedelta(days=days)
        phases.append((kind, _midnight(start), _midnight(end) if end else None))
        if end is None:
            break
        start = end
    return phases


async def seed(db: Database, now: datetime, open_kind: PhaseKind = "needs") -> int:
    """Create the demo consultation and the staff person, unless already there."""
    existing = await consultations.current(db)
    if existing is not None:
        return existing.id
    consultation_id = await consultations.create(
        db,
        slug=SLUG,
        title=TITLE,
        settings=SETTINGS,
        phases=demo_phases(now.astimezone(PARIS).date(), open_kind),
        now=now,
    )
    async with db.transaction():
        staff = await persons.ensure(db, STAFF_IDENTITY, now=now, display_name="staff")
        await persons.set_role(db, staff.id, "admin")
    return consultation_id
