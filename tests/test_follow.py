"""Following a proposal: voters follow by default and may stop, anyone may follow;
the staff's news and an edit after votes reach every follower in their language,
through the outbox, within the send hours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.backends.memory import MemoryBackend
from bot.core.clock import PARIS, FrozenClock
from storage import follows, persons, proposals
from tests.conftest import make_app, onboard, text


@pytest.fixture
async def voted(db_path: Path, clock: FrozenClock) -> AsyncIterator[MemoryBackend]:
    app = await make_app(db_path, clock, phase="vote")
    chat = MemoryBackend(app)
    await onboard(chat, "lecteur")  # French, votes for no. 1
    await onboard(chat, "reader", language="2", query="33063")  # English, follows no. 1
    await onboard(chat, "sceptique", query="24520")  # votes for no. 1, then stops
    first = await proposals.by_number(app.services.db, 1, 1)
    assert first is not None
    for user in ("lecteur", "sceptique"):
        await chat.press(user, f"prop.v:{first.id}")
    await chat.say("equipe", "/aide")
    staff = await persons.by_identity(app.services.db, chat.identity("equipe"))
    assert staff is not None
    await persons.set_role(app.services.db, staff.id, "staff")
    await persons.set_locale(app.services.db, staff.id, "en")
    yield chat
    await app.close()


def _news(chat: MemoryBackend, user: str) -> list[str]:
    return [r.text for r in chat.inbox(user) if "Première réunion" in r.text]


async def test_followers_get_the_news_in_their_language(voted: MemoryBackend) -> None:
    assert "You follow no. 1" in text(await voted.say("reader", "/follow 1"))
    stopped = text(await voted.say("sceptique", "/ne_plus_suivre 1"))
    assert "Vous ne suivez plus la proposition n° 1" in stopped and "/suivre 1" in stopped
    first = await proposals.by_number(voted.app.services.db, 1, 1)
    assert first is not None
    who = [
        p.id
        for p in [
            await persons.by_identity(voted.app.services.db, voted.identity(u))
            for u in ("lecteur", "reader")
        ]
        if p is not None
    ]
    assert await follows.count(voted.app.services.db, first.id) >= len(who)

    asked = text(await voted.say("equipe", "/news 1 Première réunion le 12 : compte rendu joint."))
    assert "Send this news of no. 1" in asked
    sent = text(await voted.say("equipe", "1"))
    assert "The news is queued for" in sent
    [fr] = _news(voted, "lecteur")
    assert fr.startswith("Nouvelles de la proposition n° 1")
    assert "parce que vous suivez" in fr and "/ne_plus_suivre 1" in fr
    [en] = _news(voted, "reader")
    assert en.startswith("News of no. 1") and "/unfollow 1" in en
    assert _news(voted, "sceptique") == []


async def test_news_waits_for_the_send_hours(voted: MemoryBackend) -> None:
    clock = voted.app.services.clock
    assert isinstance(clock, FrozenClock)
    clock.set(datetime(2026, 12, 5, 22, 0, tzinfo=PARIS))  # a Saturday night
    await voted.say("equipe", "/news 1")
    await voted.say("equipe", "Première réunion lundi.")
    await voted.say("equipe", "1")
    assert _news(voted, "lecteur") == []
    clock.set(datetime(2026, 12, 7, 9, 0, tzinfo=PARIS) + timedelta(minutes=1))  # Monday
    await voted.app.sender.drain()
    assert len(_news(voted, "lecteur")) == 1


async def test_an_edit_after_votes_tells_the_followers_what_changed(voted: MemoryBackend) -> None:
    await voted.say("equipe", "/edit_proposal 1")
    await voted.say("equipe", "2")  # Title
    await voted.say("equipe", "Gérer la relation usagers de bout en bout")
    await voted.app.sender.drain()
    [told] = [r.text for r in voted.inbox("lecteur") if "a été modifiée" in r.text]
    plain = told.replace("\u202f", " ").replace("\xa0", " ")
    assert "Titre : « Améliorer la gestion de la relation usagers » est devenu « Gérer" in plain
    # reader neither voted for it nor follows it here
    assert not any("a été modifiée" in r.text for r in voted.inbox("reader"))


async def test_bad_numbers_get_a_clear_answer(voted: MemoryBackend) -> None:
    assert "Tapez le numéro après la commande" in text(await voted.say("lecteur", "/suivre"))
    assert "Il n'y a pas de proposition numéro" in text(await voted.say("lecteur", "/suivre 999"))
    assert "réservée à l'équipe" in text(await voted.say("lecteur", "/actualite 1 Bonjour"))
