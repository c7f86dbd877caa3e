"""Memberships are never lost by a tap; pending members are told they are pending."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from storage import memberships, persons
from tests.conftest import make_app, onboard, text


@pytest.fixture
async def checked(db_path: Path, clock: FrozenClock) -> AsyncIterator[MemoryBackend]:
    """Memberships wait for the staff; "equipe" is staff."""
    app = await make_app(db_path, clock, verification="staff")
    chat = MemoryBackend(app)
    await chat.say("equipe", "/aide")
    staff = await persons.by_identity(app.services.db, chat.identity("equipe"))
    assert staff is not None
    await persons.set_role(app.services.db, staff.id, "staff")
    yield chat
    await app.close()


async def _membership(chat: MemoryBackend, user: str) -> memberships.Membership:
    db = chat.app.services.db
    person = await persons.by_identity(db, chat.identity(user))
    assert person is not None
    [found] = await memberships.of_person(db, person.id)
    return found


async def _approved_mayor(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    await chat.say("equipe", "/moderation")
    await chat.say("equipe", "1")  # approve
    assert (await _membership(chat, "maire")).status == "approved"


async def test_another_role_at_start_is_a_change_request_the_staff_see_as_such(
    checked: MemoryBackend,
) -> None:
    await _approved_mayor(checked)
    said = text(await onboard(checked, "maire", role="2"))  # the mis-tap: "Agent"
    assert "Vous restez élu·e de Saint-Julien-de-Lampon" in said
    assert "devenir agent" in said
    kept = await _membership(checked, "maire")
    assert (kept.status, kept.role, kept.requested_role) == ("approved", "elu", "agent")
    assert "Changement de rôle : “maire”" in text(checked.inbox("equipe")[-1:])
    profile = text(await checked.say("maire", "/profil"))
    assert "élu·e — approuvé" in profile and "demande à devenir agent" in profile
    # Still an élu·e while it waits: member-only commands work.
    assert "rattaché" not in text(await checked.say("maire", "/mes_besoins"))

    queue = text(await checked.say("equipe", "/moderation"))
    assert "Changement de rôle 1 sur 1" in queue
    assert "Approuvé·e en tant qu'élu·e de Saint-Julien-de-Lampon" in queue
    assert "demande à devenir agent" in queue
    rejected = text(await checked.say("equipe", "2"))
    assert "Changement de rôle refusé : “maire” reste élu·e de Saint-Julien-de-Lampon" in (rejected)
    kept = await _membership(checked, "maire")
    assert (kept.status, kept.role, kept.requested_role) == ("approved", "elu", None)
    assert "vous restez élu·e" in text(checked.inbox("maire")[-1:])
    assert "/ecrire" in text(checked.inbox("maire")[-1:])


async def test_an_approved_change_gives_the_new_role(checked: MemoryBackend) -> None:
    await _approved_mayor(checked)
    await onboard(checked, "maire", role="2")
    await checked.say("equipe", "/moderation")
    assert "“maire” est désormais agent" in text(await checked.say("equipe", "1"))
    kept = await _membership(checked, "maire")
    assert (kept.status, kept.role, kept.requested_role) == ("approved", "agent", None)
    rows = await checked.app.services.db.fetchall(
        "SELECT action FROM audit_log WHERE action LIKE 'membership.change%'"
    )
    assert [r["action"] for r in rows] == ["membership.change_approve"]


async def test_confirming_the_held_role_withdraws_the_change(checked: MemoryBackend) -> None:
    await _approved_mayor(checked)
    await onboard(checked, "maire", role="2")
    assert "Votre demande de changement de rôle est retirée" in text(
        await onboard(checked, "maire", role="1")
    )
    assert (await _membership(checked, "maire")).requested_role is None
    assert "Aucune demande de rattachement" in text(await checked.say("equipe", "/moderation"))


async def test_pending_members_are_told_they_are_pending(checked: MemoryBackend) -> None:
    await onboard(checked, "maire")
    notices = len(checked.inbox("equipe"))
    refused = text(await checked.say("maire", "/mes_besoins"))
    assert "attend l'approbation de l'équipe" in refused and "/start" not in refused
    assert "attend l'approbation de l'équipe" in text(await checked.say("maire", "/aide"))
    assert "en attente de validation par l'équipe" in text(await checked.say("maire", "/profil"))
    # /start says so first; the same request again files nothing new.
    assert "attend l'approbation" in text(await checked.say("maire", "/start"))
    await checked.say("maire", "/annuler")
    await onboard(checked, "maire")
    assert len(checked.inbox("equipe")) == notices
    assert "1 sur 1" in text(await checked.say("equipe", "/moderation"))


async def test_in_english_an_elected_official_with_its_article(checked: MemoryBackend) -> None:
    await onboard(checked, "jane", language="2")
    await checked.say("equipe", "/moderation")
    await checked.say("equipe", "1")
    said = text(await onboard(checked, "jane", language="2", role="2"))
    assert "You remain an elected official of Saint-Julien-de-Lampon" in said
    assert "to become an agent there" in said
