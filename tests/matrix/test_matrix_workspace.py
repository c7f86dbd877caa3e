"""Co-construction rooms against a real Synapse: the keeper (bot.delivery.workspaces)
creates an encrypted room per selected proposal, staff as moderators, invites the
volunteers holding a place, a late one when approved, and removes those who leave."""

from __future__ import annotations

from typing import Any

from nio import RoomGetStateEventError

from bot.app import App
from bot.backends.matrix.backend import MatrixBackend
from storage import memberships, personal_data, persons, proposals, volunteers, workspaces
from tests.matrix.conftest import Bots, NewApp, NewPerson


async def _state(bot: MatrixBackend, room: str, kind: str, key: str = "") -> dict[str, Any]:
    response = await bot.client.room_get_state_event(room, kind, key)
    assert not isinstance(response, RoomGetStateEventError), response
    return dict(response.content)


async def _membership(bot: MatrixBackend, room: str, user_id: str) -> str:
    return str((await _state(bot, room, "m.room.member", user_id)).get("membership"))


async def _volunteer(app: App, user_id: str, code: str, number: int, *, locale: str) -> int:
    """A Matrix user who speaks for ``code`` and is approved for proposal ``number``."""
    db, now = app.services.db, app.services.clock.now()
    async with db.transaction():
        person = await persons.ensure(db, f"matrix:{user_id}", now=now, display_name=code)
        await persons.set_locale(db, person.id, locale)
        await memberships.request(db, person.id, code, "elu", approve=True, evidence="", now=now)
        proposal = await proposals.by_number(db, 1, number)
        assert proposal is not None
        applied = await volunteers.apply(db, proposal.id, code, person.id, now)
        await volunteers.decide(db, applied.id, True, person.id, 10, now)
    return person.id


async def test_rooms_invites_power_levels_and_departures(
    new_app: NewApp, bots: Bots, new_person: NewPerson
) -> None:
    app = await new_app("coconstruction")
    db = app.services.db
    # Two selected proposals keep the test short; the demo selects seventeen.
    await db.execute("UPDATE proposals SET status = 'not_selected' WHERE number > 2")
    staff, alice, bob = (
        await new_person("equipe"),
        await new_person("alice"),
        await new_person("bob"),
    )
    async with db.transaction():
        member = await persons.ensure(db, f"matrix:{staff.user_id}", now=app.services.clock.now())
        await persons.set_role(db, member.id, "staff")
    await _volunteer(app, alice.user_id, "24520", 1, locale="fr")
    bot = await bots.start(app)
    keeper = app.keeper
    assert keeper is not None

    tally = await keeper.reconcile()
    assert (tally.rooms, tally.admitted, tally.failed) == (2, 1, 0)
    assert tally.invited > 0  # the demo's collectivités "ready to co-build" are asked
    first = await proposals.by_number(db, 1, 1)
    assert first is not None
    [space] = await workspaces.of_proposal(db, first.id)
    room = space.room
    encryption = await _state(bot, room, "m.room.encryption")
    assert encryption["algorithm"] == "m.megolm.v1.aes-sha2"
    assert (await _state(bot, room, "m.room.name"))["name"] == f"1. {first.title}"
    assert (await _state(bot, room, "m.room.topic"))["topic"] == first.summary
    assert (await _state(bot, room, "m.room.join_rules"))["join_rule"] == "invite"
    levels = (await _state(bot, room, "m.room.power_levels"))["users"]
    assert levels[staff.user_id] == 50
    assert set(levels) <= {bot.user_id, staff.user_id}  # the creator is 100, or above all
    assert await _membership(bot, room, staff.user_id) == "invite"
    assert await _membership(bot, room, alice.user_id) == "invite"
    # alice is told in French, through the outbox, where to accept it
    notices = await db.fetchall(
        "SELECT payload FROM outbox WHERE kind = 'coop' AND person_id = ?",
        (await _person_id(app, alice.user_id),),
    )
    assert any("salon de travail" in row["payload"] for row in notices), notices

    # a second pass changes nothing
    again = await keeper.reconcile()
    assert (again.rooms, again.admitted, again.removed) == (0, 0, 0)

    # alice joins; bob, approved later, is invited as he comes
    joined = await alice.client.join(room)
    assert getattr(joined, "room_id", None) == room, joined
    bob_id = await _volunteer(app, bob.user_id, "24152", 1, locale="en")
    late = await keeper.reconcile()
    assert late.admitted == 1
    assert await _membership(bot, room, bob.user_id) == "invite"
    told = await db.fetchval(
        "SELECT payload FROM outbox WHERE kind = 'coop' AND person_id = ?", (bob_id,)
    )
    assert "You are invited to the working room of proposal no. 1" in told

    # alice leaves the co-construction: out of the room; bob leaves Guichet: his invite goes
    [alice_volunteer] = [
        v for v in await volunteers.of_proposal(db, first.id) if v.collectivite == "24520"
    ]
    async with db.transaction():
        await volunteers.leave(db, alice_volunteer.id, "withdrawn", 10, app.services.clock.now())
        await personal_data.erase(db, bob_id, app.services.clock.now())  # /supprimer_compte
    gone = await keeper.reconcile()
    assert (gone.removed, gone.failed) == (2, 0)
    assert await _membership(bot, room, alice.user_id) == "leave"
    assert await _membership(bot, room, bob.user_id) == "leave"
    left = await workspaces.members(db, space.id)
    assert {m.status for m in left} == {"removed"}
    assert bob.user_id not in {m.account for m in left}  # erased with his account


async def _person_id(app: App, user_id: str) -> int:
    person = await persons.by_identity(app.services.db, f"matrix:{user_id}")
    assert person is not None
    return person.id
