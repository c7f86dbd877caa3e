"""Erasure leaves nothing of the person in the database file, WAL included.

The person erased here has every kind of data Guichet keeps: membership
requests (one approved, one pending), a need, a vote, a support, notifications
to them and about them (staff notices naming them), a staff role, and staff
actions of their own in the audit log. After ``/supprimer_compte`` the raw
bytes of the SQLite file and of its write-ahead log are searched for their
name, identity and display name: a row updated or deleted leaves its old bytes
in free space unless the database overwrites them.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from bot.core.messages import Incoming, Kind, Reply, from_text
from storage import exports, persons
from tests.conftest import make_app, text

IDENTITY = "memory:zephyrine4242"
DISPLAY_NAME = "Zéphyrine Vlasquetti-Ourbane"
NEEDLES = ("zephyrine4242", "Zéphyrine", "Vlasquetti", "Ourbane")
_events = itertools.count(1)


def _forms(needle: str) -> list[bytes]:
    """The bytes a string may be stored as: UTF-8, and JSON's ASCII escapes."""
    return [needle.encode("utf-8"), json.dumps(needle)[1:-1].encode("ascii")]


def _found(path: Path) -> dict[str, list[str]]:
    """Which needles the database file and its WAL still contain, file by file."""
    hits: dict[str, list[str]] = {}
    for file in (path, Path(f"{path}-wal")):
        if not file.exists():
            continue
        raw = file.read_bytes()
        hits[file.name] = [n for n in NEEDLES if any(form in raw for form in _forms(n))]
    return hits


@pytest.fixture
async def staffed(db_path: Path, clock: FrozenClock) -> AsyncIterator[App]:
    application = await make_app(db_path, clock, verification="staff")
    yield application
    await application.close()


async def say(chat: MemoryBackend, identity: str, name: str, line: str) -> list[Reply]:
    incoming = from_text(identity, f"e:{next(_events)}", line, display_name=name, address=name)
    return await chat.send(incoming)


async def request(chat: MemoryBackend, identity: str, name: str, query: str) -> str:
    for line in ("/start", "1", query):
        replies = await say(chat, identity, name, line)
    if replies[-1].choices and replies[-1].choices[0].data.startswith("onb.pick"):
        await say(chat, identity, name, "1")
    await say(chat, identity, name, "1")  # élu·e
    return text(await say(chat, identity, name, "1"))  # confirm


async def approve_first(chat: MemoryBackend, identity: str, name: str) -> str:
    shown = await say(chat, identity, name, "/moderation")
    if "mod.next:0" in [c.data for r in shown for c in r.choices]:  # contributions wait too
        shown = await say(chat, identity, name, "1")
    approve = next(c.data for r in shown for c in r.choices if c.data.startswith("mod.ok:"))
    incoming = Incoming(
        identity, f"e:{next(_events)}", Kind.CHOICE, data=approve, display_name=name
    )
    return text(await chat.send(incoming))


async def test_erasure_leaves_no_trace_in_the_database_file(staffed: App, db_path: Path) -> None:
    chat = MemoryBackend(staffed)
    db = staffed.services.db
    chef = await persons.ensure(
        db, "memory:cheffe", now=staffed.services.clock.now(), display_name="Cheffe"
    )
    await persons.set_role(db, chef.id, "admin")

    assert "en attente" in await request(chat, IDENTITY, DISPLAY_NAME, "24432")
    assert DISPLAY_NAME in text(await say(chat, "memory:cheffe", "Cheffe", "/moderation"))
    assert "Approuvé" in await approve_first(chat, "memory:cheffe", "Cheffe")
    for line in ("/besoin", "Covoiturage", "Un service entre les hameaux.", "1", "1"):
        await say(chat, IDENTITY, DISPLAY_NAME, line)
    person = await persons.by_identity(db, IDENTITY)
    assert person is not None
    consultation_id = await db.fetchval("SELECT id FROM consultations")
    proposal_id = await db.execute(
        "INSERT INTO proposals(consultation_id, number, title, theme, created_at, updated_at)"
        " VALUES (?, 99, 'P', 'data', '', '')",
        (consultation_id,),
    )
    await db.execute(
        "INSERT INTO votes(person_id, proposal_id, created_at) VALUES (?, ?, '')",
        (person.id, proposal_id),
    )
    await db.execute(
        "INSERT OR REPLACE INTO supports(collectivite, proposal_id, level, committed_by,"
        " created_at, updated_at) VALUES ('24432', ?, 'soutien', ?, '', '')",
        (proposal_id, person.id),
    )
    staff_added = await say(chat, "memory:cheffe", "Cheffe", f"/equipe ajouter {IDENTITY}")
    assert "partie de l'équipe" in text(staff_added)
    # as staff, the person decides someone else's request: the audit log names them
    await request(chat, "memory:bob", "Bob", "24432")
    assert "Approuvé" in await approve_first(chat, IDENTITY, DISPLAY_NAME)
    # a second request, still pending, announced to the staff
    await request(chat, IDENTITY, DISPLAY_NAME, "24037")
    assert any(DISPLAY_NAME in r.text for r in chat.inbox("cheffe"))
    before = _found(db_path)
    assert set(before["guichet.db-wal"]) == set(NEEDLES), before

    await say(chat, IDENTITY, DISPLAY_NAME, "/supprimer_compte")
    assert "sont effacées" in text(await say(chat, IDENTITY, DISPLAY_NAME, "1"))

    # read while the bot still runs: nothing waits for a clean shutdown
    after = _found(db_path)
    assert all(not hits for hits in after.values()), after
    # what is not the person's stays: the counts, and every staff action
    assert await db.fetchval("SELECT COUNT(*) FROM votes WHERE proposal_id = ?", (proposal_id,))
    actions = [r["action"] for r in await db.fetchall("SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("membership.approve") == 2 and "staff.add" in actions
    erased = await db.fetchone(
        "SELECT staff_id, staff_label FROM audit_log WHERE action = 'membership.approve'"
        " ORDER BY id DESC LIMIT 1"
    )
    assert erased is not None and erased["staff_id"] is None and erased["staff_label"] == ""
    about = await db.fetchall(
        "SELECT target, detail FROM audit_log"
        " WHERE target = ? OR json_extract(detail, '$.person') = ?",
        (f"person:{person.id}", person.id),
    )
    assert about == []


async def test_audit_export_carries_no_participant_id(staffed: App) -> None:
    chat = MemoryBackend(staffed)
    db = staffed.services.db
    chef = await persons.ensure(
        db, "memory:cheffe", now=staffed.services.clock.now(), display_name="Cheffe"
    )
    await persons.set_role(db, chef.id, "admin")
    await request(chat, "memory:bob", "Bob", "24432")
    await approve_first(chat, "memory:cheffe", "Cheffe")
    await say(chat, "memory:cheffe", "Cheffe", "/equipe ajouter memory:bob")
    bob = await persons.by_identity(db, "memory:bob")
    assert bob is not None

    rows = await exports.audit_log(db)
    assert [row[3] for row in rows] == ["membership.approve", "staff.add"]
    for _, _, label, _, target, detail in rows:
        assert "Cheffe (memory:cheffe)" == label  # staff are named, for accountability
        assert not re.search(r"\d", target), target
        assert "memory:bob" not in detail and "person" not in json.loads(detail)
    assert json.loads(rows[0][5]) == {"collectivite": "24432", "role": "elu"}
