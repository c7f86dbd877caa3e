"""``/start``, memberships, the staff's queue and ``/profil``, in French and English."""

from __future__ import annotations

from pathlib import Path

from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from storage import memberships, persons
from tests.conftest import make_app, onboard, text


async def _membership(chat: MemoryBackend, user: str) -> list[memberships.Membership]:
    person = await persons.by_identity(chat.app.services.db, chat.identity(user))
    assert person is not None
    return await memberships.of_person(chat.app.services.db, person.id)


async def test_french_mayor_onboards_by_searching(chat: MemoryBackend) -> None:
    replies = await chat.say("maire", "/start")
    assert "Choisissez votre langue" in text(replies)
    assert [c.label for c in replies[0].choices] == ["Français", "English"]
    assert "Quelle collectivité" in text(await chat.say("maire", "1"))
    replies = await chat.say("maire", "st julien 24")
    assert "Plusieurs collectivités" in text(replies)
    labels = [c.label for c in replies[-1].choices]
    assert labels[0].startswith("Saint-Julien-de-Lampon (Dordogne, 24)")
    assert all("(Dordogne, 24)" in label for label in labels)
    assert "quel y est votre rôle" in text(await chat.say("maire", "1"))
    assert "en tant qu'élu·e" in text(await chat.say("maire", "1"))
    assert "Bienvenue ! Vous êtes inscrit·e" in text(await chat.say("maire", "1"))
    [membership] = await _membership(chat, "maire")
    assert (membership.collectivite, membership.role, membership.status) == (
        "24432",
        "elu",
        "approved",
    )


async def test_english_agent_onboards_with_a_deep_link(chat: MemoryBackend) -> None:
    await chat.say("jane", "/start 24432")
    replies = await chat.say("jane", "2")
    assert "Saint-Julien-de-Lampon (Dordogne, 24): what is your role there?" in text(replies)
    assert "Please confirm" in text(await chat.say("jane", "2"))
    assert "registered as an agent" in text(await chat.say("jane", "1"))
    assert (await _membership(chat, "jane"))[0].role == "agent"
    assert "What you can do now" in text(await chat.say("jane", "/help"))


async def test_platform_language_is_the_first_guess(chat: MemoryBackend) -> None:
    replies = await chat.say("ana", "/help", language="en-GB")
    assert "What you can do now" in text(replies)


async def test_unknown_deep_link_code_falls_back_to_search(chat: MemoryBackend) -> None:
    await chat.say("a", "/start 99999")
    assert "aucune collectivité avec le code 99999" in text(await chat.say("a", "1"))


async def test_no_match_gets_a_helpful_answer_and_keeps_the_step(chat: MemoryBackend) -> None:
    await chat.say("a", "/start")
    await chat.say("a", "1")
    replies = await chat.say("a", "zzqxv")
    assert "Je n'ai trouvé aucune collectivité correspondant à « zzqxv »" in text(replies)
    assert "code postal" in text(replies)
    assert "quel y est votre rôle" in text(await chat.say("a", "Saint-Julien-de-Lampon"))


async def test_hostile_search_text_is_refused_politely(chat: MemoryBackend) -> None:
    await chat.say("a", "/start")
    await chat.say("a", "1")
    assert "trop long pour un nom" in text(await chat.say("a", "é" * 500))
    replies = await chat.say("a", "'; DROP TABLE persons; --")
    assert "aucune collectivité" in text(replies)
    assert await chat.app.services.db.fetchval("SELECT COUNT(*) FROM persons") == 2


async def test_search_again_and_typed_answers_in_choice_steps(chat: MemoryBackend) -> None:
    await chat.say("a", "/start")
    await chat.say("a", "1")
    await chat.say("a", "24432")
    assert "tapant son numéro" in text(await chat.say("a", "maire"))
    assert "Quelle collectivité" in text(await chat.say("a", "3"))


