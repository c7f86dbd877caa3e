"""The Matrix backend with a homeserver that is away: at start, for a while, and
across a restart of the bot, against the real Synapse."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

import pytest

from bot.app import App
from bot.core.config import Config
from tests.matrix.conftest import Bots, NewPerson
from tests.matrix.synapse_server import Synapse
from tests.matrix.test_matrix_flows import body, synapse_down

OUTAGE = 8.0
"""Seconds Synapse stays down: the retries reach their longest wait (1 s) after
two, so a longer outage (the issue's 30 s) behaves the same."""


async def _answer_sent_at(app: App, after: int) -> float:
    """When the first answer row after id ``after`` was marked sent (epoch seconds)."""
    while True:
        stamp = await app.services.db.fetchval(
            "SELECT MIN(sent_at) FROM outbox WHERE kind = 'answer' AND id > ? AND status = 'sent'",
            (after,),
        )
        if stamp:
            return datetime.fromisoformat(stamp).timestamp()
        await asyncio.sleep(0.02)


async def _last_row(app: App) -> int:
    return int(await app.services.db.fetchval("SELECT COALESCE(MAX(id), 0) FROM outbox"))


async def test_a_start_with_the_homeserver_down_waits_for_it(
    app: App,
    bots: Bots,
    new_person: NewPerson,
    synapse: Synapse,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    mayor = await new_person("maire")
    async with synapse_down(synapse):
        bot = bots.launch(app)
        await asyncio.sleep(3)
        assert not bots.task(bot).done()  # no exit…
        assert not bot.connectivity.connected
        assert "login" in bot.connectivity.last_error
        assert caplog.text.count("unreachable at start") == 1  # …one clear line…
        assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    await asyncio.wait_for(bot.connectivity.wait_up(), 10)  # …and up once it is back
    room = await mayor.open_direct(bot.user_id, encrypted=True)
    [answer] = await mayor.ask(room, "!aide")
    assert "Ce que vous pouvez faire maintenant" in body(answer)


async def test_first_answer_within_2s_of_the_homeserver_coming_back(
    app: App, bots: Bots, new_person: NewPerson, synapse: Synapse
) -> None:
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id, encrypted=True)
    await mayor.ask(room, "!aide")
    async with synapse_down(synapse):
        await asyncio.sleep(OUTAGE)
        assert not bot.connectivity.connected
    back = time.time()
    before = await _last_row(app)
    event = await mayor.say(room, "!calendrier")
    sent = await asyncio.wait_for(_answer_sent_at(app, before), 10)
    assert sent - back < 2.0, f"first answer {sent - back:.2f} s after Synapse was back"
    await mayor.until(lambda: mayor.answers(event))
    assert "Calendrier" in body(mayor.answers(event)[0])


async def test_an_answer_the_homeserver_refused_is_sent_after_a_restart_of_the_bot(
    app: App, bots: Bots, new_person: NewPerson, synapse: Synapse
) -> None:
    """Synapse is down when the answer is due; the bot is stopped (as by SIGTERM)
    before it is back, and the restarted bot sends the answer, once."""
    holding, release = asyncio.Event(), asyncio.Event()
    armed = False
    handle = app.handle

    async def held(incoming, where=None):  # type: ignore[no-untyped-def]
        nonlocal armed
        if armed:
            armed = False
            holding.set()
            await release.wait()
        return await handle(incoming, where)

    app.handle = held  # type: ignore[method-assign]
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id, encrypted=True)
    await mayor.ask(room, "!aide")
    armed = True
    event = await mayor.say(room, "!calendrier")
    await asyncio.wait_for(holding.wait(), 20)
    async with synapse_down(synapse):
        release.set()
        await asyncio.sleep(1.5)  # the answer meets the stopped homeserver
        started = time.monotonic()
        await bots.stop(bot)
        await app.sender.finish(5.0)
        await bot.close()
        assert time.monotonic() - started < 6.0
        status = await app.services.db.fetchval(
            "SELECT status FROM outbox WHERE kind = 'answer' ORDER BY id DESC LIMIT 1"
        )
        assert status == "sending"  # the next start gives it back
        path = app.services.config.db_path
        await app.close()
    again = await App.create(Config(db_path=path))
    try:
        assert await again.sender.recover_after_restart() >= 1
        await bots.start(again)
        stop = asyncio.Event()
        sender = asyncio.create_task(again.sender.run(stop))
        await mayor.until(lambda: mayor.answers(event), within=20)
        assert "Calendrier" in body(mayor.answers(event)[0])
        await asyncio.sleep(1)
        assert len(mayor.answers(event)) == 1
        stop.set()
        await sender
    finally:
        await again.close()
