"""The national run as deployed: every step through the chat, one process, no restart.

First start on an empty database, as the README says (``guichet staff add``,
then the app), with the 2021 calendar as it was run (needs; vote and support
in one step; selection). Three persons per commune of the shipped reference
data (104,907) say which commune they represent by typing its name; a fifth
of them write a need; the staff group the needs into 67 proposals; the phase
openings are announced; elected officials support; the staff broadcast and
send the results; reminders go; the staff export. The outbox is delivered by
the sender's production loop through a backend that only counts.

While each national fan-out is queued, a probe person keeps writing: their
wait is what everyone would see. Printed per stage: events/s, p50/p99 of an
event, RSS and database size; during onboarding, per 10,000 persons.

    .venv/bin/python bench/national.py            # 104,907 persons (~20 min)
    .venv/bin/python bench/national.py --quick    # 1,500 persons (~1 min)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.memory import current_mb
from bot.app import App
from bot.backends.base import Connectivity, Host
from bot.core.clock import PARIS, FrozenClock, to_iso
from bot.core.config import load
from bot.core.messages import Incoming, Reply, from_text
from bot.delivery import notices, retention
from bot.ops import export_cli
from bot.ops import maintenance as ops
from storage import consultations, persons, proposal_import
from storage.db import Database
from tests.as_run_2021 import AS_RUN_2021

PROPOSALS = 67
SELECTED = 17
PROBE_EVERY = 0.05
BLOCK = 10_000


class CountingBackend:
    """Delivers by counting: what a platform would receive, without keeping it."""

    name = "memory"
    command_prefix = "/"

    def __init__(self) -> None:
        self.delivered = 0
        self.connectivity = Connectivity(self.name)
        self.connectivity.up()

    async def run(self, host: Host, stop: asyncio.Event) -> None:
        await stop.wait()

    async def deliver(self, identity: str, address: str, reply: Reply, **how: Any) -> None:
        self.delivered += 1

    async def close(self) -> None:
        return None


class PeakRss:
    """The resident set's high-water mark over a stretch (ru_maxrss cannot be reset)."""

    def __init__(self) -> None:
        self.peak = current_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, current_mb())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Stage:
    name: str
    started: float = field(default_factory=time.perf_counter)
    latencies: list[float] = field(default_factory=list)

    def line(self, db_mb: float, extra: str = "") -> str:
        took = time.perf_counter() - self.started
        n = len(self.latencies)
        rate = n / took if took else 0.0
        p50, p99 = _percentiles(self.latencies)
        return (
            f"| {self.name} | {n:,} | {took:,.1f} s | {rate:,.0f} | {p50:.1f} | {p99:.1f} |"
            f" {current_mb():.0f} MiB | {db_mb:.0f} MiB | {extra} |"
        )


def _percentiles(values: list[float]) -> tuple[float, float]:
    if not values:
        return 0.0, 0.0
    ordered = sorted(values)
    return (
        statistics.median(ordered) * 1000,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    )