async def test_staff_mode_queue_approve_and_notify(db_path: Path, clock: FrozenClock) -> None:
    app = await make_app(db_path, clock, verification="staff")
    chat = MemoryBackend(app)
    await chat.say("staff", "/aide")  # makes sure staff has been heard from on this backend
    await app.services.db.execute(
        "UPDATE identities SET person_id = (SELECT id FROM persons WHERE role = 'admin')"
        " WHERE identity = 'memory:staff'"
    )
    replies = await onboard(chat, "maire")
    assert "en attente de validation" in text(replies)
    [pending] = await _membership(chat, "maire")
    assert pending.status == "pending"
    notice = text(chat.inbox("staff"))
    assert (
        "Nouvelle demande : “maire” (nom choisi par la personne) demande à représenter "
        "Saint-Julien-de-Lampon" in notice
    )
    assert "/moderation" in notice

    # someone who is not staff can neither open the queue nor press its buttons
    assert "réservée à l'équipe" in text(await chat.say("maire", "/moderation"))
    assert "réservée à l'équipe" in text(await chat.press("maire", f"mod.ok:{pending.id}"))
    assert (await _membership(chat, "maire"))[0].status == "pending"

    queue = await chat.say("staff", "/moderation")
    assert "Demande de rattachement 1 sur 1" in text(queue)
    assert "memory:maire" in text(queue)
    replies = await chat.say("staff", "1")
    assert "Approuvé : “maire” pour Saint-Julien-de-Lampon" in text(replies)
    assert "Aucune demande de rattachement en attente" in text(replies)
    assert (await _membership(chat, "maire"))[0].status == "approved"
    assert "Bonne nouvelle" in text(chat.inbox("maire"))
    # pressing the old button again changes nothing
    assert "déjà été traitée" in text(await chat.press("staff", f"mod.ok:{pending.id}"))
    await app.close()


async def test_staff_mode_reject_tells_the_person_in_english(
    db_path: Path, clock: FrozenClock
) -> None:
    app = await make_app(db_path, clock, verification="staff")
    chat = MemoryBackend(app)
    await onboard(chat, "jane", language="2")
    db = app.services.db
    await chat.say("boss", "/aide")
    await db.execute("UPDATE persons SET role = 'staff' WHERE display_name = 'boss'")
    await chat.say("boss", "/moderation")
    assert "Refusé : “jane”" in text(await chat.say("boss", "2"))
    assert "was not approved" in text(chat.inbox("jane"))
    assert (await _membership(chat, "jane"))[0].status == "rejected"
    await app.close()


async def test_several_collectivites_and_acting_for(chat: MemoryBackend) -> None:
    await onboard(chat, "agent", query="24432", role="2")
    await chat.say("agent", "/profil")
    replies = await chat.say("agent", "2")  # add a collectivité
    assert "Quelle collectivité" in text(replies)
    await chat.say("agent", "33063")  # Bordeaux
    await chat.say("agent", "2")
    await chat.say("agent", "1")
    profile = text(await chat.say("agent", "/profil"))
    assert "Bordeaux (33) — agent — approuvée — vous agissez en son nom" in profile
    assert "[Agir pour Saint-Julien-de-Lampon]" in profile
    assert "Vous agissez désormais pour Saint-Julien-de-Lampon" in text(
        await chat.say("agent", "1")
    )


async def test_leave_a_collectivite_needs_confirmation(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    replies = await chat.say("maire", "/profil")
    assert "[Quitter Saint-Julien-de-Lampon]" in text(replies)
    assert "Voulez-vous vraiment" in text(await chat.say("maire", "1"))
    assert "Rien n'a été modifié" in text(await chat.say("maire", "2"))
    assert len(await _membership(chat, "maire")) == 1
    await chat.say("maire", "/profil")
    await chat.say("maire", "1")
    assert "Vous ne représentez plus" in text(await chat.say("maire", "1"))
    assert await _membership(chat, "maire") == []
    # the confirmation button cannot be replayed
    assert "n'est plus valable" in text(await chat.press("maire", "prof.left:24432"))


async def test_already_registered(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    assert "déjà inscrit·e" in text(await onboard(chat, "maire"))
