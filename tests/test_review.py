"""The staff's review: re-route, reject, group; authors told in their language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.backends.memory import MemoryBackend
from bot.ops.cli import main
from storage import contributions, persons, proposals
from tests.conftest import onboard, text

COMMUNES = {  # user → (INSEE code, language answer: 1 français, 2 English)
    "lampon": ("24432", "1"),
    "bordeaux": ("33063", "2"),
    "yeu": ("85113", "1"),
    "carlux": ("24081", "1"),
}


async def _staff(chat: MemoryBackend, user: str = "staff") -> None:
    await chat.say(user, "/aide")
    person = await persons.by_identity(chat.app.services.db, chat.identity(user))
    assert person is not None
    await persons.set_role(chat.app.services.db, person.id, "staff")


async def _submit(chat: MemoryBackend, user: str, title: str, theme: str = "1") -> None:
    await chat.say(user, "/besoin" if user != "bordeaux" else "/need")
    await chat.say(user, title)
    await chat.say(user, f"{title}: a description long enough for the staff.")
    await chat.say(user, theme)
    replies = text(await chat.say(user, "1"))
    assert "recorded" in replies or "enregistré" in replies


async def _status(chat: MemoryBackend) -> dict[str, str]:
    rows = await chat.app.services.db.fetchall("SELECT title, status FROM contributions")
    return {r["title"]: r["status"] for r in rows}


async def test_full_review_scenario(chat: MemoryBackend) -> None:
    """Several communes submit; staff re-route some, group the others; everyone is told."""
    for user, (code, language) in COMMUNES.items():
        await onboard(chat, user, language=language, query=code)
    await _submit(chat, "lampon", "Covoiturage rural")
    await _submit(chat, "bordeaux", "Car sharing platform")
    await _submit(chat, "yeu", "Navette maritime")
    await _submit(chat, "carlux", "Transport à la demande")
    await _submit(chat, "yeu", "Borne de recharge", theme="6")
    await _staff(chat)

    # 1: group "Covoiturage rural" into a new proposal
    queue = text(await chat.say("staff", "/moderation"))
    assert "Contribution 1 sur 5 (n° 1)" in queue and "Saint-Julien-de-Lampon" in queue
    await chat.say("staff", "1")
    await chat.say("staff", "Partager des véhicules entre habitants")
    await chat.say("staff", "Covoiturage, autopartage et transport solidaire.")
    replies = text(await chat.say("staff", "1"))  # mobility
    assert "La proposition 1 « Partager des véhicules entre habitants » est créée" in replies
    assert "Contribution 1 sur 4 (n° 2)" in replies

    # 2: the English car sharing need joins it, found by words without accents
    await chat.say("staff", "2")
    replies = text(await chat.say("staff", "vehicules habitants"))
    assert "[1. Partager des véhicules entre habitants]" in replies
    assert "regroupée dans la proposition 1" in text(await chat.say("staff", "1"))

    # 3: re-route the ferry to another programme
    await chat.say("staff", "3")
    await chat.say("staff", "Relève du fonds de la continuité territoriale.")
    replies = text(await chat.say("staff", "https://www.example.org/continuite"))
    assert "la contribution n° 3 est réorientée" in replies

    # 4 and 5 at once with the typed command
    replies = text(await chat.say("staff", "/regrouper 1 4 5"))
    assert "2 contributions sont regroupées dans la proposition 1" in replies

    assert await _status(chat) == {
        "Covoiturage rural": "grouped",
        "Car sharing platform": "grouped",
        "Navette maritime": "rerouted",
        "Transport à la demande": "grouped",
        "Borne de recharge": "grouped",
    }
    assert "regroupé avec d'autres dans la proposition 1" in text(chat.inbox("lampon"))
    assert "was grouped with others into proposal 1: “Partager des véhicules" in text(
        chat.inbox("bordeaux")
    )
    yeu = text(chat.inbox("yeu"))
    assert "« Navette maritime » relève d'un autre dispositif" in yeu
    assert "Où s'adresser : https://www.example.org/continuite" in yeu
    assert "« Borne de recharge » a été regroupé" in yeu
    assert len(chat.inbox("carlux")) == 1
    actions = [
        (r["action"], r["target"])
        for r in await chat.app.services.db.fetchall(
            "SELECT action, target FROM audit_log ORDER BY id"
        )
    ]
    assert actions == [
        ("proposal.create", "proposal:1"),
        ("contribution.group", "proposal:1"),
        ("contribution.group", "proposal:1"),
        ("contribution.reroute", "contribution:3"),
        ("contribution.group", "proposal:1"),
    ]
    mine = text(await chat.say("yeu", "/mes_besoins"))
    assert "réorienté — Relève du fonds" in mine
    assert "(proposition 1 : Partager des véhicules entre habitants)" in mine
    assert "Aucune demande de rattachement en attente" in text(
        await chat.say("staff", "/moderation")
    )


async def test_reject_and_stale_buttons(chat: MemoryBackend) -> None:
    await onboard(chat, "lampon", query="24432")
    await _submit(chat, "lampon", "Acheter un tracteur")
    await _staff(chat)
    await chat.say("staff", "/moderation")
    await chat.say("staff", "4")
    replies = text(await chat.say("staff", "Hors du champ du numérique."))
    assert "la contribution n° 1 est écartée" in replies
    assert "n'a pas été retenu pour cette consultation : Hors du champ" in text(
        chat.inbox("lampon")
    )
    assert "déjà été examinée" in text(await chat.press("staff", "rev.rr:1"))
    assert "réservée à l'équipe" in text(await chat.press("lampon", "rev.rj:1"))
    assert "réservée à l'équipe" in text(await chat.say("lampon", "/regrouper 1 1"))
    assert "n'est plus valable" in text(await chat.press("staff", "rev.to:1"))


async def test_group_command_is_all_or_nothing(chat: MemoryBackend) -> None:
    await onboard(chat, "lampon", query="24432")
    await _submit(chat, "lampon", "Premier besoin")
    await _staff(chat)
    db = chat.app.services.db
    consultation_id = await db.fetchval("SELECT id FROM consultations")
    await proposals.create(
        db, consultation_id, title="P", summary="S", theme="data", now=chat.app.services.clock.now()
    )
    assert "pas de contribution n° 99" in text(await chat.say("staff", "/regrouper 1 1 99"))
    assert (await contributions.get(db, 1)).status == "submitted"  # type: ignore[union-attr]
    assert "pas de proposition 7" in text(await chat.say("staff", "/regrouper 7 1"))
    assert "Tapez /regrouper suivi" in text(await chat.say("staff", "/regrouper x"))


async def test_staff_create_and_edit_proposals(chat: MemoryBackend) -> None:
    await _staff(chat)
    await chat.say("staff", "/nouvelle_proposition")
    await chat.say("staff", "Faciliter l'accès à la culture")
    await chat.say("staff", "Billetterie et agenda culturels partagés.")
    assert "La proposition 1 « Faciliter l'accès à la culture » est créée" in text(
        await chat.say("staff", "2")
    )
    await chat.say("staff", "/modifier_proposition 1")
    await chat.say("staff", "1")
    assert "modifiée" in text(await chat.say("staff", "12"))
    await chat.say("staff", "/modifier_proposition 12")
    await chat.say("staff", "4")
    assert "modifiée" in text(await chat.say("staff", "6"))
    db = chat.app.services.db
    consultation_id = await db.fetchval("SELECT id FROM consultations")
    found = await proposals.by_number(db, consultation_id, 12)
    assert found is not None and found.theme == "environment"
    assert "pas de proposition 3" in text(await chat.say("staff", "/modifier_proposition 3"))


def test_import_reports_every_error_and_loads_nothing(
    tmp_path: Path, refdata_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio
    import shutil

    from bot.core.clock import SystemClock
    from bot.demo import seed as demo
    from storage.db import Database

    db_file = tmp_path / "g.db"
    shutil.copy(refdata_db, db_file)

    async def seed() -> None:
        db = await Database.open(db_file)
        await demo.seed(db, SystemClock().now(), "needs")
        await db.close()

    asyncio.run(seed())

    async def check() -> list[str]:
        db = await Database.open(db_file)
        rows = await db.fetchall("SELECT number, title FROM proposals ORDER BY number")
        await db.close()
        return [f"{r['number']}:{r['title']}" for r in rows]

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "number;title;summary;theme\n1;Bon;Résumé;data\nx;;;nowhere\n1;Doublon;;data\n",
        encoding="utf-8",
    )
    assert main(["proposals", "import", str(bad), "--db", str(db_file)]) == 2
    errors = capsys.readouterr().err
    assert "nothing was imported" in errors
    assert "line 3: number 'x' is not a whole number" in errors
    assert "line 3: theme 'nowhere' is not one of" in errors
    assert "line 4: number 1 already on line 2" in errors
    assert asyncio.run(check()) == []
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps(
            [
                {
                    "number": 1,
                    "title": "Gérer électroniquement les documents",
                    "summary": "GED",
                    "theme": "administration",
                },
                {"number": 2, "title": "Visualiser et piloter par la donnée", "theme": "data"},
            ]
        ),
        encoding="utf-8",
    )
    assert main(["proposals", "import", str(good), "--db", str(db_file)]) == 0
    assert main(["proposals", "import", str(good), "--db", str(db_file)]) == 0

    assert asyncio.run(check()) == [
        "1:Gérer électroniquement les documents",
        "2:Visualiser et piloter par la donnée",
    ]
