"""Broadcast benchmark: enqueue to ~100,000 persons, then deliver at Telegram's pace.

Enqueue: the audience query and the fan-out (one render per language, one
``executemany``) in one transaction, as ``/diffuser`` does on confirmation.
Delivery: the real sender against a fake Telegram that answers after 30–80 ms
and counts every breach of the published limits (30 messages/s overall, one
per second per chat); the figure that matters is the share of the allowed 30
messages per second achieved, with no breach. A second delivery run against
an unpaced backend shows the sender's own ceiling (database and bookkeeping),
i.e. the headroom above the platform's rate. Prints medians over the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import demo
from bot.app import App
from bot.clock import SystemClock, to_iso
from bot.config import Config
from bot.fanout import fan_out
from bot.limits import TELEGRAM
from bot.messages import Reply
from handlers.broadcast import render_for
from storage import audiences, broadcasts, consultations
from storage.audiences import Audience


class FakeTelegram:
    """Accepts messages after a network-like delay and records any breach of the limits."""

    name = "telegram"
    command_prefix = "/"

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.sent = 0
        self.breaches = 0
        self._window: deque[float] = deque()
        self._last_in_chat: dict[str, float] = {}

    async def run(self, dispatch: object, stop: asyncio.Event) -> None:
        await stop.wait()

    async def deliver(self, identity: str, address: str, reply: Reply) -> None:
        now = time.monotonic()
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        chat = address or identity
        if len(self._window) >= TELEGRAM.per_second or now - self._last_in_chat.get(chat, -9) < 1:
            self.breaches += 1
        self._window.append(now)
        self._last_in_chat[chat] = now
        await asyncio.sleep(self.rng.uniform(0.03, 0.08))
        self.sent += 1


class Unpaced(FakeTelegram):
    name = "bench"


async def _persons(app: App, count: int, backend: str) -> None:
    stamp = to_iso(SystemClock().now())
    db = app.services.db
    async with db.transaction():
        start = int(await db.fetchval("SELECT COALESCE(MAX(id), 0) FROM persons")) + 1
        ids = range(start, start + count)
        await db.executemany(
            "INSERT INTO persons(id, display_name, locale, created_at) VALUES (?, ?, ?, ?)",
            [(i, f"p{i}", "en" if i % 5 == 0 else "fr", stamp) for i in ids],
        )
        await db.executemany(
            "INSERT INTO identities(identity, backend, person_id, address, last_seen, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(f"{backend}:{i}", backend, i, str(i), stamp, stamp) for i in ids],
        )


async def _enqueue(app: App) -> tuple[float, float, int]:
    """(seconds for the audience query, seconds in all, rows) for a broadcast to everyone."""
    db, now = app.services.db, SystemClock().now()
    consultation = await consultations.current(db)
    assert consultation is not None
    began = time.perf_counter()
    async with db.transaction():
        targets = await audiences.targets(db, Audience("everyone"), consultation.id)
        queried = time.perf_counter()
        broadcast_id = await broadcasts.create(
            db,
            consultation_id=consultation.id,
            author_id=1,
            text_fr="Bonjour à toutes et à tous.",
            text_en="Hello everyone.",
            audience=Audience("everyone"),
            recipients=len(targets),
            not_before=now,
            now=now,
        )
        count = await fan_out(
            app.services,
            app.router.commands,
            targets,
            "broadcast",
            render_for("Bonjour à toutes et à tous.", "Hello everyone."),
            now=now,
            quiet=False,  # measured at any hour; real broadcasts keep office hours
            broadcast_id=broadcast_id,
        )
    return queried - began, time.perf_counter() - began, count


async def _deliver(app: App, backend: FakeTelegram, seconds: float) -> float:
    """Messages per second the sender reaches through ``backend`` over ``seconds``."""
    app.backends.clear()
    app.add_backend(backend)
    drain = asyncio.create_task(app.sender.drain())
    began = time.monotonic()
    await asyncio.sleep(seconds)
    drain.cancel()
    await asyncio.gather(drain, return_exceptions=True)
    return backend.sent / (time.monotonic() - began)


async def run(persons: int, seconds: float, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        app = await App.create(Config(db_path=str(Path(folder) / "bench.db")), load_refdata=False)
        await demo.seed(app.services.db, SystemClock().now(), "needs")
        await _persons(app, persons, "telegram")
        query_s, enqueue_s, rows = await _enqueue(app)
        paced = FakeTelegram(seed)
        rate = await _deliver(app, paced, seconds)

        await app.services.db.execute("DELETE FROM outbox")
        await app.services.db.execute("UPDATE identities SET backend = 'bench'")
        await _enqueue(app)
        ceiling = await _deliver(app, Unpaced(seed), seconds)
        await app.close()
    return {
        "rows": rows,
        "query_s": query_s,
        "enqueue_s": enqueue_s,
        "enqueue_rows_per_s": rows / enqueue_s,
        "telegram_msgs_per_s": rate,
        "share_of_allowed": rate / TELEGRAM.per_second,
        "breaches": paced.breaches,
        "sender_ceiling_msgs_per_s": ceiling,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="delivery time measured")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="end with the medians as one JSON line")
    args = parser.parse_args()
    results = [asyncio.run(run(args.persons, args.seconds, seed)) for seed in range(args.runs)]
    print(f"broadcast: {args.persons} persons, {args.seconds:g} s of delivery, {args.runs} runs")
    medians: dict[str, float] = {"persons": args.persons, "seconds": args.seconds}
    for key in results[0]:
        value = medians[key] = statistics.median(r[key] for r in results)
        print(f"  {key:28} {value:,.3f}" if isinstance(value, float) else f"  {key:28} {value}")
    if args.json:
        # Any breach in any run counts, not the median.
        medians["breaches"] = max(r["breaches"] for r in results)
        print(json.dumps({"bench": "broadcast", **medians}))


if __name__ == "__main__":
    main()
