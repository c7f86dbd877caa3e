"""The full Telegram path, against a bare python-telegram-bot echo bot.

Run from the repository root: ``.venv/bin/python bench/telegram_path.py [--updates N]``.

The local Bot API server of ``tests/fake_telegram.py`` runs in a child
process (its own core on a 2-core machine), with routes added for the
benchmark: one queues N private messages at once (``/aide``, ``/calendrier``,
``/profil``, ``/aide``… from N/10 people, so about ten each: 200 people for
the default 2,000), one reports how many answers were sent and when, one sets
the rate the server enforces. Each round, a bot polls it until every update
is answered; the time runs from the moment the updates are queued to the last
``sendMessage``. Two rounds, each bot side by side in the same run:

- one at a time: the bare bot as PTB ships it (one update after the other);
- concurrent: the bare bot with PTB's ``concurrent_updates`` (256 at once);

and Guichet in both: the real ``App`` on a SQLite file (reference data
loaded, demo consultation seeded; a fresh copy each round, so each round
meets its people for the first time), driven by ``TelegramBackend`` — PTB's
Application, Guichet's polling loop with the offset stored in SQLite, each
person's updates in order and different people's at once, the router and
handlers, every answer written to the outbox in its event's transaction and
sent at once by the fast path, HTML rendering. The outbox paces sends to
``[limits] telegram_messages_per_second``: set far above what the server can
take here, so the figure is Guichet's own cost, not Telegram's limit.

Rounds alternate after an uncounted warm-up; medians are printed with the
ratios. Then, with the server enforcing Telegram's 30 messages per second (and
one per second per chat for bulk), a 5,000-recipient broadcast is delivering
when 200 people send ``/aide`` at once: the answers' latency (p50, p95, from
the moment they were queued) and the broadcast sends made meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bench.child_server import child_server, serve, start_polling
from bot.app import App
from bot.core.config import Config, Limits
from bot.core.limits import telegram
from bot.core.messages import Reply
from bot.demo import seed as demo
from storage import outbox
from tests.fake_telegram import TOKEN, FakeTelegram, TgUser

TEXTS = ("/aide", "/calendrier", "/profil", "/aide")
PER_USER = 10
QUIET = 0.5
"""Seconds without a new answer, once every update was fetched, that end a round."""
UNPACED = Limits(telegram_messages_per_second=1_000_000.0)
BROADCAST = "Message de l'équipe à toutes les collectivités"
BURST_FIRST = 3_000_000
"""Telegram ids of the people of the burst, apart from the rounds' and the broadcast's."""


# -- the server, in the child process -------------------------------------------------------
@dataclass
class BenchServer(FakeTelegram):
    """The test suite's fake Bot API, with a load route and a status route."""

    loaded_at: float = 0.0
    last_update: int = 0
    answers: int = 0
    last_answer_at: float = 0.0
    sample: str = ""
    burst: dict[int, float] = field(default_factory=dict)
    """Chat of each person of the burst, and when their first answer arrived."""
    bulk: list[float] = field(default_factory=list)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/control/load", self._load)
        app.router.add_post("/control/burst", self._burst)
        app.router.add_post("/control/rate", self._rate)
        app.router.add_get("/control/status", self._status)
        app.router.add_get("/control/burst", self._burst_status)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self.base_url

    async def _load(self, request: web.Request) -> web.Response:
        count = int(request.query["n"])
        users = max(1, count // PER_USER)
        self.calls.clear()  # what the tests read; a benchmark only counts
        self.messages.clear()
        self.answers, self.last_answer_at, self.sample = 0, 0.0, ""
        for i in range(count):
            user = TgUser(100_000 + i % users, f"Maire{i % users}", "Bench", "fr")
            self.pending.append(self.message_update(user, TEXTS[i % len(TEXTS)]))
        self.last_update = int(self.pending[-1]["update_id"])
        self.loaded_at = time.perf_counter()
        await self._notify()
        return web.json_response({"last_update": self.last_update})

    async def _rate(self, request: web.Request) -> web.Response:
        per_second = float(request.query.get("per_second", "0"))
        self.rate = telegram(per_second) if per_second else None
        self.too_many = 0
        return web.json_response({"rate": per_second})

    async def _burst(self, request: web.Request) -> web.Response:
        """``n`` people send /aide at once; their chats are watched."""
        count = int(request.query["n"])
        self.burst = {BURST_FIRST + i: 0.0 for i in range(count)}
        self.bulk.clear()
        self.loaded_at = time.perf_counter()
        for chat in self.burst:
            self.pending.append(self.message_update(TgUser(chat, f"Maire{chat}"), "/aide"))
        await self._notify()
        return web.json_response({"people": count})

    async def _burst_status(self, request: web.Request) -> web.Response:
        answered = [t - self.loaded_at for t in self.burst.values() if t]
        last = max(answered, default=0.0) + self.loaded_at
        return web.json_response(
            {
                "answered": len(answered),
                "latencies": sorted(answered),
                "bulk_total": len(self.bulk),
                "bulk_during": sum(1 for t in self.bulk if self.loaded_at < t < last),
                "too_many": self.too_many,
            }
        )

    async def _status(self, request: web.Request) -> web.Response:
        offsets = [o for o in self.polls if isinstance(o, int)]
        return web.json_response(
            {
                "polls": len(self.polls),
                "fetched_all": bool(offsets) and max(offsets) > self.last_update > 0,
                "answers": self.answers,
                "elapsed": self.last_answer_at - self.loaded_at if self.answers else 0.0,
                "errors": sum(1 for c in self.calls if c.status != 200),
                "sample": self.sample,
            }
        )

    async def api_sendMessage(self, params: dict[str, Any], files: Any) -> Any:
        message = await super().api_sendMessage(params, files)
        now = time.perf_counter()
        chat = int(params["chat_id"])
        if params.get("text") == BROADCAST:
            self.bulk.append(now)
        elif chat in self.burst:
            self.burst[chat] = self.burst[chat] or now
        else:
            self.answers += 1
            self.last_answer_at = now
            self.sample = str(message.get("text", ""))
        return message


# -- the bots, in the parent process --------------------------------------------------------
class Control:
    """The benchmark's side of the child server."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.root = base_url.removesuffix("/bot") + "/control"
        self.session = session

    async def status(self) -> dict[str, Any]:
        async with self.session.get(f"{self.root}/status") as response:
            found: dict[str, Any] = await response.json()
            return found

    async def post(self, route: str, **params: Any) -> dict[str, Any]:
        async with self.session.post(f"{self.root}/{route}", params=params) as response:
            response.raise_for_status()
            found: dict[str, Any] = await response.json()
            return found

    async def get(self, route: str) -> dict[str, Any]:
        async with self.session.get(f"{self.root}/{route}") as response:
            found: dict[str, Any] = await response.json()
            return found

    async def polling(self, before: int) -> None:
        """Until the bot asked for updates at least once more than ``before``."""
        while True:
            if (await self.status())["polls"] > before:
                return
            await asyncio.sleep(0.02)

    async def round(self, count: int) -> dict[str, Any]:
        """Queue ``count`` updates; wait until all are fetched and answered."""
        async with self.session.post(f"{self.root}/load", params={"n": count}) as response:
            response.raise_for_status()
        answers, still = -1, time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            status = await self.status()
            if status["answers"] != answers:
                answers, still = status["answers"], time.monotonic()
            elif status["fetched_all"] and answers >= count and time.monotonic() - still > QUIET:
                break
        if status["errors"]:
            raise RuntimeError(f"the server answered {status['errors']} calls with an error")
        return {
            "updates_per_s": count / status["elapsed"],
            "messages_per_update": answers / count,
            "sample": status["sample"],
        }


def fresh_copy(template: Path, folder: Path) -> Path:
    """A copy of the template no round has used yet."""
    path = folder / f"round{len(list(folder.glob('round*.db')))}.db"
    shutil.copy(template, path)
    return path


async def guichet_round(
    control: Control, base_url: str, template: Path, folder: Path, count: int
) -> dict[str, Any]:
    path = fresh_copy(template, folder)
    app = await App.create(Config(db_path=str(path), limits=UNPACED))
    before = (await control.status())["polls"]
    polling = start_polling(app, base_url)
    try:
        await control.polling(before)
        return await control.round(count)
    finally:
        await polling.halt()
        await app.close()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


async def bare_round(
    control: Control, base_url: str, count: int, concurrent: bool = False
) -> dict[str, Any]:
    builder = ApplicationBuilder().token(TOKEN).base_url(base_url).job_queue(None)
    if concurrent:
        builder = builder.concurrent_updates(256)
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    updater = application.updater
    assert updater is not None
    before = (await control.status())["polls"]
    async with application:
        await application.start()
        await updater.start_polling(timeout=10, allowed_updates=[Update.MESSAGE])
        try:
            await control.polling(before)
            return await control.round(count)
        finally:
            await updater.stop()
            await application.stop()


async def template_database(path: Path) -> None:
    """Reference data loaded and the demo consultation seeded, as after a first start."""
    app = await App.create(Config(db_path=str(path)))
    await demo.seed(app.services.db, app.services.clock.now(), "needs")
    await app.services.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    await app.close()


async def run(
    count: int, rounds: int, people: int, recipients: int, seconds: float
) -> dict[str, float]:
    async with asyncio.timeout(seconds), child_server(__file__) as base_url:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            template = folder / "template.db"
            await template_database(template)
            async with aiohttp.ClientSession() as session:
                control = Control(base_url, session)
                figures = await _rounds(control, base_url, template, folder, count, rounds)
                burst = await burst_during_broadcast(
                    control, base_url, template, folder, people, recipients
                )
                return {**figures, **burst}


def _median(results: list[dict[str, Any]]) -> float:
    return statistics.median(r["updates_per_s"] for r in results)


async def _rounds(
    control: Control, base_url: str, template: Path, folder: Path, count: int, rounds: int
) -> dict[str, float]:
    bare: list[dict[str, Any]] = []
    bare_concurrent: list[dict[str, Any]] = []
    guichet: list[dict[str, Any]] = []
    guichet_concurrent: list[dict[str, Any]] = []
    await bare_round(control, base_url, count // 10)  # warm-up, not counted
    await guichet_round(control, base_url, template, folder, count // 10)
    for _ in range(rounds):
        bare.append(await bare_round(control, base_url, count))
        guichet.append(await guichet_round(control, base_url, template, folder, count))
        bare_concurrent.append(await bare_round(control, base_url, count, concurrent=True))
        guichet_concurrent.append(await guichet_round(control, base_url, template, folder, count))
        print(
            f"  round: bare {bare[-1]['updates_per_s']:7.1f}, Guichet"
            f" {guichet[-1]['updates_per_s']:7.1f}; bare concurrent"
            f" {bare_concurrent[-1]['updates_per_s']:7.1f}, Guichet"
            f" {guichet_concurrent[-1]['updates_per_s']:7.1f} updates/s"
        )
    bare_rate, guichet_rate = _median(bare), _median(guichet)
    bare_c_rate, guichet_c_rate = _median(bare_concurrent), _median(guichet_concurrent)
    figures = {
        "updates": count,
        "rounds": rounds,
        "people": max(1, count // PER_USER),
        "bare_updates_per_s": bare_rate,
        "guichet_updates_per_s": guichet_rate,
        "ratio": guichet_rate / bare_rate,
        "added_ms_per_update": (1 / guichet_rate - 1 / bare_rate) * 1000,
        "bare_concurrent_updates_per_s": bare_c_rate,
        "guichet_concurrent_updates_per_s": guichet_c_rate,
        "concurrent_ratio": guichet_c_rate / bare_c_rate,
        "guichet_messages_per_update": guichet[-1]["messages_per_update"],
    }
    sample = guichet[-1]["sample"].splitlines()[0]
    print(
        f"telegram path: {count:,} updates per round from {figures['people']:,} people,"
        f" {rounds} rounds, medians\n"
        f"  one at a time: bare PTB echo bot {bare_rate:8.1f} updates/s,"
        f" Guichet {guichet_rate:8.1f} updates/s, ratio {figures['ratio']:.2f}\n"
        f"  concurrent:    bare PTB echo bot {bare_c_rate:8.1f} updates/s,"
        f" Guichet {guichet_c_rate:8.1f} updates/s, ratio {figures['concurrent_ratio']:.2f}\n"
        f"  Guichet: {figures['guichet_messages_per_update']:.2f} messages per update,"
        f" e.g. {sample[:50]!r}"
    )
    return figures


async def _broadcast(app: App, recipients: int) -> None:
    """``recipients`` people reached on Telegram and a broadcast queued for them all."""
    db, now = app.services.db, app.services.clock.now()
    stamp = now.isoformat()
    first = 900_000
    people = range(first, first + recipients)
    async with db.transaction():
        await db.executemany(
            "INSERT INTO persons(id, display_name, created_at) VALUES (?, ?, ?)",
            [(i, f"p{i}", stamp) for i in people],
        )
        await db.executemany(
            "INSERT INTO identities(identity, backend, person_id, address, last_seen,"
            " created_at) VALUES (?, 'telegram', ?, ?, ?, ?)",
            [(f"telegram:{i}", i, str(i), stamp, stamp) for i in people],
        )
        payload = json.dumps(Reply(BROADCAST).to_json())
        await outbox.enqueue_batches(
            db, [outbox.Batch("telegram", payload, json.dumps(list(people)))], kind="bulk", now=now
        )


async def burst_during_broadcast(
    control: Control, base_url: str, template: Path, folder: Path, people: int, recipients: int
) -> dict[str, float]:
    """``people`` send /aide at once while a broadcast is delivering at 30 messages/s."""
    await control.post("rate", per_second=30)
    app = await App.create(Config(db_path=str(fresh_copy(template, folder))))
    await _broadcast(app, recipients)
    before = (await control.status())["polls"]
    polling = start_polling(app, base_url)
    stop = asyncio.Event()
    sender = asyncio.create_task(app.sender.run(stop))
    try:
        await control.polling(before)
        while True:  # a second of broadcast first
            if (await control.get("burst"))["bulk_total"] >= 30:
                break
            await asyncio.sleep(0.05)
        await control.post("burst", n=people)
        while True:
            status = await control.get("burst")
            if status["answered"] >= people:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await polling.halt()
        await sender
        await app.close()
        await control.post("rate", per_second=0)
    latencies = status["latencies"]
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    floor = people / (30 * 0.97)
    print(
        f"  {people} people at once during a {recipients:,}-recipient broadcast at 30 msg/s:"
        f" answer latency p50 {p50:.2f} s, p95 {p95:.2f} s, last {latencies[-1]:.2f} s"
        f" ({people} answers need {floor:.1f} s at the paced rate);"
        f" {status['bulk_during']} broadcast sends while they went, {status['too_many']} × 429"
    )
    return {
        "burst_people": people,
        "burst_recipients": recipients,
        "burst_p50_s": p50,
        "burst_p95_s": p95,
        "burst_last_s": latencies[-1],
        "burst_bulk_during": status["bulk_during"],
        "burst_429": status["too_many"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=2000, help="updates per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--people", type=int, default=200, help="the burst during a broadcast")
    parser.add_argument("--recipients", type=int, default=5000, help="the broadcast's")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for everything")
    parser.add_argument("--json", action="store_true", help="end with the medians as one JSON line")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the child
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(BenchServer()))
        return
    figures = asyncio.run(
        run(args.updates, args.rounds, args.people, args.recipients, args.timeout)
    )
    if args.json:
        print(json.dumps({"bench": "telegram_path", **figures}))


if __name__ == "__main__":
    main()
