"""No event waits behind a fan-out: a national broadcast or the results are
queued in short batches after the staff's event commits, while others write.

The results once went out in the announcing event's transaction: 98,469 rows,
18.2 s during which every other person's message waited.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock, to_iso
from bot.core.messages import from_text
from tests.calendar_support import staff
from tests.conftest import make_app
from tests.test_planner import _grow

WAIT_LIMIT = 0.2  # seconds: what the issue allows a person writing meanwhile


async def test_a_person_writing_during_a_national_broadcast_waits_under_200_ms(
    db_path: Path, clock: FrozenClock
) -> None:
    app = await make_app(db_path, clock)
    chat = MemoryBackend(app)
    try:
        await staff(chat)
        await app.services.db.run(_grow, to_iso(clock.now()))  # 30,000 members
        await chat.say("boss", "/broadcast new")
        await chat.say("boss", "Bonjour à toutes et à tous.")
        await chat.say("boss", "Hello everyone.")
        preview = await chat.say("boss", "1")
        assert "Recipients: 30,00" in preview[-1].text

        waits: list[float] = []
        sent = asyncio.Event()

        async def someone_writing() -> None:
            n = 0
            while not sent.is_set():
                n += 1
                incoming = from_text("memory:p7", f"probe:{n}", "/aide")
                began = time.perf_counter()
                await app.handle(incoming)
                waits.append(time.perf_counter() - began)
                await asyncio.sleep(0.005)

        probe = asyncio.create_task(someone_writing())
        await asyncio.sleep(0.02)
        confirmation = app.handle(from_text("memory:boss", "send", "1", address="boss"))
        replies = await confirmation
        sent.set()
        await probe
        assert "is queued for 30,00" in replies[-1].text
        queued = await app.services.db.fetchval(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'broadcast'"
        )
        assert queued >= 30_000
        assert len(waits) >= 3
        assert max(waits) < WAIT_LIMIT, f"waited {max(waits):.3f} s (of {len(waits)} events)"
    finally:
        await app.close()
