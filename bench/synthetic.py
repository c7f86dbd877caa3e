"""A national-sized database for the benchmarks that need one.

The shipped reference data (~35,000 communes) and a synthetic consultation:
``persons`` persons with memberships (95 % approved) spread over half of the
communes, 5,000 contributions, 67 proposals, about four votes per person and
supports from 15,000 collectivités, dated over the 60 days before ``now``.
Seeded, so runs compare. Used by ``stats.py``, ``reminders.py``,
``memory.py`` and ``startup.py``.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.clock import to_iso
from bot.demo import seed as demo
from storage import consultations
from storage.consultations import PhaseKind
from storage.db import Database
from storage.refdata import ensure_loaded

STATUSES = ["submitted", "grouped", "grouped", "grouped", "rerouted", "rejected", "withdrawn"]
THEMES = ["mobility", "culture", "sharing", "citizen_services", "data", "administration"]


def populate(conn: sqlite3.Connection, consultation_id: int, persons: int, now: datetime) -> None:
    rng = random.Random(2021)
    communes = [r[0] for r in conn.execute("SELECT code FROM collectivites WHERE kind='commune'")]

    def when() -> str:
        return to_iso(now - timedelta(seconds=rng.randrange(60 * 86400)))

    conn.execute("BEGIN")
    people = []
    for i in range(persons):
        stamp = when()
        pid = conn.execute(
            "INSERT INTO persons(display_name, locale, created_at) VALUES (?, 'fr', ?)",
            (f"p{i}", stamp),
        ).lastrowid
        conn.execute(
            "INSERT INTO identities(identity, backend, person_id, last_seen, created_at)"
            " VALUES (?, 'telegram', ?, ?, ?)",
            (f"telegram:{i}", pid, stamp, stamp),
        )
        code = rng.choice(communes[: len(communes) // 2])  # about half the map takes part
        status = "approved" if rng.random() < 0.95 else "pending"
        conn.execute(
            "INSERT INTO memberships(person_id, collectivite, role, status, decided_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (pid, code, rng.choice(["elu", "agent"]), status, stamp, stamp),
        )
        people.append((pid, code))
    proposal_ids = []
    for number in range(1, 68):
        stamp = when()
        proposal_ids.append(
            conn.execute(
                "INSERT INTO proposals(consultation_id, number, title, theme, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    consultation_id,
                    number,
                    f"Proposition {number}",
                    rng.choice(THEMES),
                    stamp,
                    stamp,
                ),
            ).lastrowid
        )
    contributions = []
    for _ in range(5000):
        pid, code = rng.choice(people)
        status = rng.choice(STATUSES)
        stamp = when()
        grouped_into = rng.choice(proposal_ids) if status == "grouped" else None
        theme = rng.choice(THEMES)
        row = (consultation_id, pid, code, "Besoin", "Texte", theme, status, grouped_into)
        contributions.append((*row, stamp, stamp))
    conn.executemany(
        "INSERT INTO contributions(consultation_id, author_id, collectivite, title, body, theme,"
        " status, proposal_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        contributions,
    )
    conn.executemany(
        "INSERT INTO votes(person_id, proposal_id, created_at) VALUES (?, ?, ?)",
        (
            (pid, proposal, when())
            for pid, _ in people
            for proposal in rng.sample(proposal_ids, rng.randrange(9))
        ),
    )
    supporters = sorted({code for _, code in people})[:15000]
    conn.executemany(
        "INSERT INTO supports(collectivite, proposal_id, level, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            (code, proposal, rng.choice(["soutien", "co_construction"]), stamp, stamp)
            for code in supporters
            for proposal in rng.sample(proposal_ids, rng.randrange(1, 6))
            for stamp in [when()]
        ),
    )
    conn.execute("COMMIT")


async def add_consultation(
    db: Database, persons: int, now: datetime, open_kind: PhaseKind = "support"
) -> int:
    """The synthetic consultation (the demo's calendar, ``open_kind`` open at ``now``)
    and its participants, in a database that already holds the reference data."""
    consultation_id = await consultations.create(
        db,
        slug="bench",
        title="Bench",
        settings={},
        phases=demo.demo_phases(now.date(), open_kind),
        now=now,
    )
    await db.run(populate, consultation_id, persons, now)
    return consultation_id


async def build(path: Path, persons: int, now: datetime) -> float:
    """Write the whole database to ``path`` (closed, WAL folded in); seconds taken."""
    started = time.perf_counter()
    db = await Database.open(path)
    try:
        await ensure_loaded(db)
        await add_consultation(db, persons, now)
        await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await db.close()
    return time.perf_counter() - started
