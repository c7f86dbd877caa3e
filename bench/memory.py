"""Memory benchmark: the resident set of a process holding Guichet at national size.

Run from the repository root: ``.venv/bin/python bench/memory.py [--persons N]``.

Builds the synthetic database of ``bench/synthetic.py`` (~35,000 communes,
``--persons`` persons with approved memberships, their contributions, votes
and supports), then measures in a fresh child process, so that building the
database does not count: the App is created on that file, a batch of events
goes through the router (the dispatch benchmark's mix: onboarding with a
commune search, browsing, language changes), a staff member opens ``/stats``
and a chart, and finally a broadcast to everyone is queued (the largest
fan-out, one outbox row per person). Prints the high-water mark of the
resident set (``getrusage`` ``ru_maxrss``) after each step, and the current
resident set at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import build


def peak_mb() -> float:
    """High-water mark of this process's resident set (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


async def measure(path: Path, events: int, people: int) -> dict[str, float]:
    """In the child: the steps, with the high-water mark after each."""
    from bench.dispatch import script
    from bot.app import App
    from bot.backends.memory import MemoryBackend
    from bot.core.clock import FrozenClock
    from bot.core.config import Config, Limits
    from bot.delivery import fanout
    from storage import broadcasts, consultations, fanouts
    from storage.audiences import Audience

    figures = {"imports_mb": peak_mb()}
    now = datetime.now(UTC).replace(microsecond=0)
    limits = Limits(messages_per_minute=10**9)  # a batch in seconds would trip flood control
    app = await App.create(Config(db_path=str(path), limits=limits), clock=FrozenClock(now))
    db = app.services.db
    figures["started_mb"] = peak_mb()

    chat = MemoryBackend(app)
    for person, line in script(events, people, seed=0):
        if not await chat.say(person, line):
            raise RuntimeError(f"no answer to {line!r}")
    await chat.say("staff", "/aide")
    await db.execute(
        "UPDATE persons SET role = 'admin' WHERE id ="
        " (SELECT person_id FROM identities WHERE identity = 'memory:staff')"
    )
    for line in ("/stats", "stats.c:supports"):
        replies = await (chat.press("staff", line) if ":" in line else chat.say("staff", line))
        if not replies or "reserved" in replies[0].text:
            raise RuntimeError(f"{line} refused: {replies}")
    figures["events"] = events
    figures["after_events_mb"] = peak_mb()

    consultation = await consultations.current(db)
    assert consultation is not None
    now = app.services.clock.now()
    async with db.transaction():
        broadcast_id = await broadcasts.create(
            db,
            consultation_id=consultation.id,
            author_id=1,
            text_fr="Bonjour à toutes et à tous.",
            text_en="Hello everyone.",
            audience=Audience("everyone"),
            recipients=0,
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
            quiet=False,
            broadcast_id=broadcast_id,
        )
    job = await fanouts.get(db, fanout_id)  # queued in batches once committed
    rows = job.queued if job else 0
    figures["broadcast_rows"] = rows
    figures["after_broadcast_mb"] = peak_mb()
    figures["current_mb"] = current_mb()
    figures["persons"] = float(await db.fetchval("SELECT COUNT(*) FROM persons"))
    figures["communes"] = float(
        await db.fetchval("SELECT COUNT(*) FROM collectivites WHERE kind = 'commune'")
    )
    await app.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--people", type=int, default=500, help="persons sending the events")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for the child")
    parser.add_argument("--json", action="store_true", help="end with the figures as one JSON line")
    parser.add_argument("--measure", metavar="DB", help=argparse.SUPPRESS)  # the child's side
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(Path(args.measure), args.events, args.people))))
        return

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        built = asyncio.run(build(path, args.persons, datetime.now(UTC).replace(microsecond=0)))
        print(f"memory: {args.persons:,} persons built in {built:.1f} s; measuring in a child")
        extra = ["--events", str(args.events), "--people", str(args.people)]
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(path), *extra],
            capture_output=True,
            text=True,
            timeout=args.timeout,
            check=True,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        figures["child_s"] = time.perf_counter() - started
    print(
        f"  {int(figures['communes']):,} communes, {int(figures['persons']):,} persons;"
        f" high-water mark of the resident set (MiB):"
    )
    for key, what in (
        ("imports_mb", "after imports"),
        ("started_mb", "after App.create"),
        ("after_events_mb", f"after {args.events:,} events, /stats and a chart"),
        ("after_broadcast_mb", f"after queueing a broadcast to {figures['broadcast_rows']:,}"),
    ):
        print(f"  {what:<45} {figures[key]:7.1f}")
    print(f"  {'resident at the end':<45} {figures['current_mb']:7.1f}")
    if args.json:
        print(json.dumps({"bench": "memory", **figures}))


if __name__ == "__main__":
    main()
