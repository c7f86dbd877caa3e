"""A Matrix room of three: nothing personal or staff-only is posted there.

Reproduces what was found by hand: in a room with carol (not staff, not even
registered), ``!mes_donnees``, ``!export`` and ``!profil`` were posted to the
room and carol downloaded the files. Now every command, a typed menu number
and a step's free text, said in the room by an administrator, leave the room
only public answers or the line saying the answer went to a direct room; no
file ever reaches the room; the answers reach the administrator's direct room.
"""

from __future__ import annotations

from nio import RoomMessageNotice

from bot.app import App
from bot.core.flood import FloodGuard
from bot.core.matrix_ids import localpart_of
from storage import persons
from tests.matrix.conftest import Bots, NewApp, NewPerson
from tests.matrix.matrix_person import Person

PRIVATE = "Je vous réponds en conversation privée"
# Answers that depend on no one: nothing in progress, a word not understood.
GENERIC = ("Je n'attendais pas de message", "Je ne connais pas la commande")


def body(notice: object) -> str:
    return str(getattr(notice, "body", ""))


def _answered(notice: RoomMessageNotice) -> str:
    content = notice.source.get("content", {})
    return str(content.get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id", ""))


async def _room_of_three(alice: Person, carol: Person, bot_id: str) -> str:
    created = await alice.client.room_create(
        name="Élus de la Dordogne", invite=[carol.user_id, bot_id]
    )
    room = str(created.room_id)
    await carol.until(lambda: room in carol.client.invited_rooms)
    await carol.client.join(room)
    await alice.until(
        lambda: alice.has_joined(room, bot_id) and alice.has_joined(room, carol.user_id)
    )
    return room


async def test_nothing_personal_or_staff_only_is_posted_in_a_room_of_three(
    app: App, bots: Bots, new_person: NewPerson
) -> None:
    bot = await bots.start(app)
    alice = await new_person("alice")
    carol = await new_person("carol")
    room = await _room_of_three(alice, carol, bot.user_id)
    app.router.flood = FloodGuard(1000)  # one person types every command in a minute

    await alice.ask(room, "!aide")
    person = await persons.by_identity(app.services.db, f"matrix:{alice.user_id}")
    assert person is not None
    await persons.set_role(app.services.db, person.id, "admin")

    said, public = [], set()
    for command in app.router.commands:
        said.append(await alice.say(room, f"!{command.fr} 1"))
        if command.reveals == "public":
            public.add(said[-1])
    name = localpart_of(bot.user_id)
    said.append(await alice.say(room, f"{name}: 1"))  # a menu's number, addressed
    said.append(await alice.say(room, f"{name}: Saint-Julien"))  # a step's free text
    await carol.until(lambda: all(carol.answers(e) for e in said), within=120)

    # What carol reads: public answers to public commands, else only the line
    # saying the answer went to a direct room.
    # (the greeting the bot posts on joining answers nobody)
    leaked = [
        body(n)
        for n in carol.notices_in(room)
        if _answered(n)
        and not body(n).startswith((PRIVATE, *GENERIC))
        and _answered(n) not in public
    ]
    assert leaked == []
    # the answers themselves reach alice in a direct room the bot opens
    assert await app.sender.drain() >= len(app.router.commands) // 2
    direct = await alice.until(lambda: next(iter(alice.client.invited_rooms), None))
    assert direct != room
    await alice.client.join(direct)
    await alice.until(lambda: len(alice.notices_in(direct)) >= 3)
    assert [m for r, m in carol.media if r == room] == []


async def test_choices_posted_in_a_shared_room_say_how_to_pick_one(
    new_app: NewApp, bots: Bots, new_person: NewPerson
) -> None:
    """A bare number is not read in a shared room (only what names the bot is):
    a list of choices posted there says to write the bot's name and the number,
    and that works; the same list in a direct room carries no such line."""
    app = await new_app("support")
    bot = await bots.start(app)
    alice = await new_person("alice")
    carol = await new_person("carol")
    room = await _room_of_three(alice, carol, bot.user_id)
    name = localpart_of(bot.user_id)

    [page] = await alice.ask(room, "!propositions")
    assert "  2. N° 2\u00a0: Collaborer en transversalité" in body(page)
    assert f"écrivez mon nom et le numéro, par ex. «\u202f{name} 1\u202f»" in body(page)

    bare = await alice.say(room, "2")
    [picked] = await alice.ask(room, f"{name} 2")
    assert PRIVATE in body(picked)  # read and answered; the detail goes to her direct room
    assert not alice.answers(bare)

    direct = await alice.open_direct(bot.user_id)
    [own_page] = await alice.ask(direct, "!propositions")
    assert "  2. N° 2\u00a0: Collaborer en transversalité" in body(own_page)
    assert "écrivez mon nom" not in body(own_page)
