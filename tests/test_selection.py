"""``/selection``: the staff mark, then announce; voters and supporting collectivités
are told once, in their language. Replays vote → support → selection on one clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock, from_iso
from storage import persons
from tests.conftest import make_app, onboard, plain, text


async def _phase(chat: MemoryBackend, kind: str) -> None:
    """Ten in the morning on the day ``kind`` opens."""
    clock = chat.app.services.clock
    assert isinstance(clock, FrozenClock)
    raw = await chat.app.services.db.fetchval("SELECT opens_at FROM phases WHERE kind = ?", (kind,))
    clock.set(from_iso(raw) + timedelta(hours=10))


async def _staff(chat: MemoryBackend, user: str) -> None:
    await chat.say(user, "/aide")
    person = await persons.by_identity(chat.app.services.db, chat.identity(user))
    assert person is not None
    await persons.set_role(chat.app.services.db, person.id, "staff")


def _results(chat: MemoryBackend, user: str) -> list[str]:
    return [
        plain(reply.text)
        for reply in chat.inbox(user)
        if reply.text.startswith(("Résultats de la consultation", "Results of the consultation"))
    ]


@pytest.fixture
async def replay(db_path: Path, clock: FrozenClock) -> AsyncIterator[MemoryBackend]:
    """Votes in the vote phase, a support in the support phase, then the selection."""
    app: App = await make_app(db_path, clock, phase="vote")
    chat = MemoryBackend(app)
    await onboard(chat, "lecteur")  # Saint-Julien-de-Lampon
    await onboard(chat, "reader", language="2", query="33063")  # Bordeaux
    await onboard(chat, "collegue", query="33063", role="2")  # Bordeaux, agent, no vote
    for data in ("prop.v:1", "prop.v:2"):
        await chat.press("lecteur", data)
    await chat.press("reader", "prop.v:2")
    await _phase(chat, "support")
    assert "Bordeaux now supports no. 1" in text(await chat.press("reader", "sup.add:1:so:33063"))
    await _phase(chat, "selection")
    await _staff(chat, "equipe")
    yield chat
    await app.close()


async def test_marks_then_announces_once_to_voters_and_supporters(replay: MemoryBackend) -> None:
    chat, db = replay, replay.app.services.db
    overview = text(await chat.say("equipe", "/selection"))
    assert (
        "Sélection — marquées retenues : 0 ; marquées non retenues : 0 ; non décidées : 19 ; "
        "annoncées : 0.\nPage 1 sur 4 :"
    ) in overview
    assert "• n° 1 « Améliorer la gestion de la relation usagers » — " in overview
    assert "1 soutien — non marquée" in overview and "[Annoncer les résultats]" not in overview
    detail = await chat.say("equipe", "1")
    assert "Équipe : pas encore marquée." in text(detail)
    assert [c.label for c in detail[-1].choices][:2] == ["Marquer retenue", "Marquer non retenue"]
    marked = text(await chat.say("equipe", "1"))
    assert (
        "n° 1 « Améliorer la gestion de la relation usagers » est marquée retenue. Rien n'est "
        "annoncé tant que vous n'avez pas choisi « Annoncer les résultats »."
    ) in marked
    assert "[Suivante : N° 2 : Collaborer en transversalité et à dista…]" in marked
    public = text(await chat.say("lecteur", "/proposition 1"))
    assert "Résultat" not in public and "Équipe" not in public and "Marquer" not in public
    await chat.press("equipe", "sel.m:2:n")
    await chat.press("equipe", "sel.m:3:s")
    assert "n° 3 « Gérer électroniquement les documents » n'est plus marquée." in text(
        await chat.press("equipe", "sel.m:3:u")
    )
    overview = text(await chat.say("equipe", "/selection"))
    assert "marquées retenues : 1 ; marquées non retenues : 1 ; non décidées : 17" in overview

    told = await db.fetchval(
        "SELECT COUNT(*) FROM (SELECT v.person_id FROM votes v JOIN proposals p"
        " ON p.id = v.proposal_id WHERE p.number IN (1, 2) UNION SELECT m.person_id"
        " FROM supports s JOIN proposals p ON p.id = s.proposal_id JOIN memberships m"
        " ON m.collectivite = s.collectivite AND m.status = 'approved' WHERE p.number IN (1, 2)"
        " UNION SELECT k.author_id FROM contributions k JOIN proposals p ON p.id = k.proposal_id"
        " WHERE p.number IN (1, 2) AND k.status = 'grouped')"
    )
    confirm = await chat.press("equipe", "sel.ann")
    assert (
        "Annoncer ces résultats ? Ce sera définitif.\nRetenues :\n"
        "• n° 1 « Améliorer la gestion de la relation usagers »\nNon retenues :\n"
        "• n° 2 « Collaborer en transversalité et à distance »\n"
        "Non décidées, elles restent ouvertes : 17.\n"
        f"Personnes qui seront prévenues : {told}."
    ) == plain(confirm[-1].text)
    done = text(await chat.say("equipe", "1"))
    assert "Les résultats de 2 propositions sont annoncés." in done
    assert f"{told} personnes sont prévenues." in done

    assert _results(chat, "lecteur") == [
        "Résultats de la consultation « Transformation numérique des collectivités "
        "territoriales » :\n"
        "• n° 1 « Améliorer la gestion de la relation usagers » : retenue (vous avez voté pour "
        "elle)\n"
        "• n° 2 « Collaborer en transversalité et à distance » : non retenue (vous avez voté "
        "pour elle)\n\n"
        "Merci de votre participation. Toutes les propositions et leur résultat : /propositions."
    ]
    assert _results(chat, "reader") == [
        "Results of the consultation “Digital transformation of local authorities”:\n"
        "• no. 1 “Améliorer la gestion de la relation usagers”: selected (Bordeaux supported it)\n"
        "• no. 2 “Collaborer en transversalité et à distance”: not selected (you voted for it)\n\n"
        "Thank you for taking part. Every proposal and its result: /proposals."
    ]
    [colleague] = _results(chat, "collegue")
    assert "• n° 1 « Améliorer la gestion de la relation usagers » : retenue (Bordeaux l'a " in (
        colleague
    )
    assert "n° 2" not in colleague

    # Twice in a row, or an old button: nothing more is sent, nothing changes.
    assert "n'est plus valable" in text(await chat.press("equipe", "sel.go"))
    assert "Rien n'est marqué" in text(await chat.press("equipe", "sel.ann"))
    assert "a déjà été annoncée (retenue) ; elle ne peut plus être modifiée." in text(
        await chat.press("equipe", "sel.m:1:n")
    )
    assert len(_results(chat, "lecteur")) == 1
    assert "Résultat : retenue" in text(await chat.say("lecteur", "/proposition 1"))
    assert "— non retenue" in text(await chat.say("lecteur", "/propositions"))

    # A second committee decides another proposal: only those concerned hear of it.
    await chat.press("equipe", "sel.m:19:s")
    await chat.press("equipe", "sel.ann")
    assert "Le résultat de 1 proposition est annoncé." in text(await chat.press("equipe", "sel.go"))
    assert len(_results(chat, "lecteur")) == 1 and len(_results(chat, "reader")) == 1
    results = await db.fetchval(
        "SELECT COUNT(*) FROM outbox o JOIN identities i ON i.person_id = o.person_id"
        " WHERE o.kind = 'result' AND i.identity = ?",
        (chat.identity("lecteur"),),
    )
    assert results == 1


async def test_staff_only_and_only_in_the_selection(replay: MemoryBackend) -> None:
    chat = replay
    assert "réservée à l'équipe" in text(await chat.say("lecteur", "/selection"))
    for data in ("sel.m:1:s", "sel.ann", "sel.go", "sel.l:0"):
        assert "réservée à l'équipe" in text(await chat.press("lecteur", data)), data
    assert "/selection" not in text(await chat.say("lecteur", "/aide"))
    assert "/selection — Enregistrer la sélection" in text(await chat.say("equipe", "/aide"))
    for data in ("sel.m:1:x", "sel.m:99:s", "sel.m:1", "sel.l:x"):
        assert "n'est plus valable" in text(await chat.press("equipe", data)), data
    await _phase(chat, "support")
    early = text(await chat.say("equipe", "/selection"))
    assert "Ce sera possible pendant" in early and "sélection des projets" in early
    assert "Ce sera possible" in text(await chat.press("equipe", "sel.m:1:s"))
    assert not await chat.app.services.db.fetchval(
        "SELECT COUNT(*) FROM backend_state WHERE key LIKE 'selection.%'"
    )


async def test_marks_changed_by_another_staff_member(replay: MemoryBackend) -> None:
    chat = replay
    await _staff(chat, "adjoint")
    await chat.press("equipe", "sel.m:1:s")
    await chat.press("equipe", "sel.ann")
    await chat.press("adjoint", "sel.m:2:s")
    replies = await chat.press("equipe", "sel.go")
    assert replies[-1].text.startswith("Les marques ont changé entre-temps.\n\nAnnoncer ces")
    assert "• n° 2 « Collaborer" in plain(replies[-1].text)
    assert _results(chat, "lecteur") == []
    assert "Rien n'a été annoncé. Les marques sont conservées." in text(
        await chat.say("equipe", "2")
    )
    await chat.say("equipe", "/language en")
    confirm = text(await chat.press("equipe", "sel.ann"))
    assert "Announce these results? This cannot be undone.\nSelected:\n• no. 1" in confirm
    assert "Not selected:\n—" in confirm
    assert "Nothing was announced" in text(await chat.say("equipe", "no thanks"))
    await chat.press("equipe", "sel.ann")
    assert "The results of 2 proposals are announced." in text(await chat.say("equipe", "1"))
    assert len(_results(chat, "lecteur")) == 1


async def test_two_staff_members_announcing_at_once_tell_people_once(
    replay: MemoryBackend,
) -> None:
    chat = replay
    await _staff(chat, "adjoint")
    await chat.press("equipe", "sel.m:1:s")
    await chat.press("equipe", "sel.ann")
    await chat.press("adjoint", "sel.ann")
    first, second = await asyncio.gather(
        chat.press("equipe", "sel.go"), chat.press("adjoint", "sel.go")
    )
    assert "Le résultat de 1 proposition est annoncé." in text(first)
    assert "Rien n'est marqué" in text(second)
    assert len(_results(chat, "lecteur")) == 1 and len(_results(chat, "reader")) == 1


async def test_authors_are_told_what_became_of_the_proposal_their_need_went_into(
    replay: MemoryBackend,
) -> None:
    chat, db = replay, replay.app.services.db
    await onboard(chat, "autrice", query="33063", role="2")  # Bordeaux, agent: no vote, no support
    author = await persons.by_identity(db, chat.identity("autrice"))
    assert author is not None
    await db.execute(
        "INSERT INTO contributions(consultation_id, author_id, collectivite, title, body, theme,"
        " status, proposal_id, created_at, updated_at)"
        " SELECT p.consultation_id, ?, '33063', 'Guichet unique', 'Texte', p.theme, 'grouped',"
        " p.id, '', '' FROM proposals p WHERE p.number = 1",
        (author.id,),
    )
    await chat.press("equipe", "sel.m:1:s")
    await chat.press("equipe", "sel.ann")
    await chat.press("equipe", "sel.go")
    [told] = _results(chat, "autrice")
    assert (
        "• n° 1 « Améliorer la gestion de la relation usagers » : retenue (Bordeaux l'a "
        "soutenue, votre besoin « Guichet unique » en fait partie)"
    ) in told
