"""How long ``/stats`` takes on a national-sized database.

Run from the repository root: ``.venv/bin/python bench/stats.py [--persons N] [--runs N]``.

Builds a fresh SQLite file with the shipped reference data (~35,000 communes),
then a synthetic consultation in its support phase: 100,000 persons with
approved memberships spread over the communes, 5,000 contributions, 67
proposals, about 400,000 votes and 45,000 supports, dated over the last 60
days (seeded, so runs compare). Prints the median and worst time of
``/stats`` through the router (one SQLite transaction per event, as in
production), then one run of each chart and of ``/export``, and the time
openpyxl takes to write the whole workbook (as ``guichet export`` does).
Target: ``/stats`` median under 500 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import demo, exports
from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.clock import FrozenClock, to_iso
from bot.config import Config, Limits
from handlers.export import XLSX_CHAT_ROWS
from storage import consultations
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


async def timed(chat: MemoryBackend, user: str, line: str, press: bool = False) -> float:
    start = time.perf_counter()
    replies = await (chat.press(user, line) if press else chat.say(user, line))
    elapsed = time.perf_counter() - start
    assert replies and "reserved" not in replies[0].text, replies
    return elapsed


async def run(persons: int, runs: int) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as folder:
        limits = Limits(messages_per_minute=10**9)
        config = Config(db_path=str(Path(folder) / "bench.db"), limits=limits)
        app = await App.create(config, clock=FrozenClock(now))
        db = app.services.db
        t0 = time.perf_counter()
        await ensure_loaded(db)
        consultation_id = await consultations.create(
            db,
            slug="bench",
            title="Bench",
            settings={},
            phases=demo.demo_phases(now.date(), "support"),
            now=now,
        )
        await db.run(populate, consultation_id, persons, now)
        counts = {
            table: await db.fetchval(f"SELECT COUNT(*) FROM {table}")
            for table in ("collectivites", "persons", "contributions", "votes", "supports")
        }
        print(f"built in {time.perf_counter() - t0:.1f} s: {counts}")
        chat = MemoryBackend(app)
        await chat.say("staff", "/aide")
        await db.execute(
            "UPDATE persons SET role = 'admin' WHERE id ="
            " (SELECT person_id FROM identities WHERE identity = 'memory:staff')"
        )
        await timed(chat, "staff", "/stats")  # warm the page cache
        samples = [await timed(chat, "staff", "/stats") for _ in range(runs)]
        print(
            f"/stats: median {statistics.median(samples) * 1000:.0f} ms, "
            f"worst {max(samples) * 1000:.0f} ms over {runs} runs"
        )
        for data in ("stats.c:supports", "stats.c:daily", "stats.c:departements"):
            print(f"{data}: {await timed(chat, 'staff', data, press=True) * 1000:.0f} ms")
        # Past XLSX_CHAT_ROWS the chat sends CSV files instead of the workbook.
        export_ms = await timed(chat, "staff", "exp.f:xlsx", press=True) * 1000
        print(f"exp.f:xlsx (CSV past {XLSX_CHAT_ROWS:,} rows): {export_ms:.0f} ms")
        built = await exports.tables(db, consultation_id, audit=True)
        t1 = time.perf_counter()
        exports.to_xlsx(app.services.translations.get("fr"), built)
        print(f"XLSX of {sum(len(b.rows) for b in built):,} rows: {time.perf_counter() - t1:.1f} s")
        await app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(run(args.persons, args.runs))


if __name__ == "__main__":
    main()
