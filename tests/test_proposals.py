"""``/propositions``, ``/proposition 12`` and ``/chercher`` on the demo's 2021 proposals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from bot.demo.data import PERSONS, PROPOSALS
from tests.conftest import make_app, onboard, plain, text


@pytest.fixture
async def voting(db_path: Path, clock: FrozenClock) -> AsyncIterator[MemoryBackend]:
    app: App = await make_app(db_path, clock, phase="vote")
    yield MemoryBackend(app)
    await app.close()


async def test_pages_of_five_with_next_and_previous(voting: MemoryBackend) -> None:
    replies = await voting.say("a", "/propositions")
    assert "Propositions, page 1 sur 4 (19 en tout) :" in text(replies)
    assert "• n° 1 « Améliorer la gestion de la relation usagers » — Services aux habitants" in (
        text(replies)
    )
    labels = [plain(c.label) for c in replies[-1].choices]
    assert labels[:2] == [
        "N° 1 : Améliorer la gestion de la relation usa…",
        "N° 2 : Collaborer en transversalité et à dista…",
    ]
    assert labels[5:] == ["Page suivante", "Filtrer par thème", "Chercher par mots"]
    assert "soutien" not in text(replies)  # no column of zeros before the support phase
    page_two = text(await voting.say("a", "6"))
    assert "page 2 sur 4" in page_two and "n° 6 « Faciliter l'intervention des agents »" in page_two
    assert "[Page précédente]" in page_two
    assert "page 1 sur 4" in text(await voting.say("a", "7"))


async def test_filter_by_theme_by_button_and_typed(voting: MemoryBackend) -> None:
    await voting.say("a", "/propositions")
    replies = await voting.say("a", "7")
    assert replies[-1].text == "Quel thème\u202f?"  # as French writes it
    labels = [c.label for c in replies[-1].choices]
    assert "Données (4)" in labels and "Culture (1)" in labels
    assert not any(label.startswith("Écoles") for label in labels)  # no proposal there
    data = text(await voting.say("a", str(labels.index("Données (4)") + 1)))
    assert "Propositions du thème « Données », page 1 sur 1 (4 en tout) :" in data
    assert data.count("• n° ") == 4 and "[Tous les thèmes]" in data
    assert "Données" not in data.split("\n")[1]  # the theme is not repeated on every line
    assert "4 en tout" in text(await voting.say("a", "/propositions donnees"))
    assert "Mobilité" in text(await voting.say("a", "/propositions mobi"))
    unknown = text(await voting.say("a", "/propositions astronautique"))
    assert "Je ne connais aucun thème nommé « astronautique »." in unknown


async def test_detail_counts_origin_without_authors(voting: MemoryBackend) -> None:
    detail = text(await voting.say("a", "/proposition 12"))
    assert detail.startswith(
        "Proposition n° 12 : Structurer, mutualiser et exploiter les données relatives aux "
        "commerces\nThème : Données"
    )
    assert PROPOSALS[11][2] in detail
    assert "Contributions d'origine : 5, venant de 5 collectivités (thèmes : Données (4), " in (
        detail
    )
    assert "Votes à ce jour : 7." in detail
    for _identity, _code, _role, name in PERSONS:
        assert name not in detail
    assert "maire-" not in detail
    assert "Pour voter, dites d'abord quelle collectivité vous représentez : /start." in detail
    assert "[Retour à la liste]" in detail
    assert "Proposition n° 12" in text(await voting.say("a", "/propositions 12"))


async def test_detail_back_returns_to_the_page_and_theme_it_came_from(
    voting: MemoryBackend,
) -> None:
    await voting.say("a", "/propositions donnees")
    replies = await voting.say("a", "2")
    assert replies[-1].choices[-1].data == "prop.l:0:data"
    await voting.say("a", "/propositions")
    await voting.say("a", "6")
    replies = await voting.say("a", "1")
    assert "Proposition n° 6" in text(replies)
    assert replies[-1].choices[-1].data == "prop.l:5"


async def test_detail_and_list_in_english(voting: MemoryBackend) -> None:
    await voting.say("jane", "/language en")
    listing = text(await voting.say("jane", "/proposals"))
    assert "Proposals, page 1 of 4 (19 in all):" in listing
    assert "• no. 1 “Améliorer la gestion de la relation usagers” — Services to citizens" in listing
    assert "[No. 1: Améliorer la gestion de la relation usa…]" in listing
    detail = text(await voting.say("jane", "/proposal 3"))
    assert "Proposal no. 3: Gérer électroniquement les documents" in detail
    assert "Theme: Administration and internal tools" in detail
    assert "Contributions it grew from: 4, from 4 collectivités (themes:" in detail
    assert "To vote, first say which collectivité you represent: /begin." in detail
    assert "There is no proposal numbered “99”." in text(await voting.say("jane", "/proposal 99"))


async def test_search_ignores_accents_and_case(voting: MemoryBackend) -> None:
    found = text(await voting.say("a", "/chercher DONNEES"))
    assert "Propositions correspondant à « DONNEES » :" in found
    for number in (4, 8, 12):
        assert f"n° {number} «" in found
    accented = (await voting.say("a", "/chercher écologique"))[-1].choices
    assert accented and accented == (await voting.say("a", "/chercher ECOLOGIQUE"))[-1].choices
    assert "n° 11 « Faciliter la transition écologique" in text(
        await voting.say("a", "/chercher ecolo")
    )
    await voting.say("jane", "/language en")
    assert "no. 19 “Faciliter l'accès à la culture”" in text(
        await voting.say("jane", "/search Culture")
    )


async def test_search_asks_for_words_then_refines(voting: MemoryBackend) -> None:
    assert "Quels mots cherchez-vous ?" in text(await voting.say("a", "/chercher"))
    found = await voting.say("a", "vehicules habitants")
    assert "n° 18 « Partager des véhicules entre habitants »" in text(found)
    assert "Proposition n° 18" in text(await voting.say("a", "1"))
    await voting.say("a", "/chercher")
    assert "Aucune proposition ne correspond à « zzqx »" in text(await voting.say("a", "zzqx"))
    many = text(await voting.say("a", "faciliter"))  # still searching: refine by typing
    assert "Seules les 5 premières sont affichées" in many
    assert "Proposition n° 7" in text(await voting.say("a", "7"))  # a number is a proposal


async def test_hostile_search_and_forged_buttons(voting: MemoryBackend) -> None:
    for query in ('"AND OR * NEAR(', "'; DROP TABLE proposals; --", "é" * 90):
        assert "Aucune proposition ne correspond" in text(
            await voting.say("a", f"/chercher {query}")
        )
    assert "trop long pour une recherche" in text(await voting.say("a", "/chercher " + "a" * 200))
    assert await voting.app.services.db.fetchval("SELECT COUNT(*) FROM proposals") == 19
    for data in ("prop.d:999", "prop.d:abc", "prop.d", "prop.l:x", "prop.l:0:nowhere"):
        assert "n'est plus valable" in text(await voting.press("a", data)), data
    assert "n'est plus valable" in text(await voting.press("a", "prop.d:1:0:nowhere"))
    assert "Il n'y a pas de proposition numéro « abc »." in text(
        await voting.say("a", "/proposition abc")
    )


async def test_before_any_proposal(chat: MemoryBackend) -> None:
    replies = text(await chat.say("a", "/propositions"))
    assert "Il n'y a pas encore de proposition" in replies
    assert "/propositions" not in text(await chat.say("a", "/aide"))


async def test_help_lists_browsing_in_the_vote_phase(voting: MemoryBackend) -> None:
    await onboard(voting, "maire")
    help_text = text(await voting.say("maire", "/aide"))
    assert "/propositions — Parcourir les propositions, par thème" in help_text
    assert "/chercher — Chercher des propositions par mots" in help_text
    assert "/mes_votes" in help_text and "/mes_soutiens" not in help_text
