"""bot.backends.matrix.backend against a real Synapse, with real nio clients as people.

Every test drives the real App (router, handlers, SQLite) so a scenario here
is what a mayor on Tchap would live through.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from nio import DownloadResponse, RoomEncryptedFile
from nio.crypto.attachments import decrypt_attachment

from bot.app import App
from bot.backends.base import Blocked, RetryAfter
from bot.backends.matrix import session as matrix_session
from bot.core.config import MatrixConfig
from bot.core.matrix_ids import localpart_of
from bot.core.messages import Choice, File, Reply
from storage import memberships, outbox, persons
from tests.matrix.conftest import Bots, NewApp, NewPerson
from tests.matrix.matrix_person import Person
from tests.matrix.synapse_server import Synapse


def body(notice: object) -> str:
    return str(getattr(notice, "body", ""))


async def test_onboarding_in_a_direct_room(app: App, bots: Bots, new_person: NewPerson) -> None:
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id)
    [greeting] = mayor.notices_in(room)
    assert "!start" in body(greeting)
    assert "!aide" in body(greeting) and "!help" in body(greeting)  # French, then English

    [menu] = await mayor.ask(room, "!start")
    content = menu.source["content"]
    assert content["msgtype"] == "m.notice"
    assert content["format"] == "org.matrix.custom.html"
    assert "<ol><li>Français</li><li>English</li></ol>" in content["formatted_body"]
    assert "  1. Français\n  2. English" in content["body"]

    [question] = await mayor.ask(room, "1")
    assert "Quelle collectivité" in body(question)
    [choices] = await mayor.ask(room, "st julien 24")
    assert "1. Saint-Julien-de-Lampon" in body(choices)
    [role] = await mayor.ask(room, "1")
    assert "rôle" in body(role)
    [confirm] = await mayor.ask(room, "1")
    assert "confirmer" in body(confirm)
    [welcome] = await mayor.ask(room, "1")
    assert "inscrit" in body(welcome)
    assert "!aide" in body(welcome)

    person = await persons.by_identity(app.services.db, f"matrix:{mayor.user_id}")
    assert person is not None
    [membership] = await memberships.of_person(app.services.db, person.id)
    assert membership.status == "approved"
    assert membership.role == "elu"
    assert membership.collectivite_name == "Saint-Julien-de-Lampon"
    assert membership.evidence == f"matrix:{mayor.user_id}"

    [help_text] = await mayor.ask(room, "!aide")
    assert "!calendrier" in body(help_text)


async def test_invite_from_a_server_not_allowed_is_declined(
    app: App, bots: Bots, new_person: NewPerson
) -> None:
    bot = await bots.start(app, allowed_servers=("*.tchap.gouv.fr",))
    stranger = await new_person("inconnu")
    created = await stranger.client.room_create(is_direct=True, invite=[bot.user_id])
    room_id = created.room_id

    async def membership() -> str:
        state = await stranger.client.room_get_state_event(room_id, "m.room.member", bot.user_id)
        return str(getattr(state, "content", {}).get("membership"))

    for _ in range(100):
        if await membership() == "leave":
            break
        await asyncio.sleep(0.1)
    assert await membership() == "leave"
    assert room_id not in bot.client.rooms


async def test_restart_answers_missed_messages_once_and_replays_nothing(
    app: App, bots: Bots, new_person: NewPerson
) -> None:
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id)
    before = await mayor.say(room, "!aide")
    await mayor.until(lambda: mayor.answers(before))
    await bots.stop(bot)

    while_down = await mayor.say(room, "!calendrier")
    await asyncio.sleep(0.3)
    assert not mayor.answers(while_down)

    again = await bots.start(app)
    await mayor.until(lambda: mayor.answers(while_down))
    after = await mayor.say(room, "!aide")
    await mayor.until(lambda: mayor.answers(after))
    assert len(mayor.answers(before)) == 1
    assert len(mayor.answers(while_down)) == 1
    assert again.client.device_id == bot.client.device_id
    greetings = [n for n in mayor.notices_in(room) if "!start" in body(n) and "Guichet" in body(n)]
    assert len(greetings) == 1


async def test_first_start_skips_history(
    app: App, new_app: NewApp, bots: Bots, new_person: NewPerson
) -> None:
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id)
    await bots.stop(bot)
    old = await mayor.say(room, "!aide")

    fresh = await new_app()
    await bots.start(fresh)
    new = await mayor.say(room, "!aide")
    await mayor.until(lambda: mayor.answers(new))
    assert not mayor.answers(old)


async def test_encrypted_direct_room_survives_a_restart(
    app: App, bots: Bots, new_person: NewPerson
) -> None:
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id, encrypted=True)
    assert room in bot.client.encrypted_rooms
    [greeting] = mayor.notices_in(room)
    assert greeting.decrypted
    [answer] = await mayor.ask(room, "!start")
    assert answer.decrypted
    assert "Français" in body(answer)
    assert answer.source["content"]["m.relates_to"]["m.in_reply_to"]["event_id"]

    await bots.stop(bot)
    again = await bots.start(app)
    assert again.client.device_id == bot.client.device_id
    [choice] = await mayor.ask(room, "2")
    assert choice.decrypted
    assert "Which collectivité" in body(choice)
    assert list(mayor.client.device_store.active_user_devices(bot.user_id)) == [
        mayor.client.device_store[bot.user_id][bot.client.device_id]
    ]

    export = File("export.csv", b"code;nom\n24432;Saint-Julien\n", "text/csv")
    await again.deliver(f"matrix:{mayor.user_id}", room, Reply("Export", file=export))
    _, media = await mayor.until(lambda: mayor.media and mayor.media[-1])
    assert isinstance(media, RoomEncryptedFile)
    download = await mayor.client.download(media.url)
    assert isinstance(download, DownloadResponse)
    plain = decrypt_attachment(download.body, media.key["k"], media.hashes["sha256"], media.iv)
    assert plain == export.content
    assert not mayor.undecrypted


async def test_shared_room_answers_only_when_addressed(
    app: App, bots: Bots, new_person: NewPerson
) -> None:
    bot = await bots.start(app)
    elu = await new_person("elu")
    agent = await new_person("agent")
    created = await elu.client.room_create(
        name="Conseil municipal", invite=[agent.user_id, bot.user_id]
    )
    room = created.room_id
    await agent.until(lambda: room in agent.client.invited_rooms)
    await agent.client.join(room)
    await elu.until(
        lambda: elu.has_joined(room, bot.user_id) and elu.has_joined(room, agent.user_id)
    )
    await elu.until(lambda: bot.client.rooms.get(room) and bot.client.rooms[room].joined_count == 3)

    chatter = await elu.say(room, "Bonjour à tous")
    command = await elu.say(room, "!aide")
    named = await elu.say(room, f"{localpart_of(bot.user_id)}: !calendrier")
    mentioned = await agent.say(
        room, "Guichet, bonjour", **{"m.mentions": {"user_ids": [bot.user_id]}}
    )
    await elu.until(lambda: all_answered(elu, command, named, mentioned))
    assert not elu.answers(chatter)
    assert "Calendrier" in body(elu.answers(named)[0])
    assert "!aide" in body(elu.answers(mentioned)[0])

    # Notifications never go to a shared room: the bot opens a direct one.
    person = await persons.by_identity(app.services.db, f"matrix:{elu.user_id}")
    assert person is not None
    db = app.services.db
    async with db.transaction():
        await outbox.enqueue(
            db, person.id, "test", Reply("Rappel personnel"), app.services.clock.now()
        )
    assert await app.sender.drain() == 2  # the answer to !aide, private too
    direct = await elu.until(lambda: next(iter(elu.client.invited_rooms), None))
    assert direct != room
    await elu.client.join(direct)
    await elu.until(lambda: any("Rappel personnel" in body(n) for n in elu.notices_in(direct)))
    assert not any("Rappel personnel" in body(n) for n in elu.notices_in(room))


def all_answered(person: Person, *event_ids: str) -> bool:
    return all(person.answers(event_id) for event_id in event_ids)


async def test_outbox_delivers_to_the_direct_room(
    app: App, bots: Bots, new_person: NewPerson
) -> None:
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id)
    await mayor.ask(room, "!aide")
    person = await persons.by_identity(app.services.db, f"matrix:{mayor.user_id}")
    assert person is not None
    reply = Reply("La phase de vote est ouverte.", [Choice("Voir les propositions", "x")])
    async with app.services.db.transaction():
        await outbox.enqueue(app.services.db, person.id, "phase", reply, app.services.clock.now())
    assert await app.sender.drain() == 1
    notice = await mayor.until(
        lambda: next((n for n in mayor.notices_in(room) if "vote" in body(n)), None)
    )
    assert "1. Voir les propositions" in body(notice)
    assert "<ol><li>Voir les propositions</li></ol>" in notice.source["content"]["formatted_body"]
    assert "m.relates_to" not in notice.source["content"]


async def test_delivery_failures_tell_the_outbox_what_to_do(
    app: App, bots: Bots, new_person: NewPerson, synapse: Synapse
) -> None:
    bot = await bots.start(app, max_limit_exceeded=0)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id)
    identity = f"matrix:{mayor.user_id}"

    await asyncio.to_thread(synapse.limit_messages, bot.user_id, 1, 1)
    with pytest.raises(RetryAfter) as limited:
        for text in ("un", "deux", "trois"):
            await bot.deliver(identity, room, Reply(text))
    assert 0 < limited.value.seconds <= 10
    await asyncio.to_thread(synapse.limit_messages, bot.user_id, 0, 0)

    with pytest.raises(Blocked):
        await bot.deliver(identity, "!nowhere:guichet.test", Reply("perdu"))
    await mayor.client.room_leave(room)
    await mayor.until(lambda: mayor.user_id not in bot.client.rooms[room].users)
    with pytest.raises(Blocked):
        await bot.deliver(identity, room, Reply("parti"))


async def test_a_rate_limit_is_waited_out_when_short(
    app: App, bots: Bots, new_person: NewPerson, synapse: Synapse
) -> None:
    bot = await bots.start(app, max_limit_exceeded=3)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id)
    await asyncio.to_thread(synapse.limit_messages, bot.user_id, 4, 1)
    loop = asyncio.get_running_loop()
    began = loop.time()
    for text in ("un", "deux", "trois"):
        await bot.deliver(f"matrix:{mayor.user_id}", room, Reply(text))
    assert loop.time() - began >= 0.3

    def received() -> list[str]:
        return [body(n) for n in mayor.notices_in(room) if body(n) in ("un", "deux", "trois")]

    await mayor.until(lambda: received() == ["un", "deux", "trois"])


async def test_a_revoked_session_logs_in_again_as_the_same_device(
    app: App, bots: Bots, new_person: NewPerson, bot_config: MatrixConfig, synapse: Synapse
) -> None:
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id, encrypted=True)
    await bots.stop(bot)
    saved = matrix_session.load(Path(bot_config.store_path), bot.user_id)
    assert saved is not None
    await asyncio.to_thread(
        synapse.request, "POST", "/_matrix/client/v3/logout", {}, saved.access_token
    )

    again = await bots.start(app)
    assert again.client.device_id == saved.device_id
    assert again.client.access_token != saved.access_token
    # Logging out deleted the device and its keys on the server: they are back.
    published = await asyncio.to_thread(
        synapse.request,
        "POST",
        "/_matrix/client/v3/keys/query",
        {"device_keys": {bot.user_id: []}},
        mayor.client.access_token,
    )
    assert list(published["device_keys"][bot.user_id]) == [saved.device_id]
    [answer] = await mayor.ask(room, "!aide")
    assert answer.decrypted
    assert not mayor.undecrypted
