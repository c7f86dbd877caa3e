"""How long ``/stats`` takes on a national-sized database.

Run from the repository root: ``.venv/bin/python bench/stats.py [--persons N] [--runs N]``.

Builds a fresh SQLite file with the shipped reference data (~35,000 communes),
then a synthetic consultation in its support phase: 100,000 persons with
approved memberships spread over the communes, 5,000 contributions, 67
proposals, about 400,000 votes and 45,000 supports, dated over the last 60
days (seeded, so runs compare). Prints the median and worst time of
``/stats`` through the router (one SQLite transaction per event, as in
production), then one run of each chart and of ``/export``, and the time
openpyxl takes to write the whole workbook (as ``guichet export`` does).
Target: ``/stats`` median under 500 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import add_consultation
from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from bot.core.config import Config, Limits
from bot.render import exports
from handlers.export import XLSX_CHAT_ROWS
from storage.refdata import ensure_loaded


async def timed(chat: MemoryBackend, user: str, line: str, press: bool = False) -> float:
    start = time.perf_counter()
    replies = await (chat.press(user, line) if press else chat.say(user, line))
    elapsed = time.perf_counter() - start
    assert replies and "reserved" not in replies[0].text, replies
    return elapsed


async def run(persons: int, runs: int, xlsx: bool) -> dict[str, float]:
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as folder:
        limits = Limits(messages_per_minute=10**9)
        config = Config(db_path=str(Path(folder) / "bench.db"), limits=limits)
        app = await App.create(config, clock=FrozenClock(now))
        db = app.services.db
        t0 = time.perf_counter()
        await ensure_loaded(db)
        consultation_id = await add_consultation(db, persons, now)
        counts = {
            table: await db.fetchval(f"SELECT COUNT(*) FROM {table}")
            for table in ("collectivites", "persons", "contributions", "votes", "supports")
        }
        print(f"built in {time.perf_counter() - t0:.1f} s: {counts}")
        chat = MemoryBackend(app)
        await chat.say("staff", "/aide")
        await db.execute(
            "UPDATE persons SET role = 'admin' WHERE id ="
            " (SELECT person_id FROM identities WHERE identity = 'memory:staff')"
        )
        await timed(chat, "staff", "/stats")  # warm the page cache
        samples = [await timed(chat, "staff", "/stats") for _ in range(runs)]
        print(
            f"/stats: median {statistics.median(samples) * 1000:.0f} ms, "
            f"worst {max(samples) * 1000:.0f} ms over {runs} runs"
        )
        figures = {
            "persons": float(counts["persons"]),
            "stats_median_ms": statistics.median(samples) * 1000,
            "stats_worst_ms": max(samples) * 1000,
        }
        for data in ("stats.c:supports", "stats.c:daily", "stats.c:departements"):
            chart_ms = await timed(chat, "staff", data, press=True) * 1000
            figures[f"chart_{data.rsplit(':', 1)[1]}_ms"] = chart_ms
            print(f"{data}: {chart_ms:.0f} ms")
        # Past XLSX_CHAT_ROWS the chat sends CSV files instead of the workbook.
        export_ms = await timed(chat, "staff", "exp.f:xlsx", press=True) * 1000
        figures["export_chat_ms"] = export_ms
        print(f"exp.f:xlsx (CSV past {XLSX_CHAT_ROWS:,} rows): {export_ms:.0f} ms")
        if xlsx:
            built = await exports.tables(db, consultation_id, audit=True)
            t1 = time.perf_counter()
            exports.to_xlsx(app.services.translations.get("fr"), built)
            figures["xlsx_s"] = time.perf_counter() - t1
            rows = sum(b.count for b in built)
            print(f"XLSX of {rows:,} rows: {figures['xlsx_s']:.1f} s")
        await app.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-xlsx", action="store_true", help="skip the whole-workbook timing")
    parser.add_argument("--json", action="store_true", help="end with the figures as one JSON line")
    args = parser.parse_args()
    figures = asyncio.run(run(args.persons, args.runs, not args.no_xlsx))
    if args.json:
        print(json.dumps({"bench": "stats", **figures}))


if __name__ == "__main__":
    main()
