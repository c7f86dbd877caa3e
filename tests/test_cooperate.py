"""``/cooperer``: ready supporters confirm, others apply and the staff decide; places
and the waiting list; both languages. Against the real App and the memory backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from storage import persons, proposals, supports
from tests.conftest import make_app, onboard, run_demo, text


async def _staff(chat: MemoryBackend, user: str) -> None:
    await chat.say(user, "/aide")
    person = await persons.by_identity(chat.app.services.db, chat.identity(user))
    assert person is not None
    await persons.set_role(chat.app.services.db, person.id, "staff")
    await persons.set_locale(chat.app.services.db, person.id, "en")


@pytest.fixture
async def coop(db_path: Path, clock: FrozenClock) -> AsyncIterator[MemoryBackend]:
    app = await make_app(db_path, clock, phase="coconstruction")
    chat = MemoryBackend(app)
    await onboard(chat, "maire")  # Saint-Julien-de-Lampon, elected, French
    await onboard(chat, "mayor", language="2", query="33063")  # Bordeaux, English
    await _staff(chat, "equipe")
    yield chat
    await app.close()


async def test_a_ready_supporter_is_asked_and_confirms(coop: MemoryBackend) -> None:
    db = coop.app.services.db
    maire = await persons.by_identity(db, coop.identity("maire"))
    first = await proposals.by_number(db, 1, 1)
    assert maire is not None and first is not None
    async with db.transaction():
        await supports.commit(
            db,
            "24432",
            first.id,
            1,
            level="co_construction",
            person_id=maire.id,
            cap=None,
            now=coop.app.services.clock.now(),
        )
    keeper = coop.app.keeper
    assert keeper is not None
    assert (await keeper.reconcile()).invited >= 1
    await coop.app.sender.drain()
    [asked] = [r.text for r in coop.inbox("maire") if "territoires référents" in r.text]
    assert "Saint-Julien-de-Lampon s'est dite prête à la co-construire" in asked
    assert "Se porter volontaire, c'est" in asked and "/cooperer 1" in asked
    assert (await keeper.reconcile()).invited == 0  # asked once

    shown = await coop.say("maire", "/cooperer 1")
    assert "n'a pas encore répondu" in text(shown)
    assert "[Confirmer : Saint-Julien-de-Lampon se porte volontaire]" in text(shown)
    done = text(await coop.say("maire", "1"))
    assert "Saint-Julien-de-Lampon occupe une place parmi les volontaires" in done


async def test_apply_decide_wait_and_take_a_freed_place(coop: MemoryBackend) -> None:
    assert "Should Bordeaux volunteer?" in text(await coop.say("mayor", "/cooperate 2"))
    applied = text(await coop.say("mayor", "1"))
    assert "Bordeaux volunteered for no. 2" in applied and "the staff will answer" in applied
    [request] = [r.text for r in coop.inbox("equipe") if "Bordeaux" in r.text]
    assert "To answer: /volunteers 2" in request

    assert "now has 0 places" in text(await coop.say("equipe", "/volunteers 2 places 0"))
    listing = await coop.say("equipe", "/volunteers 2")
    assert "[Approve Bordeaux]" in text(listing)
    decided = text(await coop.say("equipe", "1"))
    assert "Bordeaux is number 1 on the waiting list of no. 2" in decided
    await coop.app.sender.drain()
    assert any("number 1 on the waiting list" in r.text for r in coop.inbox("mayor"))

    # a place is added: the first in line gets it, and is told
    await coop.say("equipe", "/volunteers 2 places 1")
    await coop.app.sender.drain()
    assert any(
        r.text.startswith("A place freed up: Bordeaux holds a place") for r in coop.inbox("mayor")
    )
    withdrawn = text(await coop.say("mayor", "/cooperate 2"))
    assert "[Withdraw Bordeaux]" in withdrawn
    assert "Bordeaux withdrew from no. 2" in text(await coop.say("mayor", "1"))


async def test_what_is_refused_and_why(coop: MemoryBackend) -> None:
    assert "n'a pas été retenue" in text(await coop.say("maire", "/cooperer 18"))
    assert "Tapez le numéro d'une proposition retenue" in text(await coop.say("maire", "/cooperer"))
    assert "réservée à l'équipe" in text(await coop.say("maire", "/volontaires"))
    assert "Seul·e un·e élu·e" not in text(await coop.say("maire", "/cooperer 1"))
    assert "no. 99" not in text(await coop.say("equipe", "/volunteers 99"))
    assert "There is no proposal numbered “99”" in text(await coop.say("equipe", "/volunteers 99"))
    assert "Type the number of places" in text(await coop.say("equipe", "/volunteers 2 places x"))
    # a forged button for a proposal not selected
    refused = text(await coop.press("maire", "coop.yes:18:24432"))
    assert "n'a pas été retenue" in refused or "n’est plus valable" in refused


async def test_outside_the_coconstruction_it_says_when(db_path: Path, clock: FrozenClock) -> None:
    app = await make_app(db_path, clock, phase="vote")
    chat = MemoryBackend(app)
    await onboard(chat, "maire")
    answer = text(await chat.say("maire", "/cooperer 1"))
    assert "co-construction avec les collectivités volontaires" in answer
    await app.close()


def test_the_demo_opens_on_the_coconstruction(tmp_path: Path) -> None:
    out = run_demo(tmp_path, ["/aide", "/cooperer 1"], "--phase", "coconstruction")
    assert "co-construction avec les collectivités volontaires" in out
    assert "/cooperer" in out and "/suivre" in out
    assert "Se porter volontaire, c'est" in out


async def test_the_proposal_page_offers_to_volunteer_and_to_follow(coop: MemoryBackend) -> None:
    page = text(await coop.say("mayor", "/proposal 3"))
    assert "Co-construction: 0 of 10 places taken, 0 waiting." in page
    assert "[Volunteer Bordeaux]" in page
    assert "To follow its news: /follow 3." in page
    await coop.say("mayor", "/follow 3")
    assert "You follow its news. To stop: /unfollow 3." in text(
        await coop.say("mayor", "/proposal 3")
    )
    assert "places prises" not in text(await coop.say("maire", "/proposition 18"))  # not selected
