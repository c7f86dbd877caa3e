"""Shared fixtures: a reference-data database built once, a frozen clock, the
real App on a fresh SQLite file per test, and the memory backend to chat with."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import PARIS, FrozenClock
from bot.core.config import Config
from bot.core.messages import Reply
from bot.demo import seed as demo
from storage import refdata
from storage.db import Database
from tests import stats_support

# A Tuesday morning, inside the demo's needs phase when seeded with this clock.
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)


@pytest.fixture(scope="session")
def refdata_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ~37,000 places are loaded once per run, then the file is copied."""
    path = tmp_path_factory.mktemp("refdata") / "template.db"

    async def build() -> None:
        db = await Database.open(path)
        await refdata.ensure_loaded(db)
        await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        await db.close()

    asyncio.run(build())
    return path


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def db_path(tmp_path: Path, refdata_db: Path) -> Path:
    path = tmp_path / "guichet.db"
    shutil.copy(refdata_db, path)
    return path


async def make_app(
    db_path: Path,
    clock: FrozenClock,
    *,
    verification: str = "open",
    phase: str = "needs",
    seed: bool = True,
) -> App:
    app = await App.create(
        Config(db_path=str(db_path), verification=verification),  # type: ignore[arg-type]
        clock=clock,
    )
    if seed:
        await demo.seed(app.services.db, clock.now(), phase)  # type: ignore[arg-type]
    return app


@pytest.fixture
async def app(db_path: Path, clock: FrozenClock) -> AsyncIterator[App]:
    application = await make_app(db_path, clock)
    yield application
    await application.close()


@pytest.fixture
def chat(app: App) -> MemoryBackend:
    return MemoryBackend(app)


@pytest.fixture
async def seeded(db_path: Path, clock: FrozenClock) -> AsyncIterator[MemoryBackend]:
    """The synthetic consultation of ``tests/stats_support.py`` (figures, exports, audit)."""
    app = await make_app(db_path, clock, seed=False)
    await stats_support.seed(app.services.db)
    yield MemoryBackend(app)
    await app.close()


def plain(words: str) -> str:
    """French typographic spaces (no-break, narrow no-break) as ordinary ones:
    transcripts assert the words; tests/test_i18n.py checks the typography of
    every French entry, and tests/test_french.py what a reply really carries."""
    return words.replace("\u202f", " ").replace("\u00a0", " ")


def text(replies: list[Reply]) -> str:
    """A transcript's replies as one string, choices included, for assertions
    (typographic spaces read as ordinary ones, see ``plain``)."""
    parts = []
    for reply in replies:
        parts.append(reply.text)
        parts.extend(f"[{c.label}]" for c in reply.choices)
    return plain("\n".join(parts))


async def onboard(
    chat: MemoryBackend, user: str, *, language: str = "1", query: str = "24432", role: str = "1"
) -> list[Reply]:
    """Play the whole /start flow; ``role`` 1 is elu, 2 is agent."""
    await chat.say(user, "/start")
    await chat.say(user, language)
    replies = await chat.say(user, query)
    if replies and replies[-1].choices and replies[-1].choices[0].data.startswith("onb.pick"):
        replies = await chat.say(user, "1")
    await chat.say(user, role)
    return await chat.say(user, "1")


def run_demo(tmp_path: Path, lines: list[str], *args: str, db: Path | None = None) -> str:
    """``guichet demo`` in a child process with ``lines`` piped in; its output.

    Fails on a non-zero exit or a traceback, as a person trying it would see one.
    """
    command = [sys.executable, "-m", "bot.ops.cli", "demo", *args]
    if db is not None:
        command += ["--db", str(db)]
    result = subprocess.run(
        command,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout
