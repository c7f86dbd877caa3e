"""Broadcast benchmark: a national broadcast through the real Telegram backend.

Run from the repository root:
``.venv/bin/python bench/broadcast.py [--recipients 35000] [--rate 30]``.

The local Bot API server of ``tests/fake_telegram.py`` runs in a child
process (its own core) and enforces a rate limit as Telegram does: ``--rate``
messages per second overall (a sliding window of one second) and one per
second in a chat; a message over either is refused with 429 and
``retry_after``. It answers each call after a network-like 30–80 ms.

The bot's side is Guichet as deployed: the ``App`` on a SQLite file with the
reference data loaded, ``TelegramBackend`` (python-telegram-bot) and the outbox sender, which paces
every send itself, configured with ``[limits]
telegram_messages_per_second`` = ``--rate``. ``--recipients`` persons, each
with a Telegram chat of their own, are written; then a broadcast to everyone
is queued as ``/diffuser`` does on confirmation (audience query, one render
per language, one outbox row each, in one transaction), timed; then the
sender delivers all of it.

Printed: the enqueue time; the achieved rate, i.e. the messages the server
accepted over the time from the first arrival to the last, as a share of the
allowed rate (target at least 95 %); the 429s the server answered (target
none); the chats that got the message twice or not at all (none); the peak
RSS of the bot's process and how much it grew while delivering. At
Telegram's 30 messages/s, 35,000 recipients take about 20 minutes; ``make
bench`` runs the same at a higher allowed rate, which shows the same pacing
in less time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.child_server import child_server, serve, start_polling
from bench.memory import current_mb, peak_mb
from bot.app import App, settle_heap
from bot.core.clock import SystemClock, to_iso
from bot.core.config import Config, Limits
from bot.core.limits import telegram
from bot.delivery import fanout
from bot.demo import seed as demo
from storage import audiences, broadcasts, consultations, fanouts
from storage.audiences import Audience
from tests.fake_telegram import FakeTelegram

FIRST_CHAT = 10_000_000
PROGRESS_SECONDS = 30.0


# -- the server, in the child process -------------------------------------------------------
@dataclass
class PacedServer(FakeTelegram):
    """The test suite's fake Bot API, with Telegram's latency and a status route."""

    latency: tuple[float, float] = (0.03, 0.08)
    accepted: int = 0
    first_at: float = 0.0
    last_at: float = 0.0
    per_chat: Counter[int] | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/control/status", self._status)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/bot"
        self.per_chat = Counter()
        return self.base_url

    async def _status(self, request: web.Request) -> web.Response:
        assert self.per_chat is not None
        errors = Counter(c.status for c in self.calls if c.status not in (200, 429))
        return web.json_response(
            {
                "accepted": self.accepted,
                "too_many": self.too_many,
                "seconds": self.last_at - self.first_at,
                "chats": len(self.per_chat),
                "doubled": sum(1 for n in self.per_chat.values() if n > 1),
                "errors": {str(k): v for k, v in errors.items()},
            }
        )

    async def api_sendMessage(self, params: dict[str, Any], files: Any) -> Any:
        message = await super().api_sendMessage(params, files)  # 429 when over the rate
        assert self.per_chat is not None
        now = time.monotonic()
        self.first_at = self.first_at or now
        self.last_at = now
        self.accepted += 1
        self.per_chat[int(params["chat_id"])] += 1
        self.calls.clear()  # a benchmark counts; 35,000 recorded calls would only cost memory
        self.messages.clear()
        await asyncio.sleep(random.uniform(*self.latency))
        return message


# -- the bot, in the parent process -------------------------------------------------------
async def _persons(app: App, count: int) -> None:
    """``count`` persons with a private Telegram chat each, as after their /start."""
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
            [
                (f"telegram:{FIRST_CHAT + i}", "telegram", i, str(FIRST_CHAT + i), stamp, stamp)
                for i in ids
            ],
        )


async def _enqueue(app: App) -> tuple[int, int, float]:
    """(broadcast id, rows, seconds) of a broadcast to everyone, queued as /diffuser does."""
    db, now = app.services.db, SystemClock().now()
    consultation = await consultations.current(db)
    assert consultation is not None
    began = time.perf_counter()
    async with db.transaction():
        recipients = await audiences.count(db, Audience("everyone"), consultation.id)
        broadcast_id = await broadcasts.create(
            db,
            consultation_id=consultation.id,
            author_id=1,
            text_fr="La phase de vote est ouverte jusqu'au 15 décembre.",
            text_en="Voting is open until 15 December.",
            audience=Audience("everyone"),
            recipients=recipients,
            not_before=now,
            now=now,
        )
        fanout_id = await fanout.start(
            app.services,
            app.router.commands,
            "broadcast",
            {
                "broadcast": broadcast_id,
                "audience": Audience("everyone").to_json(),
                "consultation": consultation.id,
                "agents": False,
            },
            now=now,
            quiet=False,  # measured at any hour; real broadcasts keep office hours
            broadcast_id=broadcast_id,
        )
    job = await fanouts.get(db, fanout_id)  # queued in batches once committed
    count = job.queued if job else 0
    return broadcast_id, count, time.perf_counter() - began


async def _unsent(app: App, broadcast_id: int) -> int:
    return int(
        await app.services.db.fetchval(
            "SELECT COUNT(*) FROM outbox WHERE broadcast_id = ? AND backend = 'telegram'"
            " AND status IN ('pending', 'sending')",
            (broadcast_id,),
        )
    )


async def _deliver(app: App, broadcast_id: int) -> float:
    """Seconds the sender takes, running as in production (a 429 holds the lane and
    ends a drain; the next one starts when the wait is over), until no row is left."""
    stop = asyncio.Event()
    began = time.perf_counter()
    sending = asyncio.create_task(app.sender.run(stop))
    while True:  # the database is the truth; polled, as the operator would
        if not await _unsent(app, broadcast_id):
            break
        await asyncio.sleep(0.5)
    elapsed = time.perf_counter() - began
    stop.set()
    await sending
    return elapsed


class Watch:
    """Samples the bot's memory every second and prints progress now and then."""

    def __init__(self, session: aiohttp.ClientSession, root: str, total: int) -> None:
        self.session, self.root, self.total = session, root, total
        self.peak_during = 0.0

    async def status(self) -> dict[str, Any]:
        async with self.session.get(f"{self.root}/status") as response:
            found: dict[str, Any] = await response.json()
            return found

    async def run(self) -> None:
        last, last_at = 0, time.monotonic()
        while True:
            for _ in range(int(PROGRESS_SECONDS)):
                await asyncio.sleep(1)
                self.peak_during = max(self.peak_during, current_mb())
            status, now = await self.status(), time.monotonic()
            print(
                f"  … {status['accepted']:,}/{self.total:,} delivered,"
                f" {(status['accepted'] - last) / (now - last_at):5.1f} msg/s lately,"
                f" {status['too_many']} × 429, RSS {current_mb():.0f} MiB",
                flush=True,
            )
            last, last_at = status["accepted"], now


