"""Dispatch benchmark: 20,000 events through router, handlers and a SQLite file.

Mostly browsing (help, calendar, profile), some multi-step flows (onboarding
with a commune search, language change), on the memory backend. Prints
events per second and p50/p99 latency; target on a 2-core machine: at least
2,000 events/s and p99 under 10 ms.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import SystemClock
from bot.core.config import Config, Limits
from bot.demo import seed as demo

BROWSING = ["/aide", "/help", "/calendrier", "/profil", "/calendar", "bonjour", "/inconnu"]
ONBOARDING = ["/start", "1", "st julien 24", "1", "1", "1"]
LANGUAGE = ["/langue", "2", "/langue fr"]


def script(events: int, people: int, seed: int) -> list[tuple[str, str]]:
    """A reproducible mix: each person onboards once, then mostly browses."""
    rng = random.Random(seed)
    queues: dict[str, list[str]] = {f"p{i}": list(ONBOARDING) for i in range(people)}
    out: list[tuple[str, str]] = []
    while len(out) < events:
        person = f"p{rng.randrange(people)}"
        queue = queues[person]
        if not queue:
            queue.extend(LANGUAGE if rng.random() < 0.05 else [rng.choice(BROWSING)])
        out.append((person, queue.pop(0)))
    return out


async def run(events: int, people: int, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        # 20,000 events in seconds would trip the per-person flood control by design.
        limits = Limits(messages_per_minute=10**9)
        app = await App.create(Config(db_path=str(Path(folder) / "bench.db"), limits=limits))
        await demo.seed(app.services.db, SystemClock().now(), "needs")
        chat = MemoryBackend(app)
        plan = script(events, people, seed)
        latencies: list[float] = []
        start = time.perf_counter()
        for person, line in plan:
            t0 = time.perf_counter()
            replies = await chat.say(person, line)
            latencies.append(time.perf_counter() - t0)
            if not replies:
                raise RuntimeError(f"no answer to {line!r} from {person}")
        elapsed = time.perf_counter() - start
        members = await app.services.db.fetchval("SELECT COUNT(*) FROM memberships")
        await app.close()
    latencies.sort()
    return {
        "events": len(plan),
        "members": float(members),
        "events_per_s": len(plan) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="end with the medians as one JSON line")
    args = parser.parse_args()
    results = [asyncio.run(run(args.events, args.people, seed)) for seed in range(args.runs)]
    print(f"dispatch: {args.events} events, {args.people} people, {args.runs} runs")
    medians: dict[str, float] = {"events": args.events, "runs": args.runs}
    for key in ("events_per_s", "p50_ms", "p99_ms", "max_ms"):
        values = [r[key] for r in results]
        medians[key] = statistics.median(values)
        print(
            f"  {key:<13} median {medians[key]:9.2f}   runs " + " ".join(f"{v:.2f}" for v in values)
        )
    print(f"  onboarded members per run: {int(results[0]['members'])}")
    if args.json:
        print(json.dumps({"bench": "dispatch", **medians}))


if __name__ == "__main__":
    main()
