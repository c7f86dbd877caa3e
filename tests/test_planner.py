"""The per-message queries keep their plans as the tables grow after start-up.

Started on an empty database, the planner's statistics (``ANALYZE`` at start)
describe tables of one row; with them SQLite scanned ``persons`` and
``identities`` for every message once there were tens of thousands of rows.
Here the app starts empty, the tables grow while it runs (as people join),
and every statement a message runs is explained on the app's own connection.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock, to_iso
from storage import persons
from storage.db import Database
from tests.conftest import make_app, onboard

GROWN = 30_000
# Tables that grow with the number of persons: a SCAN of any of them is a
# per-message cost proportional to the country.
GROWING = ("persons", "identities", "memberships", "conversations", "processed_events", "outbox")


def _grow(conn: sqlite3.Connection, stamp: str) -> None:
    """Persons as onboarding leaves them, inserted while the app runs."""
    start = conn.execute("SELECT COALESCE(MAX(id), 0) FROM persons").fetchone()[0] + 1
    ids = range(start, start + GROWN)
    conn.executemany(
        "INSERT INTO persons(id, display_name, locale, created_at) VALUES (?, ?, 'fr', ?)",
        [(i, f"p{i}", stamp) for i in ids],
    )
    conn.executemany(
        "INSERT INTO identities(identity, backend, person_id, address, last_seen, created_at)"
        " VALUES (?, 'memory', ?, ?, ?, ?)",
        [(f"memory:p{i}", i, f"p{i}", stamp, stamp) for i in ids],
    )
    conn.executemany(
        "INSERT INTO memberships(person_id, collectivite, role, status, created_at)"
        " VALUES (?, '24432', 'elu', 'approved', ?)",
        [(i, stamp) for i in ids],
    )
    conn.executemany(
        "INSERT INTO conversations(person_id, updated_at) VALUES (?, ?)",
        [(i, stamp) for i in ids],
    )
    conn.executemany(
        "INSERT INTO processed_events(event_id, processed_at) VALUES (?, ?)",
        [(f"memory:grown:{i}", stamp) for i in ids],
    )


def _scans(conn: sqlite3.Connection, sql: str) -> list[str]:
    """The growing tables this statement reads whole."""
    aliases: dict[str, str] = {}
    for table, alias in re.findall(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", sql, re.I):
        if table in GROWING:
            aliases[table] = table
            if alias and alias.upper() not in {"WHERE", "JOIN", "ON", "LEFT", "ORDER", "GROUP"}:
                aliases[alias] = table
    found = []
    for row in conn.execute("EXPLAIN QUERY PLAN " + sql):
        match = re.match(r"SCAN (\w+)", row[3])
        if match and match.group(1) in aliases:
            found.append(f"{row[3]} in {sql}")
    return found


async def test_per_message_queries_do_not_scan_as_persons_join(
    db_path: Path, clock: FrozenClock
) -> None:
    # As the README starts it: ``guichet staff add`` (one person), then ``guichet run``.
    db = await Database.open(db_path)
    admin = await persons.ensure(db, "telegram:1", now=clock.now())
    await persons.set_role(db, admin.id, "admin")
    await db.close()
    app = await make_app(db_path, clock)
    chat = MemoryBackend(app)
    try:
        await onboard(chat, "first")
        await app.services.db.run(_grow, to_iso(clock.now()))
        for n in range(20):  # the traffic that goes on while the country joins
            await chat.say(f"p{n + 1}", "/aide")

        statements: list[str] = []
        db = app.services.db
        await db.run(lambda c: c.set_trace_callback(statements.append))
        try:
            await onboard(chat, "newcomer")
            await chat.say("p5", "/aide")
            await chat.say("p6", "/profil")
            await chat.say("p7", "/calendrier")
            await chat.say("p7", "bonjour")
        finally:
            await db.run(lambda c: c.set_trace_callback(None))
        queries = [
            s for s in statements if re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)", s, re.I)
        ]
        assert any("identities" in s for s in queries)
        assert any("conversations" in s for s in queries)
        assert any("processed_events" in s for s in queries)
        plans = await db.run(lambda c: [scan for s in queries for scan in _scans(c, s)])
        assert plans == [], "\n".join(plans)
    finally:
        await app.close()