async def run(recipients: int, rate: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        async with child_server(__file__, "--rate", str(rate)) as base_url:
            config = Config(
                db_path=str(Path(folder) / "bench.db"),
                limits=Limits(telegram_messages_per_second=rate),
            )
            app = await App.create(config)
            await demo.seed(app.services.db, SystemClock().now(), "vote")
            await _persons(app, recipients)
            broadcast_id, rows, enqueue_s = await _enqueue(app)
            polling = start_polling(app, base_url)
            settle_heap()  # as ``guichet run`` does once started
            async with aiohttp.ClientSession() as session:
                watch = Watch(session, base_url.removesuffix("/bot") + "/control", rows)
                rss_before = current_mb()
                watching = asyncio.create_task(watch.run())
                drain_s = await _deliver(app, broadcast_id)
                watching.cancel()
                status = await watch.status()
            await polling.halt()
            counts = dict(
                await app.services.db.fetchall(
                    "SELECT status, COUNT(*) FROM outbox"
                    " WHERE broadcast_id = ? AND backend = 'telegram' GROUP BY status",
                    (broadcast_id,),
                )
            )
            await app.close()
    achieved = (status["accepted"] - 1) / status["seconds"] if status["seconds"] else 0.0
    return {
        "recipients": recipients,
        "queued": rows,
        "allowed_msgs_per_s": rate,
        "enqueue_s": enqueue_s,
        "delivery_s": drain_s,
        "accepted": status["accepted"],
        "achieved_msgs_per_s": achieved,
        "share_of_allowed": achieved / rate,
        "too_many": status["too_many"],
        "errors": sum(status["errors"].values()),
        "missing": recipients - status["chats"],
        "doubled": status["doubled"],
        "outbox_sent": counts.get("sent", 0),
        "peak_rss_mib": peak_mb(),
        "rss_before_delivery_mib": rss_before,
        "rss_peak_during_delivery_mib": max(watch.peak_during, current_mb()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=35_000)
    parser.add_argument(
        "--rate", type=float, default=30.0, help="messages/s the server allows (Telegram: 30)"
    )
    parser.add_argument("--json", action="store_true", help="end with the figures as one JSON line")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the child
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(PacedServer(rate=telegram(args.rate))))
        return
    f = asyncio.run(run(args.recipients, args.rate))
    print(
        f"broadcast through Telegram: {f['recipients']:,} recipients on Telegram"
        f" ({f['queued']:,} with the demo's console persons),"
        f" server allowing {args.rate:g} msg/s and 1/s per chat\n"
        f"  enqueue (audience, render, outbox rows)  {f['enqueue_s']:8.2f} s\n"
        f"  delivery                                 {f['delivery_s']:8.1f} s\n"
        f"  achieved rate                            {f['achieved_msgs_per_s']:8.2f} msg/s"
        f" = {f['share_of_allowed']:.1%} of the allowed rate\n"
        f"  429 answers                              {f['too_many']:8d}\n"
        f"  other errors                             {f['errors']:8d}\n"
        f"  chats missed / served twice              {f['missing']:8d} / {f['doubled']}\n"
        f"  outbox rows marked sent                  {f['outbox_sent']:8,}\n"
        f"  peak RSS of the bot process              {f['peak_rss_mib']:8.0f} MiB"
        f" (before delivery {f['rss_before_delivery_mib']:.0f},"
        f" highest during it {f['rss_peak_during_delivery_mib']:.0f})"
    )
    if args.json:
        print(json.dumps({"bench": "broadcast", **f}))


if __name__ == "__main__":
    main()
