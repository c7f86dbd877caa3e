"""Reminder benchmark: how long the reminder job takes to queue a national audience.

Run from the repository root: ``.venv/bin/python bench/reminders.py [--persons N]``.

Builds the synthetic database of ``bench/synthetic.py`` (the ~35,000 communes
of the reference data, ``--persons`` persons with memberships, contributions,
votes and supports), then, for each reminded phase (needs, vote, support),
sets the clock to the instant its 7-day reminder falls due and times
``bot.delivery.notices.remind`` — what the scheduler's reminder job calls: claim the
notice, select those with something left to do, render once per language
and queue one outbox row each, in one transaction. The needs reminder is the
largest audience (every approved member who has not described a need yet).
The notice and its outbox rows are deleted between runs, untimed.

A run that exceeds ``--limit`` seconds is interrupted (``sqlite3_interrupt``;
the transaction rolls back) and reported as such, so the benchmark always
ends. ``--also-analyzed`` then measures again after ``ANALYZE``, which gives
SQLite's planner statistics a fresh database does not have: a diagnosis, not
what ships. Prints medians over the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing, suppress
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import build
from bot.app import App
from bot.core.clock import FrozenClock, to_iso
from bot.core.config import Config
from bot.delivery import notices
from bot.delivery.workdays import SendWindow
from storage import consultations

KINDS = ("needs", "vote", "support")
DAYS = 7


async def bounded_remind(
    app: App, phase_id: int, deadline: str, now: datetime, limit: float
) -> tuple[float, int | None] | None:
    """(seconds, rows queued) of one reminder, or None if it ran past ``limit``."""
    task = asyncio.ensure_future(
        notices.remind(app.services, app.router.commands, phase_id, DAYS, deadline, now)
    )
    started = time.perf_counter()
    done, _ = await asyncio.wait({task}, timeout=limit)
    if not done:
        app.services.db.interrupt()  # the query stops; the transaction rolls back
        with suppress(sqlite3.OperationalError):
            await task
        return None
    return time.perf_counter() - started, task.result()


async def measure(
    path: Path, now: datetime, runs: int, limit: float, label: str
) -> dict[str, float | str]:
    clock = FrozenClock(now)
    app = await App.create(Config(db_path=str(path)), clock=clock)
    db = app.services.db
    figures: dict[str, float | str] = {}
    shown = "after ANALYZE" if label else "as shipped"
    try:
        consultation = await consultations.current(db)
        assert consultation is not None
        window = SendWindow.from_settings(consultation.settings)
        for kind in KINDS:
            phase = next(p for p in consultation.phases if p.kind == kind)
            at = notices.reminder_time(window, phase, DAYS)
            assert at is not None and phase.closes_at is not None
            clock.set(at)
            samples: list[float] = []
            recipients = 0
            for _ in range(runs):
                async with db.transaction():
                    await db.execute("DELETE FROM outbox")
                    await db.execute("DELETE FROM phase_notices")
                found = await bounded_remind(app, phase.id, to_iso(phase.closes_at), at, limit)
                if found is None:
                    break
                seconds, count = found
                if count is None:
                    raise RuntimeError(f"the {kind} reminder was not sent (not due?)")
                samples.append(seconds)
                recipients = count
            key = f"{label}{kind}"
            if not samples:
                figures[f"{key}_s"] = "timeout"
                figures[f"{key}_limit_s"] = limit
                print(f"  {shown:<13} {kind:<8} interrupted after {limit:g} s")
                continue
            median = statistics.median(samples)
            figures[f"{key}_recipients"] = recipients
            figures[f"{key}_s"] = median
            figures[f"{key}_rows_per_s"] = recipients / median
            print(
                f"  {shown:<13} {kind:<8} {recipients:>7,} recipients"
                f"   median {median:6.2f} s (runs {' '.join(f'{s:.2f}' for s in samples)})"
                f"   {recipients / median:>9,.0f} rows/s"
            )
    finally:
        await app.close()
    return figures


async def run(persons: int, runs: int, limit: float, analyzed: bool) -> dict[str, float | str]:
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        built = await build(path, persons, now)
        print(f"reminders: {persons:,} persons built in {built:.1f} s, up to {runs} runs per phase")
        figures = await measure(path, now, runs, limit, "")
        if analyzed:
            with closing(sqlite3.connect(path)) as conn:
                conn.execute("ANALYZE")
            figures.update(await measure(path, now, runs, limit, "analyzed_"))
    return {"persons": persons, "runs": runs, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=float, default=30.0, help="seconds before a run is cut")
    parser.add_argument("--also-analyzed", action="store_true", help="then again after ANALYZE")
    parser.add_argument("--json", action="store_true", help="end with the medians as one JSON line")
    args = parser.parse_args()
    figures = asyncio.run(run(args.persons, args.runs, args.limit, args.also_analyzed))
    if args.json:
        print(json.dumps({"bench": "reminders", **figures}))


if __name__ == "__main__":
    main()
