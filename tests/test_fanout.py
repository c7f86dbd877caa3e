"""Fan-out: one outbox row per reachable person, in person order, the message
rendered and stored once per language, command prefix and variant, queued in
batches after the transaction that decided it, resumed after a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.core.clock import FrozenClock, to_iso
from bot.core.context import Recipient, Services, VariantRender
from bot.core.messages import Reply
from bot.delivery import fanout
from storage import audiences, fanouts, outbox
from storage.audiences import Audience, Targets
from storage.db import Database
from tests.conftest import make_app

# id: (locale, locale_hint, [(backend, last_seen), …]); ids interleave the batches.
PEOPLE: dict[int, tuple[str | None, str | None, list[tuple[str, str]]]] = {
    1: ("fr", None, [("telegram", "2026-11-01")]),
    2: ("en", None, [("matrix", "2026-11-01")]),
    3: (None, "en-GB", [("telegram", "2026-11-01")]),
    4: ("fr", None, [("matrix", "2026-11-01")]),
    5: (None, "fr-FR", [("telegram", "2026-11-01")]),  # reads what person 1 reads
    6: ("fr", None, []),  # no identity left: unreachable
    7: ("en", None, [("telegram", "2026-10-01"), ("matrix", "2026-11-20")]),  # last heard on Matrix
    8: (None, None, [("telegram", "2026-11-01")]),
}


class Everyone:
    """A bulk kind for the test: everyone, the same words, rendered on demand."""

    def __init__(self) -> None:
        self.rendered: list[tuple[str, str]] = []
        self.fail_after: int | None = None
        self.batches = 0

    async def targets(self, db: Database, spec: dict[str, Any], low: int, high: int) -> Targets:
        self.batches += 1
        if self.fail_after is not None and self.batches > self.fail_after:
            raise RuntimeError("the process stops here")
        return await audiences.between(db, Audience("everyone"), 0, low, high)

    async def renderer(self, services: Services, spec: dict[str, Any]) -> VariantRender | None:
        def render(r: Recipient, variant: str) -> Reply:
            self.rendered.append((r.t.locale, r.prefix))
            return Reply(f"{r.t.locale} {r.cmd('help')} {spec['word']}")

        return render


async def _people(app: App, stamp: str) -> None:
    db = app.services.db
    async with db.transaction():
        for pid, (locale, hint, seen) in PEOPLE.items():
            await db.execute(
                "INSERT INTO persons(id, display_name, locale, locale_hint, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (pid, f"p{pid}", locale, hint, stamp),
            )
            for backend, last_seen in seen:
                await db.execute(
                    "INSERT INTO identities(identity, backend, person_id, last_seen, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (f"{backend}:{pid}", backend, pid, last_seen, stamp),
                )


async def _rows(db: Database) -> list[tuple[int, str, str]]:
    found = await db.fetchall(
        "SELECT person_id, backend, body AS payload FROM outbox o"
        " JOIN outbox_payloads pl ON pl.id = o.payload_id ORDER BY o.person_id"
    )
    return [(r["person_id"], r["backend"], json.loads(r["payload"])["text"]) for r in found]


async def test_fan_out_renders_once_per_language_and_prefix_after_the_commit(
    db_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "BATCH", 3)  # several batches for eight persons
    app = await make_app(db_path, clock, seed=False)
    db = app.services.db
    await _people(app, to_iso(clock.now()))
    app.services.command_prefixes["matrix"] = "!"
    kind = app.services.bulk_kinds["test"] = Everyone()
    async with db.transaction():
        fanout_id = await fanout.start(
            app.services, app.router.commands, "test", {"word": "salut"}, now=clock.now()
        )
        assert await db.fetchval("SELECT COUNT(*) FROM outbox") == 0  # not inside
    job = await fanouts.get(db, fanout_id)
    assert job is not None and job.done and job.queued == 7 and kind.batches == 3
    assert sorted(kind.rendered) == [("en", "!"), ("en", "/"), ("fr", "!"), ("fr", "/")]
    assert await db.fetchval("SELECT COUNT(*) FROM outbox_payloads") == 4  # one per text
    assert await _rows(db) == [
        (1, "telegram", "fr /aide salut"),
        (2, "matrix", "en !help salut"),
        (3, "telegram", "en /help salut"),
        (4, "matrix", "fr !aide salut"),
        (5, "telegram", "fr /aide salut"),
        (7, "matrix", "en !help salut"),
        (8, "telegram", "fr /aide salut"),
    ]
    await app.close()


async def test_a_fan_out_cut_short_is_resumed_without_repeating_anyone(
    db_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "BATCH", 3)
    app = await make_app(db_path, clock, seed=False)
    db = app.services.db
    await _people(app, to_iso(clock.now()))
    kind = app.services.bulk_kinds["test"] = Everyone()
    kind.fail_after = 1  # the process stops after the first batch
    async with db.transaction():
        await fanout.start(
            app.services, app.router.commands, "test", {"word": "x"}, now=clock.now()
        )
    assert [r[0] for r in await _rows(db)] == [1, 2]  # persons 1-2 of ids 0-2
    assert await fanouts.pending(db)
    kind.fail_after = None
    assert await fanout.resume(app.services, app.router.commands) == 7
    assert [r[0] for r in await _rows(db)] == [1, 2, 3, 4, 5, 7, 8]
    assert await fanouts.pending(db) == []
    await app.close()


async def test_a_fan_out_rolled_back_queues_nothing(db_path: Path, clock: FrozenClock) -> None:
    app = await make_app(db_path, clock, seed=False)
    db = app.services.db
    await _people(app, to_iso(clock.now()))
    app.services.bulk_kinds["test"] = Everyone()
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await fanout.start(
                app.services, app.router.commands, "test", {"word": "x"}, now=clock.now()
            )
            raise RuntimeError("the event failed")
    assert await db.fetchval("SELECT COUNT(*) FROM fanouts") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM outbox") == 0
    assert not Targets() and len(Targets()) == 0
    assert await outbox.enqueue_batches(db, [], kind="x", now=clock.now()) == 0
    await app.close()
