"""``/equipe``: only administrators manage the staff, from the chat."""

from __future__ import annotations

from bot.backends.memory import MemoryBackend
from storage import persons
from tests.conftest import text


async def _admin(chat: MemoryBackend, user: str) -> None:
    await chat.say(user, "/aide")
    person = await persons.by_identity(chat.app.services.db, chat.identity(user))
    assert person is not None
    await persons.set_role(chat.app.services.db, person.id, "admin")


async def test_admin_adds_and_removes_staff(chat: MemoryBackend) -> None:
    await _admin(chat, "boss")
    await chat.say("ana", "/aide")
    listing = text(await chat.say("boss", "/equipe"))
    assert "Équipe de la consultation" in listing and "/equipe ajouter" in listing
    assert "ana fait désormais partie de l'équipe" in text(
        await chat.say("boss", "/equipe ajouter memory:ana")
    )
    assert "Vous faites désormais partie de l'équipe" in text(chat.inbox("ana"))
    assert "/moderation" in text(await chat.say("ana", "/aide"))
    # a staff member is not an admin
    assert "réservée aux administrateurs" in text(await chat.say("ana", "/equipe"))
    replies = await chat.say("boss", "/equipe")
    assert "[Retirer ana]" in text(replies)
    assert "ne fait plus partie" in text(await chat.say("boss", "1"))
    assert "réservée à l'équipe" in text(await chat.say("ana", "/moderation"))
    rows = await chat.app.services.db.fetchall("SELECT staff_label, action FROM audit_log")
    assert [(r["staff_label"], r["action"]) for r in rows] == [
        ("boss (memory:boss)", "staff.add"),
        ("boss (memory:boss)", "staff.remove"),
    ]


async def test_bad_identities_and_forged_removal(chat: MemoryBackend) -> None:
    await _admin(chat, "boss")
    assert "n'est pas une identité" in text(await chat.say("boss", "/equipe ajouter <script>"))
    assert "ne fait pas partie" in text(await chat.say("boss", "/team remove memory:nobody"))
    assert "réservée aux administrateurs" in text(await chat.press("ana", "staff.rm:1"))
    boss = await persons.by_identity(chat.app.services.db, "memory:boss")
    assert boss is not None
    assert "ligne de commande" in text(await chat.press("boss", f"staff.rm:{boss.id}"))
    assert "n'est plus valable" in text(await chat.press("boss", "staff.rm:abc"))