class Run:
    def __init__(self, app: App, clock: FrozenClock, backend: CountingBackend) -> None:
        self.app, self.clock, self.backend = app, clock, backend
        self.db = app.services.db
        self._ids = itertools.count(1)
        self.stage = Stage("start")
        self.table: list[str] = []

    async def say(self, user: str, text: str) -> list[Reply]:
        incoming = from_text(
            f"memory:{user}", f"memory:{next(self._ids)}", text, display_name=user, address=user
        )
        return await self.timed(incoming)

    async def timed(self, incoming: Incoming) -> list[Reply]:
        self.clock.advance(timedelta(milliseconds=20))
        began = time.perf_counter()
        replies = await self.app.handle(incoming)
        self.stage.latencies.append(time.perf_counter() - began)
        return replies

    async def pick(self, user: str, replies: list[Reply], data: str) -> list[Reply]:
        """Type the number of the choice that carries ``data`` (as a person reads the list)."""
        for reply in reversed(replies):
            for index, choice in enumerate(reply.choices, start=1):
                if choice.data.startswith(data):
                    return await self.say(user, str(index))
        raise RuntimeError(f"{user}: no choice {data!r} in {[r.text for r in replies]}")

    def db_mb(self) -> float:
        path = Path(self.db.path)
        wal = Path(f"{path}-wal")
        return (path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / 2**20

    def begin(self, name: str) -> None:
        self.stage = Stage(name)

    def end(self, extra: str = "") -> None:
        line = self.stage.line(self.db_mb(), extra)
        self.table.append(line)
        print(line, flush=True)

    async def while_probing(self, work: Callable[[], Awaitable[Any]]) -> tuple[Any, str]:
        """Run ``work`` while a probe person keeps writing; what the probe waited."""
        waits: list[float] = []
        done = asyncio.Event()

        async def probe() -> None:
            while not done.is_set():
                incoming = from_text("memory:probe", f"memory:{next(self._ids)}", "/aide")
                began = time.perf_counter()
                await self.app.handle(incoming)
                waits.append(time.perf_counter() - began)
                await asyncio.sleep(PROBE_EVERY)

        prober = asyncio.create_task(probe())
        with PeakRss() as rss:
            try:
                result = await work()
            finally:
                done.set()
                await prober
        p50, _ = _percentiles(waits)
        worst = max(waits) * 1000 if waits else 0.0
        return result, (
            f"probe: {len(waits)} events, p50 {p50:.1f} ms, max {worst:.0f} ms;"
            f" peak {rss.peak:.0f} MiB"
        )

    async def settle(self) -> None:
        """Let the sender deliver what is due."""
        while await self.db.fetchval(
            "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')"
            " AND not_before <= ?",
            (to_iso(self.clock.now()),),
        ):
            self.app.sender.wake()
            await asyncio.sleep(0.2)

    async def day(self, when: datetime) -> None:
        """Move the clock to ``when``, running the daily clean-up once per day passed."""
        while self.clock.now().date() < when.date():
            self.clock.set(self.clock.now() + timedelta(days=1))
            await retention.enforce(self.app.services)
        self.clock.set(when)


async def first_start(path: Path, clock: FrozenClock) -> App:
    """``guichet staff add memory:staff --staff`` then the app, on an empty file."""
    db = await Database.open(path)
    staff = await persons.ensure(db, "memory:staff", now=clock.now())
    await persons.set_role(db, staff.id, "admin")
    await db.close()
    config_path = path.with_suffix(".toml")
    config_path.write_text(AS_RUN_2021.format(database=path), encoding="utf-8")
    config = load(config_path, env={})
    assert config.consultation is not None
    app = await App.create(config, clock=clock)
    await ops.ensure_consultation(app.services.db, config.consultation, clock.now())
    return app


async def onboarding(run: Run, communes: list[tuple[str, str, str]]) -> list[str]:
    """Three persons per commune type its name and département; the first is the mayor."""
    run.begin("onboarding")
    users: list[str] = []
    rates: list[float] = []
    mark, block_began = 0, time.perf_counter()
    total = len(communes) * 3
    for index, (code, name, departement) in enumerate(
        (c for c in communes for _ in range(3)), start=1
    ):
        user = f"u{index}"
        await run.say(user, "/start")
        await run.say(user, "1")  # français
        replies = await run.say(user, f"{name} {departement}")
        if any(c.data.startswith("onb.pick") for r in replies for c in r.choices):
            replies = await run.pick(user, replies, f"onb.pick:{code}")
        role = "onb.role:elu" if index % 3 == 1 else "onb.role:agent"
        replies = await run.pick(user, replies, role)
        await run.pick(user, replies, "onb.ok")
        users.append(user)
        if index % BLOCK == 0 or index == total:
            block = run.stage.latencies[mark:]
            rates.append(len(block) / (time.perf_counter() - block_began))
            p50, p99 = _percentiles(block)
            print(
                f"    persons {(index - 1) // BLOCK * BLOCK + 1:,}–{index:,}:"
                f" {rates[-1]:,.0f} events/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms,"
                f" RSS {current_mb():.0f} MiB, DB {run.db_mb():.0f} MiB",
                flush=True,
            )
            mark, block_began = len(run.stage.latencies), time.perf_counter()
    full = [rate for i, rate in enumerate(rates) if (i + 1) * BLOCK <= total]
    ratio = f"; last block at {full[-1] / full[0]:.0%} of the first" if len(full) > 1 else ""
    run.end(f"{len(users):,} persons{ratio}")
    return users


async def needs(run: Run, users: list[str]) -> list[str]:
    run.begin("needs (a fifth of the persons)")
    authors = users[::5]
    for n, user in enumerate(authors):
        await run.say(user, "/besoin")
        await run.say(user, f"Besoin numérique {n}")
        await run.say(user, f"Notre collectivité a besoin d'un outil partagé, numéro {n}.")
        await run.say(user, "1")  # the first theme
        await run.say(user, "1")  # send
    run.end(f"{len(authors):,} needs")
    return authors


async def review(run: Run, tmp: Path) -> None:
    """67 proposals imported (``guichet proposals import``), every need grouped by /regrouper."""
    run.begin("review (import, /regrouper)")
    consultation = await consultations.current(run.db)
    assert consultation is not None
    from bot.core import themes

    theme = themes.keys(consultation)[0]
    rows = [
        {"number": n, "title": f"Proposition {n}", "summary": "Un service partagé.", "theme": theme}
        for n in range(1, PROPOSALS + 1)
    ]
    source = tmp / "proposals.json"
    source.write_text(json.dumps(rows), encoding="utf-8")
    await proposal_import.load(run.db, source, themes.keys(consultation), run.clock.now())
    ids = [int(r[0]) for r in await run.db.fetchall("SELECT id FROM contributions ORDER BY id")]
    for chunk_start in range(0, len(ids), 300):
        chunk = ids[chunk_start : chunk_start + 300]
        number = chunk_start // 300 % PROPOSALS + 1
        await run.say("staff", f"/regrouper {number} " + " ".join(map(str, chunk)))
    run.end(f"{len(ids):,} needs grouped")


async def announce(run: Run, name: str) -> None:
    run.begin(name)
    services, commands = run.app.services, run.app.router.commands
    count, probe = await run.while_probing(
        lambda: notices.announce_open(services, commands, run.clock.now())
    )
    run.end(f"{count[1] if count else 0:,} queued; {probe}")


async def remind(run: Run, kind: str, days: int) -> None:
    consultation = await consultations.current(run.db)
    assert consultation is not None
    phase = next(p for p in consultation.phases if p.kind == kind)
    assert phase.closes_at is not None
    from bot.delivery.workdays import SendWindow

    at = notices.reminder_time(SendWindow.from_settings(consultation.settings), phase, days)
    assert at is not None
    await run.day(at)
    run.begin(f"{kind} reminder, {days} days before")
    services, commands = run.app.services, run.app.router.commands
    count, probe = await run.while_probing(
        lambda: notices.remind(
            services, commands, phase.id, days, to_iso(phase.closes_at), run.clock.now()
        )
    )
    run.end(f"{count or 0:,} queued; {probe}")
    await run.settle()


async def supports(run: Run, users: list[str]) -> None:
    """The mayor of every other commune supports one to three proposals."""
    run.begin("supports (mayors of half the communes)")
    mayors = users[::3][::2]
    for n, user in enumerate(mayors):
        for k in range(n % 3 + 1):
            replies = await run.say(user, f"/proposition {(n + k * 7) % PROPOSALS + 1}")
            await run.pick(user, replies, "sup.add")
    run.end(f"{len(mayors):,} mayors")


async def broadcast(run: Run) -> None:
    run.begin("broadcast to everyone (/diffuser)")
    await run.say("staff", "/diffuser nouveau")
    await run.say("staff", "Il reste dix jours pour déclarer le soutien de votre collectivité.")
    replies = await run.say("staff", "Ten days left to declare your collectivité's support.")
    replies = await run.say("staff", "1")  # everyone
    _, probe = await run.while_probing(lambda: run.pick("staff", replies, "bc.send"))
    run.end(probe)


async def results(run: Run) -> None:
    run.begin("results (/selection, 17 selected)")
    from storage import selection

    consultation = await consultations.current(run.db)
    assert consultation is not None
    ids = [int(r[0]) for r in await run.db.fetchall("SELECT id FROM proposals ORDER BY number")]
    async with run.db.transaction():  # the staff's marks, one tap each in /selection
        for n, proposal_id in enumerate(ids):
            mark = "selected" if n < SELECTED else "not_selected"
            await selection.mark(run.db, consultation.id, proposal_id, mark)
    replies = await run.say("staff", "/selection")
    replies = await run.pick("staff", replies, "sel.ann")
    _, probe = await run.while_probing(lambda: run.pick("staff", replies, "sel.go"))
    run.end(probe)


async def exports(run: Run, tmp: Path) -> None:
    run.begin("/export csv + xlsx")
    before = current_mb()
    with PeakRss() as rss:
        replies = await run.say("staff", "/export tout")
    files = sum(1 for r in replies if r.file is not None)
    run.end(f"{files} files; RSS {before:.0f} → peak {rss.peak:.0f} → {current_mb():.0f} MiB")
    run.begin("guichet export (command line)")
    began = time.perf_counter()
    with PeakRss() as rss:
        args = argparse.Namespace(out=str(tmp / "export"), format="both", lang="fr")
        with contextlib.redirect_stdout(io.StringIO()):  # the files it wrote, one a line
            await export_cli.run(args, run.db.path)
    run.end(f"{time.perf_counter() - began:.1f} s; peak {rss.peak:.0f} MiB")


async def exports_only(path: Path) -> None:
    """``/export`` and ``guichet export`` again on a database a full run kept."""
    clock = FrozenClock(datetime(2027, 5, 12, 10, tzinfo=PARIS))
    config = load(path.with_suffix(".toml"), env={})
    app = await App.create(config, clock=clock)
    app.add_backend(CountingBackend())
    run = Run(app, clock, CountingBackend())
    try:
        with tempfile.TemporaryDirectory() as raw:
            await exports(run, Path(raw))
    finally:
        await app.close()


async def main(args: argparse.Namespace) -> None:
    if args.exports_only:
        await exports_only(Path(args.db))
        return
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        path = Path(args.db) if args.db else tmp / "national.db"
        clock = FrozenClock(datetime(2027, 1, 25, 9, 0, tzinfo=PARIS))
        app = await first_start(path, clock)
        backend = CountingBackend()
        app.add_backend(backend)
        stop = asyncio.Event()
        sender = asyncio.create_task(app.sender.run(stop))
        run = Run(app, clock, backend)
        print("| stage | events | time | events/s | p50 ms | p99 ms | RSS | DB | notes |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        try:
            communes = [
                (str(r[0]), str(r[1]), str(r[2]))
                for r in await app.services.db.fetchall(
                    "SELECT code, name, departement FROM collectivites WHERE kind = 'commune'"
                    " ORDER BY code"
                )
            ]
            if args.communes:
                communes = communes[:: max(1, len(communes) // args.communes)][: args.communes]
            users = await onboarding(run, communes)
            await run.day(datetime(2027, 2, 15, 10, tzinfo=PARIS))
            await needs(run, users)
            await remind(run, "needs", 7)
            await run.day(datetime(2027, 3, 20, 10, tzinfo=PARIS))
            await review(run, tmp)
            await run.day(datetime(2027, 4, 1, 10, tzinfo=PARIS))
            await announce(run, "support phase announced to everyone")
            await run.settle()
            await supports(run, users)
            await run.day(datetime(2027, 4, 20, 10, tzinfo=PARIS))
            await broadcast(run)
            await run.settle()
            await remind(run, "support", 7)
            await run.day(datetime(2027, 5, 3, 10, tzinfo=PARIS))
            await announce(run, "selection announced to everyone")
            await run.settle()
            await results(run)
            await run.settle()
            await exports(run, tmp)
            await run.day(datetime(2027, 5, 12, 10, tzinfo=PARIS))  # a week on: the purge
            run.begin("end")
            await app.services.db.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
            rows = await app.services.db.fetchval("SELECT COUNT(*) FROM outbox")
            run.end(f"{backend.delivered:,} delivered; {rows:,} outbox rows left")
        finally:
            stop.set()
            await sender
            await app.close()
        total = time.perf_counter() - began
        size = path.stat().st_size / 2**20
        print(f"\ntotal {total / 60:.1f} min; database {size:.0f} MiB at the end")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 communes (1,500 persons)")
    parser.add_argument("--communes", type=int, default=0, help="only this many communes")
    parser.add_argument("--db", default="", help="keep the database here")
    parser.add_argument(
        "--exports-only", action="store_true", help="only the exports, on the kept --db"
    )
    args = parser.parse_args(argv)
    if args.quick and not args.communes:
        args.communes = 500
    return args


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    asyncio.run(main(parse()))
