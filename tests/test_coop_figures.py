"""/stats and the exports count the co-construction: places, volunteers, working
spaces and followers; the exports name collectivités, never the persons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from storage import persons, proposals, volunteers, workspaces
from tests.conftest import make_app, onboard, text
from tests.test_exports import _csv, _files


@pytest.fixture
async def coop(db_path: Path, clock: FrozenClock) -> AsyncIterator[MemoryBackend]:
    app = await make_app(db_path, clock, phase="coconstruction")
    chat = MemoryBackend(app)
    await onboard(chat, "maire")  # Saint-Julien-de-Lampon
    await onboard(chat, "mayor", language="2", query="33063")  # Bordeaux
    await chat.say("equipe", "/aide")
    db = app.services.db
    staff = await persons.by_identity(db, chat.identity("equipe"))
    assert staff is not None
    await persons.set_role(db, staff.id, "admin")
    await persons.set_locale(db, staff.id, "en")
    first = await proposals.by_number(db, 1, 1)
    assert first is not None
    now = clock.now()
    async with db.transaction():
        await volunteers.set_places(db, first.id, 1, now)
        for user, code in (("maire", "24432"), ("mayor", "33063")):
            person = await persons.by_identity(db, chat.identity(user))
            assert person is not None
            applied = await volunteers.apply(db, first.id, code, person.id, now)
            await volunteers.decide(db, applied.id, True, staff.id, 1, now)
        await workspaces.bind(db, first.id, "telegram", "-100999", staff.id, now)
    await chat.say("mayor", "/follow 2")
    yield chat
    await app.close()


async def test_stats_count_the_coconstruction(coop: MemoryBackend) -> None:
    shown = text(await coop.say("equipe", "/stats"))
    # 16 selected proposals at 10 places, no. 1 at 1
    assert "Co-construction: 1 of 161 places taken in 17 selected proposals; 1 waiting" in shown
    assert "Working spaces: 0 Matrix rooms, 1 Telegram groups" in shown
    assert "followers of the selected proposals:" in shown


async def test_exports_list_volunteers_and_places(coop: MemoryBackend) -> None:
    files = _files(await coop.say("equipe", "/export csv"))
    rows = _csv(files["coconstruction.csv"])
    assert rows[0][:4] == ["Proposal no.", "Title", "Places", "Volunteers with a place"]
    first = rows[1]
    assert first[0] == "1" and first[2:9] == ["1", "1", "1", "0", "0", "0", "1"]
    assert int(first[9]) >= 2  # the two volunteers' members follow it, at least
    assert len(rows) == 1 + 17
    listed = _csv(files["volunteers.csv"])
    assert [r[2:4] for r in listed[1:]] == [["approved", "24432"], ["waiting", "33063"]]
    everything = b"".join(f.content for f in files.values())
    assert b"maire" not in everything and b"mayor" not in everything
