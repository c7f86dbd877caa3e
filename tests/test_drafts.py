"""A flow in progress survives the commands typed in its middle (bot/core/drafts.py),
and typed answers find their choice (labels, "n°3", oui/non), in French and English."""

from __future__ import annotations

from bot.backends.memory import MemoryBackend
from tests.conftest import onboard, text

TITLE = "Covoiturage entre hameaux"
BODY = "Une application simple pour organiser le covoiturage entre les habitants des hameaux."


async def _mid_need(chat: MemoryBackend, user: str) -> None:
    await chat.say(user, "/besoin")
    assert "Décrivez le besoin" in text(await chat.say(user, TITLE))


async def test_help_typed_mid_need_answers_then_recalls_the_question(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    await _mid_need(chat, "maire")
    replies = await chat.say("maire", "/aide")
    assert "Ce que vous pouvez faire maintenant" in text(replies[:-1])
    recalled = text(replies[-1:])
    assert recalled.startswith("Votre besoin en cours est gardé. Vous en étiez là")
    assert "/annuler" in recalled and "Décrivez le besoin" in recalled
    calendar = await chat.say("maire", "/calendrier")
    assert "Calendrier de la consultation" in text(calendar)
    assert "Votre besoin en cours est gardé" in text(calendar[-1:])
    # The draft goes on where it was, with its title.
    themes = await chat.say("maire", BODY)
    assert "Quel thème" in text(themes)
    summary = text(await chat.say("maire", "mobilité"))  # a typed label picks its theme
    assert f"Titre : {TITLE}" in summary and "Thème : Mobilité" in summary
    assert "votre besoin n° 1 est enregistré" in text(await chat.say("maire", "1.")).lower()


async def test_a_command_starting_another_flow_asks_before_dropping_the_draft(
    chat: MemoryBackend,
) -> None:
    await onboard(chat, "maire")
    await _mid_need(chat, "maire")
    asked = await chat.say("maire", "/start")
    assert "Votre besoin en cours est gardé. L'abandonner pour aller à /start" in text(asked)
    assert [c.label for c in asked[-1].choices] == [
        "Le poursuivre",
        "L'abandonner et aller à /start",
    ]
    again = text(await chat.say("maire", "peut-être"))  # neither choice: asked again
    assert again.startswith("Choisissez l'une des réponses") and "[Le poursuivre]" in again
    assert "Décrivez le besoin" in text(await chat.say("maire", "1"))  # go on with it
    assert "Quel thème" in text(await chat.say("maire", BODY))
    await chat.say("maire", "/start")
    assert "Quelle collectivité représentez-vous" in text(await chat.say("maire", "2"))
    assert "Je n'ai trouvé aucune" not in text(await chat.say("maire", "/annuler"))


async def test_need_typed_again_offers_to_resume_the_draft(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    await _mid_need(chat, "maire")
    asked = await chat.say("maire", "/besoin")
    assert "Reprendre là où vous en étiez, ou recommencer" in text(asked)
    assert "Décrivez le besoin" in text(await chat.say("maire", "reprendre"))
    await chat.say("maire", "/besoin")
    assert "titre court" in text(await chat.say("maire", "recommencer"))


async def test_in_english(chat: MemoryBackend) -> None:
    await onboard(chat, "jane", language="2")
    await chat.say("jane", "/need")
    await chat.say("jane", "School canteen software")
    replies = await chat.say("jane", "/calendar")
    assert "Calendar of the consultation" in text(replies)
    assert text(replies[-1:]).startswith("Your need in progress is kept. Here is where you were")
    asked = await chat.say("jane", "/profile")
    assert "Your need in progress is kept" not in text(asked[:-1])
    await chat.say("jane", "/begin")
    assert "Go on with it" in text(await chat.say("jane", "/begin"))


async def test_yes_and_no_typed_at_a_question(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    await chat.say("maire", "/besoin")
    await chat.say("maire", TITLE)
    await chat.say("maire", BODY)
    await chat.say("maire", "n°1")
    await chat.say("maire", "envoyer")
    await chat.say("maire", "/mes_besoins")
    asked = await chat.say("maire", "retirer")
    assert "Retirer votre besoin" in text(asked)
    assert "est retiré" in text(await chat.say("maire", "oui"))  # "oui" used to mean no


async def test_a_number_out_of_range_with_no_question_asks_again(chat: MemoryBackend) -> None:
    await chat.say("a", "/langue")
    assert "entre 1 et 2" in text(await chat.say("a", "9"))
    assert "Désormais, je vous écris en français" in text(await chat.say("a", "français"))


async def test_a_need_that_fits_no_theme_goes_under_other(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    await chat.say("maire", "/besoin")
    await chat.say("maire", TITLE)
    themes = await chat.say("maire", BODY)
    assert themes[-1].choices[-1].label == "Autre"  # last, after the consultation's own
    assert "Thème : Autre" in text(await chat.say("maire", "autre"))
