"""``/ecrire`` (``/contact``): a person reaches the consultation team, staff answer
from their queue, the answer arrives in the person's language; audited."""

from __future__ import annotations

from bot.backends.memory import MemoryBackend
from storage import contact, personal_data, persons
from tests.conftest import text

PLEA = "Bonjour, je suis le maire du Bugue, merci de rétablir mon accès."


async def _staff(chat: MemoryBackend, user: str = "equipe") -> None:
    await chat.say(user, "/aide")
    person = await persons.by_identity(chat.app.services.db, chat.identity(user))
    assert person is not None
    await persons.set_role(chat.app.services.db, person.id, "staff")


async def test_a_mayor_writes_and_staff_answer_from_the_queue(chat: MemoryBackend) -> None:
    await _staff(chat)
    # A message typed to nobody now says how to reach the team.
    assert "/ecrire pour écrire à l'équipe" in text(await chat.say("maire", PLEA))
    asked = text(await chat.say("maire", "/ecrire"))
    assert "Que voulez-vous dire à l'équipe de la consultation" in asked
    sent = text(await chat.say("maire", PLEA))
    assert "Votre message n° 1 est envoyé à l'équipe de la consultation" in sent
    [notice] = chat.inbox("equipe")
    assert "Nouveau message n° 1 à l'équipe de “maire”" in text([notice])
    assert "/moderation" in text([notice])

    queue = await chat.say("equipe", "/moderation")
    assert PLEA in text(queue) and "[Répondre]" in text(queue)
    assert "Écrivez votre réponse au message n° 1" in text(await chat.say("equipe", "1"))
    done = text(await chat.say("equipe", "Votre accès est rétabli. Bonne journée."))
    assert "Votre réponse est en route vers “maire”" in done
    assert "Aucun message à l'équipe n'attend" in done
    answer = text(chat.inbox("maire")[-1:])
    assert answer.startswith("Réponse de l'équipe de la consultation à votre message du")
    assert "Votre accès est rétabli. Bonne journée." in answer
    [entry] = await chat.app.services.db.fetchall(
        "SELECT action, target FROM audit_log WHERE action = 'contact.answer'"
    )
    assert (entry["action"], entry["target"]) == ("contact.answer", "contact:1")
    # Answered once: a second staff member's old button changes nothing.
    assert "déjà reçu une réponse" in text(await chat.press("equipe", "contact.ans:1"))


async def test_in_english_with_the_message_on_the_command_line(chat: MemoryBackend) -> None:
    await _staff(chat)
    await chat.say("jane", "/language en")
    sent = text(await chat.say("jane", "/contact Please add my deputy."))
    assert "Your message no. 1 is sent to the consultation team" in sent
    await chat.say("equipe", "/moderation")
    await chat.say("equipe", "1")
    await chat.say("equipe", "C'est fait.")
    answer = text(chat.inbox("jane")[-1:])
    assert answer.startswith("Answer from the consultation team to your message of")
    assert "C'est fait." in answer


async def test_empty_long_and_forbidden(chat: MemoryBackend) -> None:
    await chat.say("maire", "/ecrire")
    assert "est vide" in text(await chat.say("maire", "   "))
    assert "trop long" in text(await chat.say("maire", "x" * 2001))
    assert "est envoyé" in text(await chat.say("maire", "Bonjour"))
    # Only staff answer: the buttons and the queue are refused to others.
    assert "réservée à l'équipe" in text(await chat.press("maire", "contact.ans:1"))
    assert "réservée à l'équipe" in text(await chat.press("maire", "contact.q:0"))


async def test_a_draft_message_survives_a_command(chat: MemoryBackend) -> None:
    await chat.say("maire", "/ecrire")
    replies = await chat.say("maire", "/calendrier")
    assert "Votre message en cours est gardé" in text(replies[-1:])
    assert "est envoyé" in text(await chat.say("maire", PLEA))


async def test_rejection_and_privacy_name_the_command(chat: MemoryBackend) -> None:
    privacy = text(await chat.say("maire", "/confidentialite"))
    assert "l'équipe de la consultation, avec /ecrire dans cette conversation" in privacy


async def test_messages_are_personal_data(chat: MemoryBackend) -> None:
    await chat.say("maire", f"/ecrire {PLEA}")
    db = chat.app.services.db
    person = await persons.by_identity(db, chat.identity("maire"))
    assert person is not None
    exported = await personal_data.export(db, person.id)
    assert exported["contact_messages"][0]["body"] == PLEA
    await personal_data.erase(db, person.id, chat.app.services.clock.now())
    assert await contact.count_waiting(db) == 0
