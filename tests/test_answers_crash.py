"""An answer committed but never acknowledged by the platform is sent after a
restart: the process is killed while the Bot API server holds the send."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.core.clock import SystemClock, to_iso
from bot.core.config import Config
from bot.core.limits import telegram
from bot.core.messages import Reply
from bot.demo import seed as demo
from storage import outbox
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


async def _broadcast(db_path: Path, count: int, first: int) -> None:
    app = await App.create(Config(db_path=str(db_path)), load_refdata=False)
    db, stamp = app.services.db, "2026-12-01T09:00:00+00:00"
    async with db.transaction():
        await db.executemany(
            "INSERT INTO persons(id, display_name, created_at) VALUES (?, ?, ?)",
            [(first + i, f"p{i}", stamp) for i in range(count)],
        )
        await db.executemany(
            "INSERT INTO identities(identity, backend, person_id, address, last_seen,"
            " created_at) VALUES (?, 'telegram', ?, ?, ?, ?)",
            [
                (f"telegram:{first + i}", first + i, str(first + i), stamp, stamp)
                for i in range(count)
            ],
        )
        await outbox.enqueue_batches(
            db,
            [
                outbox.Batch(
                    "telegram",
                    json.dumps(Reply("Diffusion").to_json()),
                    json.dumps([first + i for i in range(count)]),
                )
            ],
            kind="broadcast",
            now=SystemClock().now(),
        )
    await app.close()


def _broadcast_sends(fake: FakeTelegram) -> list[Any]:
    return [c for c in fake.calls_to("sendMessage") if c.params.get("text") == "Diffusion"]


async def test_sigterm_during_a_broadcast_ends_within_5s_and_holds_nothing(
    fake: FakeTelegram, db_path: Path
) -> None:
    await _seeded(db_path)
    await _broadcast(db_path, 300, 700_000)
    fake.rate = telegram(30)
    fake.send_delay = 0.3  # sends are on the wire when the signal comes
    child = await _child(db_path, fake.base_url)
    await fake.wait_for(lambda: len(_broadcast_sends(fake)) >= 20, 20)
    stopped = time.monotonic()
    child.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(child.wait(), 10) == 0
    assert time.monotonic() - stopped < 5.5
    await asyncio.sleep(0.5)
    assert all(c.status == 200 for c in _broadcast_sends(fake))  # none cut short
    app = await App.create(Config(db_path=str(db_path)), load_refdata=False)
    now = SystemClock().now()
    held = await app.services.db.fetchval(
        "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending') AND not_before > ?",
        (to_iso(now),),
    )
    await app.close()
    assert held == 0  # no hold stored for the next start

    before = len(_broadcast_sends(fake))
    child = await _child(db_path, fake.base_url)
    started = time.monotonic()
    try:
        await fake.wait_for(lambda: len(_broadcast_sends(fake)) > before, 10)
        assert time.monotonic() - started < 5.0  # resumed at once, not after a hold
    finally:
        child.send_signal(signal.SIGTERM)
        await asyncio.wait_for(child.wait(), 10)


async def test_a_start_while_telegram_is_away_waits_for_it(
    fake: FakeTelegram, db_path: Path
) -> None:
    await _seeded(db_path)
    await fake.set_down(True)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CHILD),
        str(db_path),
        "--telegram",
        fake.base_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    await child.stdout.readline()
    await asyncio.sleep(4)
    assert child.returncode is None  # no exit
    await fake.set_down(False)
    fake.say(MARIE, "/aide")
    await fake.wait_for(lambda: bool(_texts(fake)), 10)
    child.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(child.wait(), 10) == 0
    log = (await child.stderr.read()).decode()
    assert log.count("unreachable at start") == 1, log
    assert "Traceback" not in log
