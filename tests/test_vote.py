"""Votes in the ``vote`` phase: cast, withdraw, the cap, old and forged buttons, clicks at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock, from_iso
from storage import memberships, persons
from storage.db import Database
from tests.conftest import make_app, onboard, text


@pytest.fixture
async def voting(db_path: Path, clock: FrozenClock) -> AsyncIterator[MemoryBackend]:
    app: App = await make_app(db_path, clock, phase="vote")
    yield MemoryBackend(app)
    await app.close()


async def _votes(chat: MemoryBackend, user: str | None = None, number: int | None = None) -> int:
    sql = "SELECT COUNT(*) FROM votes v JOIN proposals p ON p.id = v.proposal_id WHERE 1 = 1"
    params: list[object] = []
    if user is not None:
        sql += " AND v.person_id = (SELECT person_id FROM identities WHERE identity = ?)"
        params.append(chat.identity(user))
    if number is not None:
        sql += " AND p.number = ?"
        params.append(number)
    return int(await chat.app.services.db.fetchval(sql, params))


async def _set(db: Database, key: str, value: str) -> None:
    await db.execute(
        f"UPDATE consultations SET settings = json_set(settings, '$.{key}', json(?))", (value,)
    )


async def _open(chat: MemoryBackend, kind: str, field: str = "opens_at") -> None:
    clock = chat.app.services.clock
    assert isinstance(clock, FrozenClock)
    raw = await chat.app.services.db.fetchval(f"SELECT {field} FROM phases WHERE kind = ?", (kind,))
    clock.set(from_iso(raw))


async def test_member_votes_then_withdraws_in_french(voting: MemoryBackend) -> None:
    await onboard(voting, "maire")
    before = await _votes(voting, number=1)
    detail = await voting.say("maire", "/proposition 1")
    assert "Il vous reste 10 votes sur 10." in text(detail)
    assert [c.label for c in detail[-1].choices] == ["Voter pour elle", "Retour à la liste"]
    cast = text(await voting.say("maire", "1"))
    assert (
        "Votre vote pour n° 1 « Améliorer la gestion de la relation usagers » est enregistré.\n"
        "Il vous reste 9 votes sur 10."
    ) in cast
    assert "[Retirer mon vote]" in cast
    assert await _votes(voting, number=1) == before + 1
    again = text(await voting.press("maire", "prop.v:1"))
    assert "Vous avez déjà voté pour n° 1" in again and "rien n'a été modifié" in again
    assert await _votes(voting, number=1) == before + 1
    assert "Vous avez voté pour cette proposition." in text(
        await voting.say("maire", "/proposition 1")
    )
    mine = text(await voting.say("maire", "/mes_votes"))
    assert "Vos votes :\n• n° 1 « Améliorer la gestion de la relation usagers » —" in mine
    withdrawn = text(await voting.press("maire", "prop.uv:1"))
    assert "Votre vote pour n° 1 « Améliorer la gestion de la relation usagers » est retiré." in (
        withdrawn
    )
    assert "Il vous reste 10 votes sur 10." in withdrawn
    assert "Vous n'aviez pas voté pour n° 1" in text(await voting.press("maire", "prop.uv:1"))
    assert await _votes(voting, number=1) == before
    assert "Vous n'avez voté pour aucune proposition." in text(
        await voting.say("maire", "/mes_votes")
    )


async def test_cap_in_english_and_no_cap(voting: MemoryBackend) -> None:
    db = voting.app.services.db
    await _set(db, "votes_per_person", "2")
    await onboard(voting, "jane", language="2")
    assert "You have 1 vote left out of 2." in text(await voting.press("jane", "prop.v:4"))
    assert "You have 0 votes left out of 2." in text(await voting.press("jane", "prop.v:5"))
    full = text(await voting.press("jane", "prop.v:6"))
    assert full == (
        "You have no vote left (at most 2 votes per person). Withdraw one of your votes to "
        "vote for this proposal."
    )
    assert await _votes(voting, "jane") == 2
    await voting.press("jane", "prop.uv:4")
    assert "Your vote for no. 6" in text(await voting.press("jane", "prop.v:6"))
    mine = text(await voting.say("jane", "/my_votes"))
    assert "Your votes:\n• no. 5" in mine and "• no. 6" in mine and "You have 0 votes left" in mine
    await _set(db, "votes_per_person", "null")
    assert "You may vote for as many proposals as you like." in text(
        await voting.press("jane", "prop.v:7")
    )
    await _set(db, "votes_per_person", "1")
    assert "at most 1 vote per person" in text(await voting.press("jane", "prop.v:8"))


async def test_only_approved_members_vote(db_path: Path, clock: FrozenClock) -> None:
    app = await make_app(db_path, clock, phase="vote", verification="staff")
    chat = MemoryBackend(app)
    refused = text(await chat.press("passant", "prop.v:1"))
    assert "Vous devez d'abord être rattaché·e à une collectivité" in refused
    await onboard(chat, "attente")  # pending: the staff has not approved yet
    assert "attend l'approbation de l'équipe" in text(await chat.press("attente", "prop.v:1"))
    assert "/mes_votes" not in text(await chat.say("attente", "/aide"))
    assert "attend l'approbation de l'équipe" in text(await chat.say("attente", "/mes_votes"))
    assert await _votes(chat) == await app.services.db.fetchval(
        "SELECT COUNT(*) FROM votes WHERE person_id NOT IN"
        " (SELECT person_id FROM identities WHERE backend = 'memory')"
    )
    assert await _votes(chat, "attente") == 0
    await app.close()


async def test_old_button_after_the_deadline_changes_nothing(voting: MemoryBackend) -> None:
    await onboard(voting, "maire")
    await voting.press("maire", "prop.v:2")
    await _open(voting, "vote", "closes_at")
    late = text(await voting.press("maire", "prop.uv:2"))
    assert "C'était possible pendant" in late and "vote des solutions », du" in late
    assert "En cours : manifestation de soutien." in late
    assert "C'était possible" in text(await voting.press("maire", "prop.v:3"))
    assert await _votes(voting, "maire") == 1
    detail = await voting.say("maire", "/proposition 2")
    assert "Vous avez voté pour cette proposition." in text(detail)
    assert "Voter" not in text(detail) and "Retirer mon vote" not in text(detail)


async def test_before_the_vote_opens(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    early = text(await chat.press("maire", "prop.v:1"))
    assert "Ce sera possible pendant" in early and "vote des solutions », du" in early


async def test_forged_vote_data(voting: MemoryBackend) -> None:
    await onboard(voting, "maire")
    for data in ("prop.v:abc", "prop.v:999", "prop.v", "prop.v:-1", "prop.uv:1e3", "prop.v:٣"):
        assert "n'est plus valable" in text(await voting.press("maire", data)), data
    assert await _votes(voting, "maire") == 0


async def test_decided_proposal_cannot_get_votes(voting: MemoryBackend) -> None:
    await onboard(voting, "maire")
    await voting.app.services.db.execute(
        "UPDATE proposals SET status = 'selected' WHERE number = 9"
    )
    assert "La proposition n° 9 est déjà décidée (retenue)" in text(
        await voting.press("maire", "prop.v:9")
    )
    assert await _votes(voting, "maire") == 0


async def test_clicks_at_once_keep_counts_exact(voting: MemoryBackend) -> None:
    """One person hammering 19 proposals twice over gets exactly the cap; 40 people
    voting for the same proposal at once add exactly 40."""
    db = voting.app.services.db
    await onboard(voting, "maire")
    presses = [voting.press("maire", f"prop.v:{n}") for n in range(1, 20)] * 2
    await asyncio.gather(*presses)
    assert await _votes(voting, "maire") == 10

    async with db.transaction():
        for index in range(40):
            person = await persons.ensure(
                db, voting.identity(f"v{index}"), now=voting.app.services.clock.now()
            )
            await memberships.request(
                db,
                person.id,
                "24432",
                "agent",
                approve=True,
                evidence="",
                now=voting.app.services.clock.now(),
            )
    before = await _votes(voting, number=19)
    await asyncio.gather(*(voting.press(f"v{i}", "prop.v:19") for i in range(40)))
    assert await _votes(voting, number=19) == before + 40
    assert f"Votes à ce jour : {before + 40}." in text(await voting.say("maire", "/proposition 19"))
