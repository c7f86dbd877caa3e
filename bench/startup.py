"""Start-up benchmark: how long Guichet takes to be ready, restarted and first started.

Run from the repository root: ``.venv/bin/python bench/startup.py [--persons N]``.

Each sample is a fresh process, as a restart is: it imports the application,
then times ``App.create`` (open the SQLite file, check migrations and the
reference data, forget old event ids, wire the router and the sender) and the
seeding (``demo.seed``: create the consultation unless one exists).

- restart: on a file that already holds the reference data and the synthetic
  consultation of ``bench/synthetic.py`` (``--persons`` persons), so the
  reference data is only checked (digest of the shipped file), not loaded;
- first start: on an empty file, so the ~35,000 communes, EPCI and postcodes
  are loaded and the demo consultation is created.

Prints medians of the time in ``App.create`` + seeding, of the imports, and of
the whole process from spawn to exit (interpreter start-up included).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def once(path: Path) -> dict[str, float]:
    """In the child: import, create the App and seed; the times."""
    started = time.perf_counter()
    from bot.app import App
    from bot.core.config import Config
    from bot.demo import seed as demo

    imported = time.perf_counter()
    app = await App.create(Config(db_path=str(path)))
    await demo.seed(app.services.db, app.services.clock.now(), "needs")
    ready = time.perf_counter()
    await app.close()
    return {"imports_s": imported - started, "create_seed_s": ready - imported}


def sample(path: Path, timeout: float) -> dict[str, float]:
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, __file__, "--once", str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    figures: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
    figures["process_s"] = time.perf_counter() - started
    return figures


def summary(name: str, samples: list[dict[str, float]]) -> dict[str, float]:
    medians = {f"{name}_{key}": statistics.median(s[key] for s in samples) for key in samples[0]}
    runs = " ".join(f"{s['create_seed_s'] * 1000:.0f}" for s in samples)
    print(
        f"  {name:<8} App.create + seed median {medians[f'{name}_create_seed_s'] * 1000:7.0f} ms"
        f" (runs {runs})"
        f"   imports {medians[f'{name}_imports_s'] * 1000:4.0f} ms"
        f"   whole process {medians[f'{name}_process_s'] * 1000:5.0f} ms"
    )
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--first-starts", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per sample")
    parser.add_argument("--json", action="store_true", help="end with the medians as one JSON line")
    parser.add_argument("--once", metavar="DB", help=argparse.SUPPRESS)  # the child's side
    args = parser.parse_args()
    if args.once:
        print(json.dumps(asyncio.run(once(Path(args.once)))))
        return

    # Imported here, not at the top, so that a child's imports are all its own.
    from bench.synthetic import build

    with tempfile.TemporaryDirectory() as folder:
        existing = Path(folder) / "existing.db"
        built = asyncio.run(build(existing, args.persons, datetime.now(UTC).replace(microsecond=0)))
        print(
            f"startup: {args.persons:,} persons built in {built:.1f} s;"
            f" {args.restarts} restarts, {args.first_starts} first starts"
        )
        sample(existing, args.timeout)  # the first open after the build folds the WAL: untimed
        restarts = [sample(existing, args.timeout) for _ in range(args.restarts)]
        firsts = [
            sample(Path(folder) / f"fresh{i}.db", args.timeout) for i in range(args.first_starts)
        ]
    figures = {"persons": float(args.persons)}
    figures.update(summary("restart", restarts))
    figures.update(summary("first", firsts))
    if args.json:
        print(json.dumps({"bench": "startup", **figures}))


if __name__ == "__main__":
    main()
