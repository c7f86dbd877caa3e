"""Whole flows from a real Matrix app, and a Synapse restart in the middle of them.

A person (a real nio client) onboards, submits a need, commits a support;
then the homeserver is stopped and started again (same database, same port)
around messages, answers and notifications, and nothing is lost or doubled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.app import App
from bot.backends.base import Where
from bot.core.messages import Incoming, Reply
from storage import consultations, contributions, outbox, persons
from tests.matrix.conftest import Bots, NewApp, NewPerson
from tests.matrix.matrix_person import Person
from tests.matrix.synapse_server import Synapse

TITLE = "Covoiturage entre hameaux"
BODY = "Une application simple pour organiser le covoiturage entre les habitants des hameaux."
# Villars (Dordogne): a commune none of the demo's people speaks for, so its
# supports are only those the test commits.
INSEE = "24582"
PLACE = "Villars"


def body(notice: object) -> str:
    return str(getattr(notice, "body", ""))


async def say_and_read(person: Person, room: str, text: str) -> str:
    """Say ``text``; the one answer to it, as its plain-text body."""
    [answer] = await person.ask(room, text)
    return body(answer)


async def onboard(person: Person, room: str) -> None:
    """``!start`` as a person types it: the language, the commune, the role, confirm."""
    assert "1. Français" in await say_and_read(person, room, "!start")
    assert "Quelle collectivité" in await say_and_read(person, room, "1")
    assert f"{PLACE} (Dordogne, 24)" in await say_and_read(person, room, INSEE)
    assert "confirmer" in await say_and_read(person, room, "1")  # 1. Élu·e
    assert "inscrit" in await say_and_read(person, room, "1")  # 1. Confirmer


async def person_id(app: App, person: Person) -> int:
    found = await persons.by_identity(app.services.db, f"matrix:{person.user_id}")
    assert found is not None
    return found.id


async def test_a_person_onboards_and_submits_a_need(
    app: App, bots: Bots, new_person: NewPerson
) -> None:
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id)
    await onboard(mayor, room)

    assert "titre court" in await say_and_read(mayor, room, "!besoin")
    assert "Décrivez le besoin" in await say_and_read(mayor, room, TITLE)
    themes = await say_and_read(mayor, room, BODY)
    assert "Quel thème" in themes and "  7. Données" in themes
    summary = await say_and_read(mayor, room, "7")
    assert f"Titre\u00a0: {TITLE}" in summary  # French typography reaches Matrix
    assert f"Description\u00a0: {BODY}" in summary
    assert "Thème\u00a0: Données" in summary
    assert f"Au nom de\u00a0: {PLACE} (Dordogne, 24)" in summary
    assert "  1. Envoyer" in summary
    assert "est enregistré" in await say_and_read(mayor, room, "1")

    db = app.services.db
    consultation = await consultations.current(db)
    assert consultation is not None
    [need] = await contributions.of_author(db, await person_id(app, mayor), consultation.id)
    assert (need.title, need.body, need.theme, need.collectivite, need.status) == (
        TITLE,
        BODY,
        "data",
        INSEE,
        "submitted",
    )
    listing = await say_and_read(mayor, room, "!mes_besoins")
    assert "Vos besoins" in listing
    assert TITLE in listing and PLACE in listing and "en attente" in listing
    assert f"  1. Modifier «\u202f{TITLE}\u202f»" in listing


async def test_an_elected_official_commits_a_support(
    new_app: NewApp, bots: Bots, new_person: NewPerson
) -> None:
    app = await new_app("support")
    bot = await bots.start(app)
    elu = await new_person("elu")
    room = await elu.open_direct(bot.user_id)
    await onboard(elu, room)

    page = await say_and_read(elu, room, "!propositions")
    assert "page 1 sur 4" in page
    assert "  2. N° 2\u00a0: Collaborer en transversalité" in page
    detail = await say_and_read(elu, room, "2")
    assert "Collaborer en transversalité et à distance" in detail
    assert f"  1. La soutenir, au nom de {PLACE}" in detail
    assert f"  2. Prête à la co-construire, au nom de {PLACE}" in detail
    done = await say_and_read(elu, room, "2")
    assert f"{PLACE} soutient désormais" in done and "prête à co-construire" in done

    db = app.services.db
    rows = await db.fetchall(
        "SELECT p.number, s.level, s.committed_by FROM supports s"
        " JOIN proposals p ON p.id = s.proposal_id WHERE s.collectivite = ?",
        (INSEE,),
    )
    assert [tuple(row) for row in rows] == [(2, "co_construction", await person_id(app, elu))]
    mine = await say_and_read(elu, room, "!mes_soutiens")
    assert f"Soutiens de {PLACE}" in mine
    assert "Collaborer en transversalité et à distance" in mine
    assert "prête à co-construire" in mine
    assert elu.user_id.split(":")[0][1:] in mine  # committed by: their display name


# -- a restart of Synapse ------------------------------------------------------------


@asynccontextmanager
async def synapse_down(synapse: Synapse) -> AsyncIterator[None]:
    """Synapse stopped for the block, then started again on the same database and port.

    Started again even when the block fails: the homeserver serves the whole session.
    """
    await asyncio.to_thread(synapse.stop)
    try:
        yield
    finally:
        await asyncio.to_thread(synapse.resume)


async def drain_until_sent(app: App, within: float = 20.0) -> int:
    """Drain the outbox as the sender's loop does, until something is delivered."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        sent = await app.sender.drain()
        if sent:
            return sent
        await asyncio.sleep(0.25)
    raise AssertionError(f"nothing delivered within {within}s")


