"""The 2021 consultation as it was actually run (``calendar_as_run`` in
shared/data/consultation-2021.json): needs, then vote and support in one step,
then the selection, with one support per collectivité and proposal and no cap.

The calendar is data: written in the configuration, with no vote phase, it
runs with no code of its own. People who try to vote are told the
consultation has none; supports are counted once per collectivité; the
support reminder goes only to collectivités that have not supported.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import PARIS, FrozenClock, to_iso
from bot.core.config import load
from bot.delivery import notices
from bot.delivery.workdays import SendWindow
from bot.ops import maintenance as ops
from storage import consultations, supports
from tests.as_run_2021 import AS_RUN_2021
from tests.calendar_support import add_proposal, member, rows, staff
from tests.conftest import plain, text


@pytest.fixture
async def as_run(
    tmp_path: Path, refdata_db: Path, clock: FrozenClock
) -> AsyncIterator[MemoryBackend]:
    db_path = tmp_path / "as-run.db"
    shutil.copyfile(refdata_db, db_path)
    (tmp_path / "guichet.toml").write_text(AS_RUN_2021.format(database=db_path), encoding="utf-8")
    config = load(tmp_path / "guichet.toml", env={})
    assert config.consultation is not None
    clock.set(datetime(2027, 2, 1, 10, tzinfo=PARIS))  # a Monday of the needs phase
    app = await App.create(config, clock=clock)
    assert await ops.ensure_consultation(app.services.db, config.consultation, clock.now())
    yield MemoryBackend(app)
    await app.close()


async def test_the_as_run_calendar_has_no_vote_and_uncapped_supports(
    as_run: MemoryBackend, clock: FrozenClock
) -> None:
    chat, app = as_run, as_run.app
    db = app.services.db
    calendar = text(await chat.say("maire", "/calendrier"))
    assert "Collecte des besoins" in calendar and "vote" not in calendar.lower()

    await member(chat, "maire")  # Saint-Julien-de-Lampon, elected
    await member(chat, "secretaire", role="2")  # same commune, agent
    await member(chat, "bordeaux", code="33063")
    assert "Cette consultation n'a pas de phase « vote des solutions »" in text(
        await chat.press("maire", "prop.v:1")
    )

    consultation = await consultations.current(db)
    assert consultation is not None
    for number in (1, 2, 3):
        await add_proposal(app, number, clock.now())

    # 1 April: the one step of vote and support opens and is announced.
    clock.set(datetime(2027, 4, 1, 10, tzinfo=PARIS))
    announced = await notices.announce_open(app.services, app.router.commands, clock.now())
    assert announced is not None and announced[0].kind == "support" and announced[1] == 3
    assert "Cette consultation n'a pas de phase « vote des solutions »" in text(
        await chat.press("maire", "prop.v:1")
    )
    detail = await chat.say("maire", "/proposition 1")
    labels = [c.label for c in detail[-1].choices]
    assert not [label for label in labels if "vot" in label.lower()]
    assert any("soutenir" in label.lower() for label in labels)
    for number in (1, 2, 3):  # no cap: every proposal the commune finds a priority
        assert "soutient désormais" in text(await chat.press("maire", f"sup.add:{number}:so"))
    changed = text(await chat.press("maire", "sup.add:2:co"))  # one support, its level changed
    assert "est désormais : prête à co-construire" in changed
    refused = text(await chat.press("secretaire", "sup.add:1:so"))
    assert "élu" in refused and "soutient désormais" not in refused
    mine = await supports.of_collectivite(db, "24432", consultation.id)
    assert sorted(s.level for s in mine) == ["co_construction", "soutien", "soutien"]

    # Seven days before the close, only Bordeaux has something left to do.
    support = next(p for p in consultation.phases if p.kind == "support")
    assert support.closes_at is not None
    due = notices.reminder_time(SendWindow(), support, 7)
    assert due is not None and due.date().isoformat() == "2027-04-26"  # the 25th is a Sunday
    clock.set(due)
    await app.services.db.execute("DELETE FROM outbox")
    reminded = await notices.remind(
        app.services, app.router.commands, support.id, 7, to_iso(support.closes_at), clock.now()
    )
    assert reminded == 1
    assert [r["display_name"] for r in await rows(app, "reminder")] == ["bordeaux"]

    # 3 May: the committee's selection; supports are closed.
    clock.set(datetime(2027, 5, 3, 10, tzinfo=PARIS))
    announced = await notices.announce_open(app.services, app.router.commands, clock.now())
    assert announced is not None and announced[0].kind == "selection"
    late = text(await chat.press("bordeaux", "sup.add:1:so"))
    assert "manifestation de soutien" in late and "terminé" in late


async def test_without_a_vote_phase_no_vote_is_shown_anywhere(
    as_run: MemoryBackend, clock: FrozenClock
) -> None:
    chat, app = as_run, as_run.app
    await member(chat, "maire")
    await staff(chat, "equipe", english=False)
    for number in (1, 2):
        await add_proposal(app, number, clock.now())
    clock.set(datetime(2027, 4, 1, 10, tzinfo=PARIS))  # vote and support in one step
    assert "/mes_votes" not in text(await chat.say("maire", "/aide"))
    assert "/mes_soutiens" in text(await chat.say("maire", "/aide"))
    seen = [
        text(await chat.say("maire", "/propositions")),
        text(await chat.say("maire", "/proposition 1")),
        text(await chat.say("maire", "/chercher proposition")),
        text(await chat.say("equipe", "/stats")),
        text(await chat.say("equipe", "/selection")),
    ]
    for shown in seen:
        assert "vote" not in shown.lower(), shown
    assert "0 soutien" in seen[0]
    assert "Collectivités qui la soutiennent : 0" in plain(seen[1])
    files = {
        reply.file.name.rsplit("-", 1)[-1]: reply.file.content.decode("utf-8-sig")
        for reply in await chat.say("equipe", "/export csv")
        if reply.file is not None
    }
    header = files["proposals.csv"].splitlines()[0]
    assert "Soutiens" in header and "vote" not in header.lower()
