"""How long another person's event waits while the similarity index is refitted at size.

Run alone (``.venv/bin/python bench/similar_wait.py``) or through bench/similar.py.
A memory-backend bot holds 10,000 needs; in each round a fifth of them change,
folded in by questions, then one more question (inside an event's
transaction, as the need flow asks it) finds a refit due while another person
sends ``/aide``. Printed: the median of that person's wait, next to the
median of the refit running meanwhile in the background (which is what they
waited before the refit left the event's transaction).
"""

from __future__ import annotations

import asyncio
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
from bot.core.config import Config
from bot.demo import seed as demo
from tests.similar_data import LabelledSet, load


async def _needs(app: App, data: LabelledSet, count: int) -> tuple[int, list[int]]:
    db = app.services.db
    cid = int(await db.fetchval("SELECT id FROM consultations"))
    place = await db.fetchval("SELECT code FROM collectivites LIMIT 1")
    if place is None:
        await db.execute(
            "INSERT INTO collectivites(code, kind, name) VALUES ('24432', 'commune', 'Lampon')"
        )
        place = "24432"
    now = SystemClock().now().isoformat()
    rng = random.Random(7)
    rows = []
    for _ in range(count):
        base = rng.choice(data.needs)
        words = base.text.split()
        kept = [w for w in words if rng.random() > 0.25] or words
        rng.shuffle(kept)
        rows.append((cid, place, base.title, " ".join(kept), "data", now, now))
    async with db.transaction():
        await db.executemany(
            "INSERT INTO contributions(consultation_id, collectivite, title, body, theme,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    ids = [int(r["id"]) for r in await db.fetchall("SELECT id FROM contributions ORDER BY id")]
    return cid, ids


async def _change(app: App, ids: list[int], mark: int) -> None:
    db = app.services.db
    async with db.transaction():
        await db.executemany(
            "UPDATE contributions SET body = body || ? WHERE id = ?",
            [(f" ({mark})", i) for i in ids],
        )


async def run(data: LabelledSet, stored: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        app = await App.create(Config(db_path=str(Path(folder) / "bench.db")))  # type: ignore[arg-type]
        try:
            await demo.seed(app.services.db, SystemClock().now(), "needs")
            chat = MemoryBackend(app)
            await chat.say("other", "/aide")
            cid, ids = await _needs(app, data, stored)
            live = app.services.similarity.of(app.services.db, cid)
            async with live.reading() as index:
                fitted = index._fitted_size
            waits, fits = [], []
            for number in range(rounds):
                await _change(app, ids[: fitted // 5 - 10], number)
                async with live.reading():
                    pass
                await _change(app, ids[fitted // 5 - 10 : fitted // 5 + 10], number)

                async def ask() -> None:
                    async with app.services.db.transaction(), live.reading() as index:
                        index.suggest_proposals(data.needs[0].text)

                started = time.perf_counter()
                asking = asyncio.create_task(ask())
                await asyncio.sleep(0)
                t0 = time.perf_counter()
                await chat.say("other", "/aide")
                waits.append(time.perf_counter() - t0)
                await asking
                await live.settled()
                fits.append(time.perf_counter() - started)
        finally:
            await app.close()
    wait, fit = statistics.median(waits), statistics.median(fits)
    print(
        f"another person's /aide while a refit of {stored:,} needs is due: waits "
        f"{wait * 1000:.0f} ms (median of {rounds}); the refit meanwhile takes {fit:.1f} s "
        f"in the background"
    )
    return {"refit_wait_ms": wait * 1000, "refit_s": fit}


if __name__ == "__main__":
    asyncio.run(run(load(), 10_000, 3))
