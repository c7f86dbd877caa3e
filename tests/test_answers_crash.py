"""An answer committed but never acknowledged by the platform is sent after a
restart: the process is killed while the Bot API server holds the send."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.core.clock import SystemClock
from bot.core.config import Config
from bot.demo import seed as demo
from tests.fake_telegram import FakeTelegram
from tests.telegram_support import MARIE, serving

CHILD = Path(__file__).with_name("bot_child.py")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with serving() as server:
        yield server


async def _seeded(db_path: Path) -> None:
    app = await App.create(Config(db_path=str(db_path)), load_refdata=False)
    await demo.seed(app.services.db, SystemClock().now(), "needs")
    await app.close()


async def _child(db_path: Path, base_url: str) -> asyncio.subprocess.Process:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CHILD),
        str(db_path),
        "--telegram",
        base_url,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    await child.stdout.readline()
    return child


def _texts(fake: FakeTelegram) -> list[str]:
    return [m.get("text", "") for m in fake.sent(MARIE.id)]


async def test_kill_between_commit_and_send_delivers_the_answer_after_restart(
    fake: FakeTelegram, db_path: Path
) -> None:
    await _seeded(db_path)
    fake.holding = True
    child = await _child(db_path, fake.base_url)
    try:
        fake.say(MARIE, "/calendrier")
        await fake.wait_for(lambda: any(c.status == 0 for c in fake.calls_to("sendMessage")), 20)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        await child.wait()
    fake.release()
    assert _texts(fake) == []  # the held send never went

    child = await _child(db_path, fake.base_url)
    try:
        await fake.wait_for(lambda: bool(_texts(fake)), 15)
        assert _texts(fake)[0].startswith("Calendrier de la consultation")
    finally:
        child.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(child.wait(), 15) == 0
    assert len(_texts(fake)) == 1
