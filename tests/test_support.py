"""Supports in the ``support`` phase: who may commit them, levels, the cap, the
deadline, forged buttons, ``/mes_soutiens``, and many members clicking at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock, from_iso
from bot.demo.data import PERSONS
from storage import memberships, persons
from storage.db import Database
from tests.conftest import make_app, onboard, text


@pytest.fixture
async def supporting(db_path: Path, clock: FrozenClock) -> AsyncIterator[MemoryBackend]:
    app: App = await make_app(db_path, clock, phase="support")
    yield MemoryBackend(app)
    await app.close()


async def _set(db: Database, key: str, value: str) -> None:
    await db.execute(
        f"UPDATE consultations SET settings = json_set(settings, '$.{key}', json(?))", (value,)
    )


async def _support(db: Database, code: str, number: int) -> tuple[str, str] | None:
    row = await db.fetchone(
        "SELECT s.level, w.display_name FROM supports s JOIN proposals p ON p.id = s.proposal_id"
        " LEFT JOIN persons w ON w.id = s.committed_by WHERE s.collectivite = ? AND p.number = ?",
        (code, number),
    )
    return (str(row[0]), str(row[1])) if row else None


async def _count(db: Database, number: int | None = None, code: str | None = None) -> int:
    sql = "SELECT COUNT(*) FROM supports s JOIN proposals p ON p.id = s.proposal_id WHERE 1 = 1"
    params: list[object] = []
    if number is not None:
        sql += " AND p.number = ?"
        params.append(number)
    if code is not None:
        sql += " AND s.collectivite = ?"
        params.append(code)
    return int(await db.fetchval(sql, params))


async def test_elected_official_commits_changes_and_withdraws(supporting: MemoryBackend) -> None:
    db = supporting.app.services.db
    await onboard(supporting, "maire")  # Saint-Julien-de-Lampon, elected official
    before = await _count(db, 2)
    detail = await supporting.say("maire", "/proposition 2")
    assert "Collectivités qui la soutiennent :" in text(detail)
    assert [c.label for c in detail[-1].choices] == [
        "La soutenir, au nom de Saint-Julien-de-Lampon",
        "Prête à la co-construire, au nom de Saint-Julien-de-Lampon",
        "Retour à la liste",
    ]
    added = text(await supporting.say("maire", "1"))
    assert (
        "Saint-Julien-de-Lampon soutient désormais n° 2 « Collaborer en transversalité et à "
        "distance » : soutien."
    ) in added
    assert "[Passer le soutien de Saint-Julien-de-Lampon à : prête à co-construire]" in added
    assert await _support(db, "24432", 2) == ("soutien", "maire")
    same = text(await supporting.press("maire", "sup.add:2:so:24432"))
    assert "Saint-Julien-de-Lampon soutient déjà n° 2" in same and "rien n'a été modifié" in same
    changed = text(await supporting.say("maire", "1"))
    assert "Le soutien de Saint-Julien-de-Lampon à n° 2" in changed
    assert "est désormais : prête à co-construire." in changed
    assert await _support(db, "24432", 2) == ("co_construction", "maire")
    assert await _count(db, 2) == before + 1
    gone = text(await supporting.press("maire", "sup.rm:2:24432"))
    assert "Saint-Julien-de-Lampon ne soutient plus n° 2" in gone
    assert "ne soutient pas n° 2" in text(await supporting.press("maire", "sup.rm:2:24432"))
    assert await _count(db, 2) == before


async def test_members_see_the_supports_and_who_committed_them(supporting: MemoryBackend) -> None:
    db = supporting.app.services.db
    await onboard(supporting, "maire")
    await supporting.press("maire", "sup.add:2:co:24432")
    await onboard(supporting, "secretaire", role="2")  # an agent of the same commune
    mine = text(await supporting.say("secretaire", "/mes_soutiens"))
    assert mine.startswith("Soutiens de Saint-Julien-de-Lampon :\n")
    assert "• n° 1 « Améliorer la gestion de la relation usagers » — soutien — engagé par " in mine
    assert "engagé par Maire de Saint-Julien-de-Lampon le" in mine  # seeded by the demo
    assert "• n° 2 « Collaborer en transversalité et à distance » — prête à co-construire — " in (
        mine
    )
    assert "engagé par maire le" in mine
    assert "Seuls ses élu·es peuvent les engager ou les modifier." in mine
    detail = text(await supporting.say("secretaire", "/proposition 2"))
    assert "Saint-Julien-de-Lampon la soutient (prête à co-construire) ; engagé par maire." in (
        detail
    )
    assert "Seul·e un·e élu·e de Saint-Julien-de-Lampon peut engager son soutien." in detail
    assert "La soutenir" not in detail and "Retirer le soutien" not in detail
    refused = text(await supporting.press("secretaire", "sup.rm:2:24432"))
    assert refused == "Seul·e un·e élu·e de Saint-Julien-de-Lampon peut engager son soutien."
    assert "Seul·e un·e élu·e" in text(await supporting.press("secretaire", "sup.add:3:so"))
    assert await _support(db, "24432", 2) == ("co_construction", "maire")
    assert await _support(db, "24432", 3) is None
    assert "Pour la soutenir, dites d'abord" in text(
        await supporting.say("passant", "/proposition 2")
    )
    assert "rattaché·e" in text(await supporting.press("passant", "sup.add:2:so"))
    assert "rattaché·e" in text(await supporting.say("passant", "/mes_soutiens"))


async def test_agents_commit_where_the_settings_allow_it_in_english(
    supporting: MemoryBackend,
) -> None:
    db = supporting.app.services.db
    await _set(db, "agents_may_support", "true")
    await onboard(supporting, "jane", language="2", query="33063", role="2")  # Bordeaux agent
    detail = await supporting.say("jane", "/proposal 5")
    assert [c.label for c in detail[-1].choices][:2] == [
        "Support it, on behalf of Bordeaux",
        "Ready to co-build it, on behalf of Bordeaux",
    ]
    added = text(await supporting.say("jane", "2"))
    assert (
        "Bordeaux now supports no. 5 “Organiser des instances délibératives”: ready to co-build."
    ) in added
    mine = text(await supporting.say("jane", "/my_supports"))
    assert "Supports of Bordeaux:" in mine
    assert (
        "• no. 5 “Organiser des instances délibératives” — ready to co-build — committed by jane on"
        in mine
    )
    assert "Only its elected officials" not in mine


async def test_cap_on_priorities_per_collectivite(supporting: MemoryBackend) -> None:
    db = supporting.app.services.db
    await onboard(supporting, "jane", language="2")
    seeded = await _count(db, code="24432")
    await _set(db, "supports_per_collectivite", str(seeded + 1))
    added = text(await supporting.press("jane", "sup.add:2:so:24432"))
    assert "Saint-Julien-de-Lampon may support 0 more proposals." in added
    full = text(await supporting.press("jane", "sup.add:3:so:24432"))
    assert full == (
        f"Saint-Julien-de-Lampon already supports {seeded + 1} proposals, the most allowed per "
        "collectivité. Withdraw a support to commit this one."
    )
    assert "is now: ready to co-build" in text(await supporting.press("jane", "sup.add:2:co"))
    assert "may support 1 more proposal." in text(await supporting.press("jane", "sup.rm:1"))
    assert "Saint-Julien-de-Lampon now supports no. 3" in text(
        await supporting.press("jane", "sup.add:3:so")
    )
    mine = text(await supporting.say("jane", "/my_supports"))
    assert f"Priorities used: {seeded + 1} of {seeded + 1}." in mine
    assert await _count(db, code="24432") == seeded + 1


async def test_several_collectivites_let_the_person_choose(supporting: MemoryBackend) -> None:
    db = supporting.app.services.db
    await onboard(supporting, "maire")
    await supporting.say("maire", "/start 24152")  # also an elected official of Domme
    await supporting.say("maire", "1")
    await supporting.say("maire", "1")
    detail = await supporting.say("maire", "/proposition 3")
    labels = [c.label for c in detail[-1].choices]
    assert labels[0] == "La soutenir, au nom de Domme"  # the one acted for, since the last join
    assert "Agir pour une autre collectivité" in labels
    choose = await supporting.say(
        "maire", str(labels.index("Agir pour une autre collectivité") + 1)
    )
    assert choose[-1].text == "Au nom de quelle collectivité\u202f?"
    assert [c.label for c in choose[-1].choices] == [
        "Domme (Dordogne, 24)",
        "Saint-Julien-de-Lampon (Dordogne, 24)",
    ]
    acted = text(await supporting.say("maire", "2"))
    assert "Vous agissez désormais pour Saint-Julien-de-Lampon." in acted
    assert "[La soutenir, au nom de Saint-Julien-de-Lampon]" in acted
    await supporting.say("maire", "1")
    assert await _support(db, "24432", 3) == ("soutien", "maire")
    assert await _support(db, "24152", 3) is None
    await supporting.press("maire", "sup.add:3:co:24152")
    assert await _support(db, "24152", 3) == ("co_construction", "maire")
    mine = text(await supporting.say("maire", "/mes_soutiens"))
    assert "Soutiens de Saint-Julien-de-Lampon :" in mine and "Soutiens de Domme :" in mine


async def test_forged_and_stale_support_buttons(supporting: MemoryBackend) -> None:
    db = supporting.app.services.db
    await onboard(supporting, "maire")
    total = await _count(db)
    for data in (
        "sup.add:2:so:33063",  # not a member of Bordeaux
        "sup.add:2:xx:24432",
        "sup.add:999:so:24432",
        "sup.add:2",
        "sup.add:2:so:24432:extra",
        "sup.rm:abc",
        "sup.as:2:33063",
        "sup.who:zz",
    ):
        assert "n'est plus valable" in text(await supporting.press("maire", data)), data
    assert await _count(db) == total
    await db.execute("UPDATE proposals SET status = 'not_selected' WHERE number = 2")
    assert "est déjà décidée (non retenue)" in text(
        await supporting.press("maire", "sup.add:2:so:24432")
    )
    assert await _count(db) == total


async def test_deadline_and_before_the_phase(supporting: MemoryBackend) -> None:
    db = supporting.app.services.db
    await onboard(supporting, "maire")
    clock = supporting.app.services.clock
    assert isinstance(clock, FrozenClock)
    clock.set(from_iso(await db.fetchval("SELECT closes_at FROM phases WHERE kind = 'support'")))
    late = text(await supporting.press("maire", "sup.rm:1:24432"))
    assert "C'était possible pendant" in late and "manifestation de soutien" in late
    assert "En cours : sélection des projets." in late
    assert await _support(db, "24432", 1) is not None
    clock.set(from_iso(await db.fetchval("SELECT opens_at FROM phases WHERE kind = 'vote'")))
    assert "Ce sera possible pendant" in text(await supporting.press("maire", "sup.add:2:so"))
    assert await _support(db, "24432", 2) is None


async def test_200_members_of_50_collectivites_click_at_once(supporting: MemoryBackend) -> None:
    """Four elected officials per commune press at the same moment: each commune
    ends with one support per proposal, and the cap holds when they race for it."""
    db = supporting.app.services.db
    now = supporting.app.services.clock.now()
    demo_codes = {code for _identity, code, _role, _name in PERSONS}
    rows = await db.fetchall(
        "SELECT code FROM collectivites WHERE kind = 'commune' ORDER BY population DESC LIMIT 80"
    )
    codes = [str(r["code"]) for r in rows if str(r["code"]) not in demo_codes][:50]
    assert len(codes) == 50
    async with db.transaction():
        for code in codes:
            for k in range(4):
                person = await persons.ensure(db, supporting.identity(f"{code}-{k}"), now=now)
                await memberships.request(
                    db, person.id, code, "elu", approve=True, evidence="", now=now
                )
    before = {n: await _count(db, n) for n in (1, 2)}
    presses = [
        supporting.press(f"{code}-{k}", f"sup.add:{1 + k % 2}:{'co' if k < 2 else 'so'}:{code}")
        for k in range(4)
        for code in codes
    ]
    replies = await asyncio.gather(*presses)
    assert len(replies) == 200
    assert all("soutient" in text(r) or "Le soutien d" in text(r) for r in replies)
    assert {n: await _count(db, n) for n in (1, 2)} == {n: before[n] + 50 for n in (1, 2)}
    for code in codes:
        assert await _count(db, code=code) == 2

    await _set(db, "supports_per_collectivite", "3")
    await asyncio.gather(
        *(
            supporting.press(f"{code}-{k}", f"sup.add:{3 + k}:so:{code}")
            for k in range(4)
            for code in codes
        )
    )
    for code in codes:
        assert await _count(db, code=code) == 3


async def test_every_button_fits_in_telegram_callback_data(supporting: MemoryBackend) -> None:
    """Telegram refuses callback data over 64 bytes: walk every screen of these flows
    as the member of an EPCI (the longest codes) and check each button."""
    await onboard(supporting, "president", query="243300316")  # Bordeaux Métropole
    seen = []
    for line in (
        "/propositions",
        "/propositions services",
        "/chercher faciliter",
        "/proposition 19",
        "/mes_soutiens",
        "/mes_votes",
    ):
        seen += await supporting.say("president", line)
    for data in (
        "sup.add:19:co:243300316",
        "sup.add:19:so:243300316",
        "prop.d:19:15:citizen_services",
    ):
        seen += await supporting.press("president", data)
    choices = [choice for reply in seen for choice in reply.choices]
    assert any(c.data.startswith("sup.") for c in choices)
    assert all(len(c.data.encode()) <= 64 for c in choices), max(choices, key=lambda c: len(c.data))
