"""storage.volunteers and storage.workspaces: places, the waiting list, who belongs in
a working space; and migration 0009, which must keep the calendar's notices."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.core.clock import FrozenClock
from storage import consultations, memberships, persons, proposals, volunteers, workspaces
from storage.db import Database, migration_files
from storage.workspaces import Seat
from tests.conftest import make_app


@pytest.fixture
async def coop(db_path: Path, clock: FrozenClock) -> AsyncIterator[App]:
    application = await make_app(db_path, clock, phase="coconstruction")
    yield application
    await application.close()


async def _person(app: App, name: str) -> int:
    async with app.services.db.transaction():
        person = await persons.ensure(
            app.services.db, f"matrix:@{name}:tchap.test", now=app.services.clock.now()
        )
    return person.id


async def test_migration_keeps_the_notices_and_accepts_the_new_kind(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "old.db", migrate=False)
    await db.executescript(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL)"
    )
    for version, name, sql in migration_files():
        if name.startswith("0011"):
            break
        await db.executescript(
            f"BEGIN;\n{sql}\n;INSERT INTO schema_version VALUES ({version}, '{name}', 'x');COMMIT;"
        )
    await db.executescript(
        "BEGIN; INSERT INTO consultations(slug, title, created_at) VALUES ('c', 'C', 'x');"
        " INSERT INTO phases(consultation_id, position, kind, opens_at)"
        " VALUES (1, 1, 'needs', 'a');"
        " INSERT INTO phase_notices(phase_id, kind, outcome, created_at)"
        " VALUES (1, 'announce', 'sent', 'x'); COMMIT;"
    )
    assert "0011_coconstruction.sql" in await db.migrate()
    assert await db.fetchval("SELECT COUNT(*) FROM phase_notices") == 1
    assert await db.fetchall("PRAGMA foreign_key_check") == []
    await db.execute(
        "INSERT INTO phases(consultation_id, position, kind, opens_at)"
        " VALUES (1, 2, 'coconstruction', 'b')"
    )
    with pytest.raises(Exception, match="CHECK"):
        await db.execute(
            "INSERT INTO phases(consultation_id, position, kind, opens_at)"
            " VALUES (1, 3, 'party', 'c')"
        )
    await db.execute("DELETE FROM phases WHERE id = 1")  # the cascade still holds
    assert await db.fetchval("SELECT COUNT(*) FROM phase_notices") == 0
    await db.close()


async def test_ready_supporters_are_invited_once(coop: App) -> None:
    db, now = coop.services.db, coop.services.clock.now()
    consultation = await consultations.current(db)
    assert consultation is not None
    async with db.transaction():
        invited = await volunteers.invite_ready(db, consultation.id, now)
    assert invited, "the demo has collectivités ready to co-build selected proposals"
    assert all(v.status == "invited" and v.person_id is not None for v in invited)
    assert all(v.proposal_number <= 17 for v in invited)  # the selected ones only
    async with db.transaction():
        assert await volunteers.invite_ready(db, consultation.id, now) == []


async def test_places_then_waiting_list_then_promotion(coop: App) -> None:
    db, clock = coop.services.db, coop.services.clock
    assert isinstance(clock, FrozenClock)
    proposal = await proposals.by_number(db, 1, 1)
    assert proposal is not None
    codes = ["24520", "24152", "24355", "24082"]
    people = [await _person(coop, f"p{i}") for i in range(len(codes))]
    decided = []
    async with db.transaction():
        for code, person in zip(codes, people, strict=True):
            volunteer = await volunteers.apply(db, proposal.id, code, person, clock.now())
            assert volunteer.status == "applied"
            clock.advance(timedelta(minutes=1))
            decided.append(
                await volunteers.decide(db, volunteer.id, True, people[0], 2, clock.now())
            )
    assert decided == ["approved", "approved", "waiting", "waiting"]
    listed = await volunteers.of_proposal(db, proposal.id)
    assert [v.collectivite for v in listed] == codes  # placed, then waiting in order
    assert await volunteers.rank(db, listed[3]) == 2

    async with db.transaction():
        promoted = await volunteers.leave(db, listed[0].id, "withdrawn", 2, clock.now())
    assert [v.collectivite for v in promoted] == ["24355"]
    async with db.transaction():
        promoted = await volunteers.set_places(db, proposal.id, 5, clock.now())
    assert [v.collectivite for v in promoted] == ["24082"]
    async with db.transaction():
        assert await volunteers.set_places(db, proposal.id, 1, clock.now()) == []
    assert await volunteers.places(db, proposal.id, 10) == 1
    assert await volunteers.counts(db, proposal.id) == {"approved": 3, "withdrawn": 1}


async def test_workspace_members_follow_the_places(coop: App) -> None:
    db, now = coop.services.db, coop.services.clock.now()
    proposal = await proposals.by_number(db, 1, 2)
    assert proposal is not None
    alice, bob = await _person(coop, "alice"), await _person(coop, "bob")
    async with db.transaction():
        for person, code in ((alice, "24520"), (bob, "24152")):
            await memberships.request(db, person, code, "elu", approve=True, evidence="", now=now)
        space = await workspaces.bind(db, proposal.id, "matrix", "!room:tchap.test", None, now)
        a = await volunteers.apply(db, proposal.id, "24520", alice, now)
        await volunteers.decide(db, a.id, True, alice, 1, now)
        b = await volunteers.apply(db, proposal.id, "24152", bob, now)
        await volunteers.decide(db, b.id, True, alice, 1, now)  # waiting
    assert await workspaces.to_admit(db, space.id) == [Seat(alice, "@alice:tchap.test")]
    async with db.transaction():
        await workspaces.admitted(db, space.id, Seat(alice, "@alice:tchap.test"), now)
    assert await workspaces.to_admit(db, space.id) == []
    async with db.transaction():
        await volunteers.leave(db, a.id, "withdrawn", 1, now)  # bob gets the place
    [leaving] = await workspaces.to_remove(db, space.id)
    assert leaving.account == "@alice:tchap.test"
    assert await workspaces.to_admit(db, space.id) == [Seat(bob, "@bob:tchap.test")]
    async with db.transaction():
        await workspaces.removed(db, leaving.id, now)
        await workspaces.admitted(db, space.id, Seat(bob, "@bob:tchap.test"), now)
        await db.execute("DELETE FROM persons WHERE id = ?", (bob,))  # bob leaves Guichet
    [gone] = await workspaces.to_remove(db, space.id)
    assert gone.account == "@bob:tchap.test" and gone.person_id is None


async def test_leaving_the_collectivite_leaves_its_space(coop: App) -> None:
    db, now = coop.services.db, coop.services.clock.now()
    proposal = await proposals.by_number(db, 1, 3)
    assert proposal is not None
    carla = await _person(coop, "carla")
    async with db.transaction():
        await memberships.request(db, carla, "24520", "elu", approve=True, evidence="", now=now)
        space = await workspaces.bind(db, proposal.id, "matrix", "!r3:tchap.test", None, now)
        mine = await volunteers.apply(db, proposal.id, "24520", carla, now)
        await volunteers.decide(db, mine.id, True, carla, 5, now)
    [seat] = await workspaces.to_admit(db, space.id)
    async with db.transaction():
        await workspaces.admitted(db, space.id, seat, now)
    assert await workspaces.to_remove(db, space.id) == []
    async with db.transaction():
        assert await memberships.leave(db, carla, "24520")
    [leaving] = await workspaces.to_remove(db, space.id)
    assert leaving.account == "@carla:tchap.test"
