"""SIGKILL in the middle of a 5,000-recipient broadcast: after a restart every
recipient has the message, none is lost, and duplicates are bounded by the
sends in flight at the moment of the crash."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from bot.core.clock import SystemClock
from bot.core.limits import OUTBOX_IN_FLIGHT, OUTBOX_LEASE
from bot.core.messages import Reply
from storage import outbox
from storage.db import Database

RECIPIENTS = 5000
CHILD = Path(__file__).with_name("crash_child.py")


async def _prepare(db_path: Path) -> None:
    db = await Database.open(db_path)
    stamp = "2026-12-01T09:00:00+00:00"
    async with db.transaction():
        await db.executemany(
            "INSERT INTO persons(id, display_name, created_at) VALUES (?, ?, ?)",
            [(i, f"p{i}", stamp) for i in range(1, RECIPIENTS + 1)],
        )
        await db.executemany(
            "INSERT INTO identities(identity, backend, person_id, address, last_seen,"
            " created_at) VALUES (?, 'crashy', ?, ?, ?, ?)",
            [(f"crashy:{i}", i, str(i), stamp, stamp) for i in range(1, RECIPIENTS + 1)],
        )
        payload = json.dumps(Reply("Message de l'équipe").to_json())
        ids = json.dumps(list(range(1, RECIPIENTS + 1)))
        await outbox.enqueue_batches(
            db, [outbox.Batch("crashy", payload, ids)], kind="broadcast", now=SystemClock().now()
        )
    await db.close()


async def _child(db_path: Path, log: Path, ahead: float) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(CHILD),
        str(db_path),
        str(log),
        "--ahead",
        str(ahead),
        stdout=asyncio.subprocess.PIPE,
    )


def _delivered(log: Path) -> Counter[str]:
    return Counter(log.read_text(encoding="utf-8").split()) if log.exists() else Counter()


async def test_sigkill_mid_broadcast_loses_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "crash.db"
    log = tmp_path / "platform.log"
    await _prepare(db_path)

    child = await _child(db_path, log, 0)
    assert child.stdout is not None
    await child.stdout.readline()  # "draining"
    for _ in range(600):
        if sum(_delivered(log).values()) >= RECIPIENTS // 3:
            break
        await asyncio.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    assert await child.wait() == -signal.SIGKILL
    before = sum(_delivered(log).values())
    assert RECIPIENTS // 3 <= before < RECIPIENTS, "the kill must come half-way"

    # The restart comes after the leases of the rows claimed at the crash expire.
    child = await _child(db_path, log, OUTBOX_LEASE.total_seconds() + 1)
    assert await child.wait() == 0

    delivered = _delivered(log)
    assert set(delivered) == {f"crashy:{i}" for i in range(1, RECIPIENTS + 1)}
    duplicates = sum(n - 1 for n in delivered.values())
    assert max(delivered.values()) <= 2
    assert duplicates <= OUTBOX_IN_FLIGHT
    db = await Database.open(db_path)
    assert await outbox.counts(db) == {"sent": RECIPIENTS}
    await db.close()
