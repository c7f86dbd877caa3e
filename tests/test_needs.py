"""``/besoin`` and ``/mes_besoins``: the collection of needs, in French and English."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from storage import contributions
from tests.conftest import make_app, onboard, text

TITLE = "Covoiturage entre hameaux"
BODY = "Une application simple pour organiser le covoiturage entre les habitants des hameaux."


async def _need(chat: MemoryBackend, user: str, title: str = TITLE, body: str = BODY) -> str:
    await chat.say(user, "/besoin")
    await chat.say(user, title)
    await chat.say(user, body)
    summary = text(await chat.say(user, "1"))  # mobility
    return summary + text(await chat.say(user, "1"))  # send


async def _rows(chat: MemoryBackend) -> list[contributions.Contribution]:
    db = chat.app.services.db
    ids = [r["id"] for r in await db.fetchall("SELECT id FROM contributions ORDER BY id")]
    return [c for c in [await contributions.get(db, i) for i in ids] if c]


async def test_a_mayor_describes_a_need(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    assert "titre court" in text(await chat.say("maire", "/besoin"))
    assert "Décrivez le besoin" in text(await chat.say("maire", TITLE))
    replies = await chat.say("maire", BODY)
    assert "Quel thème" in text(replies)
    assert "[Mobilité]" in text(replies)
    summary = text(await chat.say("maire", "1"))
    assert f"Titre : {TITLE}" in summary
    assert "Au nom de : Saint-Julien-de-Lampon (Dordogne, 24)" in summary
    assert "Merci ! Votre besoin n° 1 est enregistré" in text(await chat.say("maire", "1"))
    [row] = await _rows(chat)
    assert (row.title, row.body, row.theme, row.collectivite, row.status) == (
        TITLE,
        BODY,
        "mobility",
        "24432",
        "submitted",
    )


async def test_in_english_with_two_collectivites_and_edits(chat: MemoryBackend) -> None:
    await onboard(chat, "jane", language="2", role="2")
    await chat.say("jane", "/profile")
    await chat.say("jane", "2")  # add a collectivité
    await chat.say("jane", "33063")
    await chat.say("jane", "2")
    await chat.say("jane", "1")
    await chat.say("jane", "/need")
    await chat.say("jane", "Shared school canteen software")
    await chat.say("jane", "Software to manage school canteen bookings for several communes.")
    replies = await chat.say("jane", "5")  # schools
    assert "On behalf of which collectivité?" in text(replies)
    summary = text(await chat.say("jane", "2"))
    assert "On behalf of: Bordeaux (Gironde, 33)" in summary
    assert "[Change the collectivité]" in summary
    assert "Currently:\nShared school canteen software" in text(await chat.say("jane", "2"))
    summary = text(await chat.say("jane", "Canteen bookings"))
    assert "Title: Canteen bookings" in summary
    assert "Theme: Schools" in summary
    assert "is recorded" in text(await chat.say("jane", "1"))
    [row] = await _rows(chat)
    assert (row.title, row.theme, row.collectivite) == ("Canteen bookings", "schools", "33063")


async def test_too_long_answers_are_shown_back_and_the_step_kept(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    await chat.say("maire", "/besoin")
    long_title = "Titre " * 40
    replies = text(await chat.say("maire", long_title))
    assert "trop long : 239 caractères, 120 au plus" in replies
    assert long_title.strip() in replies
    assert "au moins" in text(await chat.say("maire", "ab"))
    await chat.say("maire", TITLE)
    long_body = "x" * 2500
    replies = text(await chat.say("maire", long_body))
    assert "2 500 caractères, 2 000 au plus" in replies and long_body in replies
    assert "Quel thème" in text(await chat.say("maire", BODY))
    assert "en tapant son numéro" in text(await chat.say("maire", "astronautique"))
    assert await _rows(chat) == []


async def test_flow_survives_a_restart(db_path: Path, clock: FrozenClock) -> None:
    app = await make_app(db_path, clock)
    chat = MemoryBackend(app)
    await onboard(chat, "maire")
    await chat.say("maire", "/besoin")
    await chat.say("maire", TITLE)
    await app.close()
    app = await make_app(db_path, clock)
    chat = MemoryBackend(app)
    await chat.say("maire", BODY)
    await chat.say("maire", "1")
    assert "est enregistré" in text(await chat.say("maire", "1"))
    await app.close()


async def test_outside_the_phase_and_without_membership(db_path: Path, clock: FrozenClock) -> None:
    app = await make_app(db_path, clock, phase="vote")
    chat = MemoryBackend(app)
    assert "rattaché·e à une collectivité" in text(await chat.say("maire", "/besoin"))
    await onboard(chat, "maire")
    replies = text(await chat.say("maire", "/besoin"))
    assert "C'était possible pendant la phase « collecte des besoins », du" in replies
    assert "En cours : vote des solutions." in replies
    assert "/besoin" not in text(await chat.say("maire", "/aide"))
    await app.close()


async def test_summary_button_after_the_deadline_changes_nothing(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    await chat.say("maire", "/besoin")
    await chat.say("maire", TITLE)
    await chat.say("maire", BODY)
    await chat.say("maire", "1")
    clock = chat.app.services.clock
    assert isinstance(clock, FrozenClock)
    closes = await chat.app.services.db.fetchval(
        "SELECT closes_at FROM phases WHERE kind = 'needs'"
    )
    from bot.core.clock import from_iso

    clock.set(from_iso(closes))
    assert "C'était possible pendant la phase « collecte" in text(
        await chat.press("maire", "need.ok")
    )
    assert await _rows(chat) == []


async def test_daily_limit(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    clock = chat.app.services.clock
    assert isinstance(clock, FrozenClock)
    for i in range(5):
        clock.advance(timedelta(minutes=5))  # a person typing, not a flood
        assert "est enregistré" in await _need(chat, "maire", title=f"Besoin {i}")
    assert "5 besoins ces dernières 24 heures" in text(await chat.say("maire", "/besoin"))
    assert len(await _rows(chat)) == 5
    clock.advance(timedelta(hours=24))
    assert "titre court" in text(await chat.say("maire", "/besoin"))


async def test_my_needs_edit_and_withdraw(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    await _need(chat, "maire")
    mine = await chat.say("maire", "/mes_besoins")
    assert "reçu, en attente de l'examen de l'équipe" in text(mine)
    assert "n° 1 — Covoiturage entre hameaux — Saint-Julien-de-Lampon" in text(mine)
    await chat.say("maire", "1")  # change
    await chat.say("maire", "2")  # change the title
    await chat.say("maire", "Covoiturage rural")
    assert "Vos modifications sont enregistrées" in text(await chat.say("maire", "1"))
    assert (await _rows(chat))[0].title == "Covoiturage rural"
    await chat.say("maire", "/mes_besoins")
    assert "Retirer votre besoin" in text(await chat.say("maire", "2"))
    assert "est retiré" in text(await chat.say("maire", "1"))
    assert (await _rows(chat))[0].status == "withdrawn"
    # old buttons: withdraw again, edit a withdrawn need, someone else's need
    assert "ne peut plus être modifié" in text(await chat.press("maire", "need.edit:1"))
    await onboard(chat, "voisin", query="33063")
    assert "n'est plus valable" in text(await chat.press("voisin", "need.wd:1"))
