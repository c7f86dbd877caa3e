"""Matrix: ``allowed_servers`` also applies to rooms the bot joined earlier.

Reproduces what was found: narrowing the list only stopped new invites; the
bot stayed in rooms on a server no longer admitted and kept answering there.
"""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import pytest
from nio import RoomCreateEvent

from bot.app import App
from bot.backends.matrix.admission import Admission
from bot.core.matrix_ids import server_of
from tests.matrix.conftest import Bots, NewPerson
from tests.matrix.matrix_person import Person

LEAVING = "ne fait pas partie de ceux qu'accepte cette consultation"


async def bot_membership(person: Person, room_id: str, bot_id: str) -> str:
    state = await person.client.room_get_state_event(room_id, "m.room.member", bot_id)
    return str(getattr(state, "content", {}).get("membership"))


async def until_left(person: Person, room_id: str, bot_id: str) -> None:
    for _ in range(100):
        if await bot_membership(person, room_id, bot_id) == "leave":
            return
        await asyncio.sleep(0.1)
    assert await bot_membership(person, room_id, bot_id) == "leave"


def sync_with_create(room_id: str, creator: str) -> Any:
    """Only the part of a sync response ``Admission.learn`` reads."""
    create = RoomCreateEvent.from_dict(
        {
            "type": "m.room.create",
            "event_id": "$c",
            "sender": creator,
            "origin_server_ts": 0,
            "state_key": "",
            "content": {"room_version": "10"},
        }
    )
    info = SimpleNamespace(state=[create], timeline=SimpleNamespace(events=[]))
    return SimpleNamespace(rooms=SimpleNamespace(join={room_id: info}))


def test_the_room_server_then_the_sender_server_are_judged() -> None:
    admission = Admission("@guichet:guichet.test", ("*.tchap.gouv.fr",))
    assert admission.refused("!a:agent.tchap.gouv.fr") is None
    assert admission.refused("!a:agent.tchap.gouv.fr", "@x:evil.example") == "evil.example"
    assert admission.refused("!b:evil.example", "@x:agent.tchap.gouv.fr") == "evil.example"
    # A room id without a server part (newer room versions): the creator's server.
    admission.learn(sync_with_create("!nohost", "@y:other.example"))
    assert admission.refused("!nohost") == "other.example"
    # A room the bot created itself is kept: it opened it for people it admitted.
    admission.learn(sync_with_create("!own:guichet.test", "@guichet:guichet.test"))
    assert admission.refused("!own:guichet.test", "@x:guichet.test") is None


async def test_a_room_on_a_server_no_longer_allowed_is_left_at_start(
    app: App, bots: Bots, new_person: NewPerson
) -> None:
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id)
    await mayor.ask(room, "!aide")
    await bots.stop(bot)

    again = await bots.start(app, allowed_servers=("*.tchap.gouv.fr",))
    await until_left(mayor, room, again.user_id)
    notice = await mayor.until(
        lambda: next((n for n in mayor.notices_in(room) if LEAVING in n.body), None)
    )
    assert server_of(mayor.user_id) in notice.body
    assert len([n for n in mayor.notices_in(room) if LEAVING in n.body]) == 1


async def test_a_message_in_a_room_no_longer_allowed_gets_one_line_and_the_bot_leaves(
    app: App, bots: Bots, new_person: NewPerson
) -> None:
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id)
    await mayor.ask(room, "!aide")
    bot.admission.allowed = ("*.tchap.gouv.fr",)  # the list narrowed while running

    asked = await mayor.say(room, "!calendrier")
    await until_left(mayor, room, bot.user_id)
    await mayor.until(lambda: [n for n in mayor.notices_in(room) if LEAVING in n.body])
    await asyncio.sleep(0.5)
    assert len([n for n in mayor.notices_in(room) if LEAVING in n.body]) == 1
    assert not mayor.answers(asked)  # the calendar was not answered


async def test_a_declined_invite_is_logged_at_info(
    app: App, bots: Bots, new_person: NewPerson, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.backends.matrix.backend")
    bot = await bots.start(app, allowed_servers=("*.tchap.gouv.fr",))
    stranger = await new_person("inconnu")
    created = await stranger.client.room_create(is_direct=True, invite=[bot.user_id])
    await until_left(stranger, created.room_id, bot.user_id)
    [record] = [r for r in caplog.records if "declining invite" in r.getMessage()]
    assert record.levelno == logging.INFO
    assert created.room_id in record.getMessage()
