"""The demo consultation: the 2021 calendar's shape, dated around today.

The announced 2021 calendar (needs 25 Jan → 15 Mar, vote → 15 Apr, support →
15 May, then selection) is shifted so that the chosen phase is open now, which
lets a trial see every phase without waiting for months. Once the needs are
collected, the demo also holds what a real consultation would by then: the
2021 proposals, the contributions they grew from, and the votes and supports
of real communes (``bot.demo.data``), so every phase can be tried at once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.core.clock import PARIS
from bot.demo.data import PERSONS, PROPOSALS
from storage import consultations, contributions, memberships, persons, proposals, supports, votes
from storage.consultations import PhaseKind
from storage.db import Database
from storage.memberships import MemberRole
from storage.proposals import Status

SLUG = "transformation-numerique-demo"
TITLE = "Transformation numérique des collectivités territoriales"
TITLE_EN = "Digital transformation of local authorities"
DURATIONS: dict[PhaseKind, int | None] = {
    "needs": 50,
    "vote": 31,
    "support": 30,
    "selection": 14,
    "coconstruction": None,
}
SELECTED = 17
"""The demo's first proposals are the 17 selected in May 2021; in the
co-construction phase they are selected and the others not."""
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
    kinds: list[PhaseKind] = ["needs", "vote", "support", "selection", "coconstruction"]
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
    """Create the demo consultation and the staff person, unless already there.

    One transaction, the check inside it: two demos started together on one
    new file create one consultation, not two.
    """
    async with db.transaction():
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
        staff = await persons.ensure(db, STAFF_IDENTITY, now=now, display_name="staff")
        await persons.set_role(db, staff.id, "admin")
        await seed_proposals(db, now, open_kind)
    return consultation_id


async def seed_proposals(db: Database, now: datetime, open_kind: PhaseKind) -> int:
    """The proposals, their contributions, votes and (from the support phase) supports.

    Nothing during the needs phase, when proposals do not exist yet, nor when
    the consultation already has proposals; returns how many were created.
    The patterns are fixed, so a demo and a test see the same numbers.
    """
    consultation = await consultations.current(db)
    if consultation is None or open_kind == "needs" or not consultation.phases:
        return 0
    if await proposals.count(db, consultation.id):
        return 0
    collected = consultation.phases[0].opens_at
    cap = SETTINGS["votes_per_person"]
    assert isinstance(cap, int)
    async with db.transaction():
        staff = await persons.ensure(db, STAFF_IDENTITY, now=now, display_name="staff")
        people: list[tuple[int, str, MemberRole]] = []
        for identity, code, role, name in PERSONS:
            person = await persons.ensure(db, identity, now=now, display_name=name)
            await persons.set_locale(db, person.id, "fr")
            await memberships.request(
                db, person.id, code, role, approve=True, evidence="démo", now=now
            )
            await persons.set_acting_for(db, person.id, code)
            people.append((person.id, code, role))
        for index, (title, theme, summary) in enumerate(PROPOSALS):
            proposal = await proposals.create(
                db,
                consultation.id,
                title=title,
                summary=summary,
                theme=theme,
                now=now,
                number=index + 1,
            )
            authors = dict.fromkeys(
                people[(index * 5 + k * 3) % len(people)] for k in range(2 + index % 4)
            )
            grouped = []
            for k, (person_id, code, _role) in enumerate(authors):
                other = "administration" if theme != "administration" else "data"
                grouped.append(
                    await contributions.create(
                        db,
                        consultation.id,
                        author_id=person_id,
                        collectivite=code,
                        title=title,
                        body=summary,
                        theme=other if k == 1 else theme,
                        now=collected + timedelta(days=index + k),
                    )
                )
            await contributions.group(db, grouped, proposal.id, staff_id=staff.id, now=now)
            for j, (person_id, code, role) in enumerate(people):
                if (index * 7 + j * 3) % 5 < 2:
                    await votes.cast(db, person_id, proposal, cap=cap, now=now)
                if open_kind != "vote" and role == "elu" and (index + j) % 3 == 0:
                    await supports.commit(
                        db,
                        code,
                        proposal.id,
                        consultation.id,
                        level="co_construction" if (index * j) % 4 == 1 else "soutien",
                        person_id=person_id,
                        cap=None,
                        now=now,
                    )
            if open_kind == "coconstruction":
                status: Status = "selected" if index < SELECTED else "not_selected"
                await proposals.set_status(db, proposal.id, status, now)
    return len(PROPOSALS)
