"""``guichet phases`` speaks of days as the chat does: the last day is included."""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from bot.backends.memory import MemoryBackend
from bot.core.clock import PARIS, FrozenClock
from bot.ops.cli import main
from tests.conftest import make_app, text


def calendar_in_chat(db: Path) -> str:
    async def ask() -> str:
        app = await make_app(db, FrozenClock(datetime(2026, 9, 1, 12, tzinfo=PARIS)))
        try:
            return text(await MemoryBackend(app).say("maire", "/calendrier"))
        finally:
            await app.close()

    return asyncio.run(ask())


def test_phases_list_and_set_use_the_chats_days(
    tmp_path: Path, refdata_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "g.db"
    shutil.copy(refdata_db, db)
    calendar_in_chat(db)  # seeds the consultation
    assert main(["phases", "list", "--db", str(db)]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line[:1].isdigit()]
    last, kind = rows[-1].split("\t")[:2]  # the last phase: free to move years ahead
    assert main(["phases", "set", last, "01/10/2030", "22/10/2030", "--db", str(db)]) == 0
    assert "\t2030-10-01\t2030-10-22\t" in capsys.readouterr().out
    assert "au 22 octobre 2030" in calendar_in_chat(db)
    assert main(["phases", "list", "--db", str(db)]) == 0
    listing = capsys.readouterr().out
    assert "last day" in listing.splitlines()[0]
    assert f"{last}\t{kind}\t2030-10-01\t2030-10-22\t" in listing
    assert "2030-10-23" not in listing
    # ISO days are read the same way, the last one included; a time stays a time.
    assert main(["phases", "set", last, "2030-10-02", "2030-10-21", "18:00", "--db", str(db)]) == 0
    assert "\t2030-10-02\t2030-10-21 18:00\t" in capsys.readouterr().out
    assert main(["phases", "set", last, "2030-10-02", "09:30", "2030-10-21", "--db", str(db)]) == 0
    assert "\t2030-10-02 09:30\t2030-10-21\t" in capsys.readouterr().out
