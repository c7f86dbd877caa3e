"""The full Telegram path, against a bare python-telegram-bot echo bot.

Run from the repository root: ``.venv/bin/python bench/telegram_path.py [--updates N]``.

The local Bot API server of ``tests/fake_telegram.py`` runs in a child
process (its own core on a 2-core machine), with two routes added for the
benchmark: one queues N private messages at once (``/aide``, ``/calendrier``,
``/profil``, ``/aide``… from N/10 users, so about ten each), one reports how
many answers were sent and when the last one was. Each round, a bot polls it
until every update is answered; the time runs from the moment the updates
are queued to the last ``sendMessage``:

- Guichet: the real ``App`` on a SQLite file (reference data loaded, demo
  consultation seeded; a fresh copy each round, so each round meets its
  users for the first time), driven by ``TelegramBackend`` — PTB's
  Application, Guichet's polling loop with the offset stored in SQLite, the
  router, handlers, HTML rendering. PTB's ``AIORateLimiter`` stays in the
  path with its rates set to 0 (no waiting), so the figure is Guichet's own
  cost, not Telegram's limit;
- bare: a PTB ``Application`` with PTB's own ``Updater`` and one handler that
  echoes the text back, nothing else;

alternated for ``--rounds`` rounds after an uncounted warm-up, medians
printed with the ratio. Then one round of Guichet as configured in
production (``AIORateLimiter`` at Telegram's 30 messages per second) shows
the ceiling a real deployment meets.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, MessageHandler, filters

import bot.backends.telegram.backend as telegram_backend
from bench.child_server import child_server, serve, start_polling
from bot.app import App
from bot.core.config import Config
from bot.demo import seed as demo
from tests.fake_telegram import TOKEN, FakeTelegram, TgUser

TEXTS = ("/aide", "/calendrier", "/profil", "/aide")
PER_USER = 10
QUIET = 0.5
"""Seconds without a new answer, once every update was fetched, that end a round."""


# -- the server, in the child process -------------------------------------------------------
@dataclass
class BenchServer(FakeTelegram):
    """The test suite's fake Bot API, with a load route and a status route."""

    loaded_at: float = 0.0
    last_update: int = 0
    answers: int = 0
    last_answer_at: float = 0.0
    sample: str = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/control/load", self._load)
        app.router.add_get("/control/status", self._status)
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
        self.answers += 1
        self.last_answer_at = time.perf_counter()
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


class UnthrottledLimiter(AIORateLimiter):
    """PTB's limiter in the path, its rates at 0: it never waits."""

    def __init__(self, **configured: Any) -> None:
        super().__init__(overall_max_rate=0, group_max_rate=0)


def fresh_copy(template: Path, folder: Path) -> Path:
    """A copy of the template no round has used yet."""
    path = folder / f"round{len(list(folder.glob('round*.db')))}.db"
    shutil.copy(template, path)
    return path


async def guichet_round(
    control: Control, base_url: str, template: Path, folder: Path, count: int
) -> dict[str, Any]:
    path = fresh_copy(template, folder)
    app = await App.create(Config(db_path=str(path)))
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


async def bare_round(control: Control, base_url: str, count: int) -> dict[str, Any]:
    application = ApplicationBuilder().token(TOKEN).base_url(base_url).job_queue(None).build()
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


async def run(count: int, rounds: int, limited_count: int, seconds: float) -> dict[str, float]:
    async with asyncio.timeout(seconds), child_server(__file__) as base_url:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            template = folder / "template.db"
            await template_database(template)
            async with aiohttp.ClientSession() as session:
                return await _rounds(
                    Control(base_url, session),
                    base_url,
                    template,
                    folder,
                    count,
                    rounds,
                    limited_count,
                )


async def _rounds(
    control: Control,
    base_url: str,
    template: Path,
    folder: Path,
    count: int,
    rounds: int,
    limited_count: int,
) -> dict[str, float]:
    bare: list[dict[str, Any]] = []
    guichet: list[dict[str, Any]] = []
    with mock.patch.object(telegram_backend, "AIORateLimiter", UnthrottledLimiter):
        await bare_round(control, base_url, count // 10)  # warm-up, not counted
        await guichet_round(control, base_url, template, folder, count // 10)
        for _ in range(rounds):
            bare.append(await bare_round(control, base_url, count))
            guichet.append(await guichet_round(control, base_url, template, folder, count))
            print(
                f"  round: bare {bare[-1]['updates_per_s']:7.1f} updates/s,"
                f" Guichet {guichet[-1]['updates_per_s']:7.1f} updates/s"
            )
    limited = await guichet_round(control, base_url, template, folder, limited_count)

    bare_rate = statistics.median(r["updates_per_s"] for r in bare)
    guichet_rate = statistics.median(r["updates_per_s"] for r in guichet)
    figures = {
        "updates": count,
        "rounds": rounds,
        "bare_updates_per_s": bare_rate,
        "guichet_updates_per_s": guichet_rate,
        "ratio": guichet_rate / bare_rate,
        "added_ms_per_update": (1 / guichet_rate - 1 / bare_rate) * 1000,
        "guichet_messages_per_update": guichet[-1]["messages_per_update"],
        "limited_updates": limited_count,
        "limited_updates_per_s": limited["updates_per_s"],
    }
    sample = guichet[-1]["sample"].splitlines()[0]
    print(
        f"telegram path: {count:,} updates per round, {rounds} rounds, medians\n"
        f"  bare PTB echo bot               {bare_rate:8.1f} updates/s"
        f"  ({1000 / bare_rate:.2f} ms each)\n"
        f"  Guichet (limiter not waiting)   {guichet_rate:8.1f} updates/s"
        f"  ({1000 / guichet_rate:.2f} ms each; {figures['guichet_messages_per_update']:.2f}"
        f" messages per update, e.g. {sample[:50]!r})\n"
        f"  Guichet / bare                  {figures['ratio']:8.2f}"
        f"  (Guichet adds {figures['added_ms_per_update']:.2f} ms per update)\n"
        f"  Guichet, production limiter     {limited['updates_per_s']:8.1f} updates/s"
        f"  ({limited_count} updates; Telegram allows 30 messages/s)"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=2000, help="updates per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limited-updates", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for everything")
    parser.add_argument("--json", action="store_true", help="end with the medians as one JSON line")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the child
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(BenchServer()))
        return
    figures = asyncio.run(run(args.updates, args.rounds, args.limited_updates, args.timeout))
    if args.json:
        print(json.dumps({"bench": "telegram_path", **figures}))


if __name__ == "__main__":
    main()
