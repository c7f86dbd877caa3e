"""The person's rights: what is kept, a copy of it, and erasure that keeps the counts."""

from __future__ import annotations

import json

from bot.backends.memory import MemoryBackend
from storage import persons
from tests.conftest import onboard, text


async def test_privacy_notice_in_both_languages(chat: MemoryBackend) -> None:
    notice = text(await chat.say("a", "/confidentialite"))
    assert "365 jours après votre dernier message" in notice
    assert "/mes_donnees" in notice and "/supprimer_compte" in notice
    await chat.say("a", "/language en")
    assert "365 days after your last message" in text(await chat.say("a", "/privacy"))


async def test_my_data_is_a_complete_json_file(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    await chat.say("maire", "/besoin")
    await chat.say("maire", "Covoiturage")
    await chat.say("maire", "Un service de covoiturage entre les hameaux de la commune.")
    await chat.say("maire", "1")
    await chat.say("maire", "1")
    [reply] = await chat.say("maire", "/mes_donnees")
    assert reply.file is not None and reply.file.name.endswith(".json")
    data = json.loads(reply.file.content)
    assert data["person"]["display_name"] == "maire"
    assert [i["identity"] for i in data["identities"]] == ["memory:maire"]
    assert data["memberships"][0]["collectivite"] == "24432"
    assert data["contributions"][0]["title"] == "Covoiturage"


async def test_erasure_after_confirmation_keeps_supports_and_counts(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    db = chat.app.services.db
    person = await persons.by_identity(db, "memory:maire")
    assert person is not None
    await chat.say("maire", "/besoin")
    await chat.say("maire", "Covoiturage")
    await chat.say("maire", "Un service de covoiturage entre les hameaux de la commune.")
    await chat.say("maire", "1")
    await chat.say("maire", "1")
    consultation_id = await db.fetchval("SELECT id FROM consultations")
    proposal_id = await db.execute(
        "INSERT INTO proposals(consultation_id, number, title, theme, created_at, updated_at)"
        " VALUES (?, 1, 'P', 'data', '', '')",
        (consultation_id,),
    )
    await db.execute(
        "INSERT INTO supports(collectivite, proposal_id, level, committed_by, created_at,"
        " updated_at) VALUES ('24432', ?, 'soutien', ?, '', '')",
        (proposal_id, person.id),
    )
    await db.execute(
        "INSERT INTO votes(person_id, proposal_id, created_at) VALUES (?, ?, '')",
        (person.id, proposal_id),
    )

    assert "Effacer vos données" in text(await chat.say("maire", "/supprimer_compte"))
    assert "Rien n'a été modifié" in text(await chat.say("maire", "2"))
    assert await persons.by_identity(db, "memory:maire") is not None
    await chat.say("maire", "/supprimer_compte")
    assert "sont effacées" in text(await chat.say("maire", "1"))

    assert (
        await db.fetchval("SELECT COUNT(*) FROM identities WHERE person_id = ?", (person.id,)) == 0
    )
    assert await db.fetchval("SELECT COUNT(*) FROM memberships") == 0
    row = await db.fetchone("SELECT display_name FROM persons WHERE id = ?", (person.id,))
    assert row is not None and row["display_name"] == ""
    contribution = await db.fetchone("SELECT title, body, author_id FROM contributions")
    assert contribution is not None
    assert (contribution["title"], contribution["author_id"]) == ("—", None)
    assert "hameaux" not in contribution["body"]
    support = await db.fetchone("SELECT collectivite, committed_by FROM supports")
    assert support is not None and (support["collectivite"], support["committed_by"]) == (
        "24432",
        None,
    )
    assert await db.fetchval("SELECT COUNT(*) FROM votes") == 1
    # the same messenger account starts afresh, as a stranger
    assert "Pour participer" in text(await chat.say("maire", "/aide"))
    again = await persons.by_identity(db, "memory:maire")
    assert again is not None and again.id != person.id


async def test_erase_button_needs_the_confirmation_step(chat: MemoryBackend) -> None:
    await chat.say("a", "/aide")
    assert "n'est plus valable" in text(await chat.press("a", "gdpr.erase"))
    assert await persons.by_identity(chat.app.services.db, "memory:a") is not None


async def test_retention_erases_those_silent_for_too_long(chat: MemoryBackend) -> None:
    from datetime import timedelta

    from bot.core.clock import FrozenClock
    from bot.delivery import retention

    await onboard(chat, "ancien")
    clock = chat.app.services.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(days=200))
    await chat.say("recent", "/aide")
    assert await retention.enforce(chat.app.services) == 0
    clock.advance(timedelta(days=170))  # 370 days after "ancien", 170 after "recent"
    # "ancien" and the demo's staff account, silent since the seeding
    assert await retention.enforce(chat.app.services) == 2
    db = chat.app.services.db
    assert await persons.by_identity(db, "memory:ancien") is None
    assert await persons.by_identity(db, "memory:recent") is not None
    assert await db.fetchval("SELECT COUNT(*) FROM memberships") == 0