async def test_a_notification_queued_while_synapse_is_down_is_delivered_after(
    app: App, bots: Bots, new_person: NewPerson, synapse: Synapse
) -> None:
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id, encrypted=True)
    before = await mayor.say(room, "!aide")
    await mayor.until(lambda: mayor.answers(before))
    db = app.services.db

    async with synapse_down(synapse):
        async with db.transaction():
            row = await outbox.enqueue(
                db,
                await person_id(app, mayor),
                "test",
                Reply("Rappel : la phase de soutien ferme bientôt."),
                app.services.clock.now(),
            )
        assert await app.sender.drain() == 0
        status = await db.fetchone("SELECT status, attempts FROM outbox WHERE id = ?", (row,))
        # To be tried again once Synapse is back, not counted against the message.
        assert tuple(status) == ("pending", 0)

    # The bot syncs again: a message sent once Synapse is back is answered, once.
    after = await mayor.say(room, "!calendrier")
    await mayor.until(lambda: mayor.answers(after))
    assert "Calendrier" in body(mayor.answers(after)[0])

    assert await drain_until_sent(app) == 1
    await mayor.until(lambda: any("ferme bientôt" in body(n) for n in mayor.notices_in(room)))
    status = await db.fetchone("SELECT status, attempts FROM outbox WHERE id = ?", (row,))
    assert tuple(status) == ("sent", 1)

    last = await mayor.say(room, "!aide")
    await mayor.until(lambda: mayor.answers(last))
    assert [len(mayor.answers(e)) for e in (before, after, last)] == [1, 1, 1]
    assert len([n for n in mayor.notices_in(room) if "ferme bientôt" in body(n)]) == 1
    assert all(n.decrypted for n in mayor.notices_in(room))
    assert not mayor.undecrypted


async def test_messages_around_a_synapse_restart_are_answered_once(
    app: App,
    bots: Bots,
    new_person: NewPerson,
    synapse: Synapse,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Synapse stops while the bot holds one message and before it synced the next.

    The handler of the first is held until Synapse is down, so its answer
    meets a stopped homeserver; the second is on the server, not yet synced.
    Both are answered once Synapse is back, once each, and the bot goes on.
    """
    holding = asyncio.Event()
    release = asyncio.Event()
    armed = False
    handle = app.handle

    async def held_handle(incoming: Incoming, where: Where | None = None) -> list[Reply]:
        nonlocal armed
        if armed:
            armed = False
            holding.set()
            await release.wait()
        return await handle(incoming, where)

    monkeypatch.setattr(app, "handle", held_handle)
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id, encrypted=True)
    before = await mayor.say(room, "!aide")
    await mayor.until(lambda: mayor.answers(before))

    armed = True
    held = await mayor.say(room, "!calendrier")
    await asyncio.wait_for(holding.wait(), timeout=20)
    unsynced = await mayor.say(room, "!aide")
    async with synapse_down(synapse):
        release.set()
        # The answer meets the stopped homeserver and is kept for later.
        await mayor.until(lambda: "not sent" in caplog.text, within=10)
    await mayor.until(lambda: mayor.answers(held) and mayor.answers(unsynced), within=40)
    assert "Calendrier" in body(mayor.answers(held)[0])

    after = await mayor.say(room, "!calendrier")
    await mayor.until(lambda: mayor.answers(after))
    assert [len(mayor.answers(e)) for e in (before, held, unsynced, after)] == [1, 1, 1, 1]
    assert not mayor.undecrypted


async def test_a_reply_sent_again_under_its_transaction_ids_is_posted_once(
    app: App, bots: Bots, new_person: NewPerson
) -> None:
    """What makes retrying an answer safe when Synapse took it but died before saying so."""
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id, encrypted=True)
    reply = Reply("Une réponse, envoyée deux fois.")
    await bot.out.send(room, reply, None, txn="guichet.test-once")
    await bot.out.send(room, reply, None, txn="guichet.test-once")
    await bot.out.send(room, Reply("La suivante."), None)
    await mayor.until(lambda: any(body(n) == "La suivante." for n in mayor.notices_in(room)))
    assert [body(n) for n in mayor.notices_in(room)][1:] == [
        "Une réponse, envoyée deux fois.",
        "La suivante.",
    ]
