"""Fan-out: one outbox row per reachable person, in person order, the message
rendered once per language and command prefix."""

from __future__ import annotations

import json
from pathlib import Path

from bot.core.clock import FrozenClock, to_iso
from bot.core.context import Recipient
from bot.core.messages import Reply
from bot.delivery.fanout import fan_out
from storage import audiences, outbox
from storage.audiences import Audience, Targets
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


async def test_fan_out_renders_once_per_language_and_prefix_in_person_order(
    db_path: Path, clock: FrozenClock
) -> None:
    app = await make_app(db_path, clock, seed=False)
    db, stamp = app.services.db, to_iso(clock.now())
    app.services.command_prefixes["matrix"] = "!"
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
    rendered: list[tuple[str, str]] = []

    def render(r: Recipient) -> Reply:
        rendered.append((r.t.locale, r.prefix))
        return Reply(f"{r.t.locale} {r.cmd('help')}")

    async with db.transaction():
        targets = await audiences.targets(db, Audience("everyone"), 0)
        assert len(targets) == 7
        count = await fan_out(
            app.services, app.router.commands, targets, "broadcast", render, now=clock.now()
        )
    assert count == 7
    assert sorted(rendered) == [("en", "!"), ("en", "/"), ("fr", "!"), ("fr", "/")]
    found = await db.fetchall(
        "SELECT person_id, backend, body AS payload FROM outbox o"
        " JOIN outbox_payloads pl ON pl.id = o.payload_id ORDER BY o.id"
    )
    assert await db.fetchval("SELECT COUNT(*) FROM outbox_payloads") == 4  # one per text
    assert [(r["person_id"], r["backend"], json.loads(r["payload"])["text"]) for r in found] == [
        (1, "telegram", "fr /aide"),
        (2, "matrix", "en !help"),
        (3, "telegram", "en /help"),
        (4, "matrix", "fr !aide"),
        (5, "telegram", "fr /aide"),
        (7, "matrix", "en !help"),
        (8, "telegram", "fr /aide"),
    ]
    await app.close()


async def test_nobody_to_reach_queues_nothing(db_path: Path, clock: FrozenClock) -> None:
    app = await make_app(db_path, clock, seed=False)
    assert not Targets() and len(Targets()) == 0
    assert await outbox.enqueue_batches(app.services.db, [], kind="x", now=clock.now()) == 0
    count = await fan_out(
        app.services,
        app.router.commands,
        Targets(),
        "broadcast",
        lambda r: Reply("-"),
        now=clock.now(),
    )
    assert count == 0
    await app.close()
