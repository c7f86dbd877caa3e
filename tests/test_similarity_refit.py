"""The similarity index's refit at 10,000 needs: other people's events never wait for it,
and an index update never sees a write that is rolled back."""

from __future__ import annotations

import asyncio
import random
import time

from bot.backends.memory import MemoryBackend
from storage import contributions
from tests.conftest import onboard, text
from tests.similar_data import load

STORED = 10_000


async def _many_needs(chat: MemoryBackend) -> tuple[int, list[int]]:
    """10,000 needs made from the labelled set's words, shuffled, as bench/similar.py makes them."""
    db = chat.app.services.db
    cid = int(await db.fetchval("SELECT id FROM consultations"))
    author = int(await db.fetchval("SELECT id FROM persons LIMIT 1"))
    now = chat.app.services.clock.now().isoformat()
    rng = random.Random(7)
    needs = load().needs
    rows = []
    for _ in range(STORED):
        base = rng.choice(needs)
        words = base.text.split()
        kept = [w for w in words if rng.random() > 0.25] or words
        rng.shuffle(kept)
        rows.append((cid, author, "24081", base.title, " ".join(kept), "data", now, now))
    async with db.transaction():
        await db.executemany(
            "INSERT INTO contributions(consultation_id, author_id, collectivite, title, body,"
            " theme, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    ids = [int(r["id"]) for r in await db.fetchall("SELECT id FROM contributions ORDER BY id")]
    return cid, ids


async def _change(chat: MemoryBackend, ids: list[int]) -> None:
    db = chat.app.services.db
    async with db.transaction():
        await db.executemany(
            "UPDATE contributions SET body = body || ' (précisé)' WHERE id = ?",
            [(i,) for i in ids],
        )


async def test_another_persons_event_does_not_wait_behind_a_refit(chat: MemoryBackend) -> None:
    await onboard(chat, "lampon")
    await onboard(chat, "carlux", query="24081")
    cid, ids = await _many_needs(chat)
    live = chat.app.services.similarity.of(chat.app.services.db, cid)
    async with live.reading() as index:  # the first fit, as after a start
        fitted = index._fitted_size
    # a fifth of the index changes, folded in question after question, until a refit is due
    await _change(chat, ids[: fitted // 5 - 10])
    async with live.reading():
        pass
    await _change(chat, ids[fitted // 5 - 10 : fitted // 5 + 10])

    await chat.say("lampon", "/besoin")
    await chat.say("lampon", "Gestion du cimetière")
    await chat.say("lampon", "Informatiser le registre des concessions et le plan des tombes.")
    asking = asyncio.create_task(chat.say("lampon", "1"))  # the summary asks the index
    await asyncio.sleep(0)
    started = time.perf_counter()
    helped = text(await chat.say("carlux", "/aide"))
    waited = time.perf_counter() - started
    refitted_before_help = index._since_fit == 0  # a refit starts the count again
    summary = text(await asking)

    assert "/" in helped
    assert not refitted_before_help, "the other event waited for the whole fit"
    assert waited < 1.0, f"another person's event waited {waited:.2f} s"
    assert "cimeti" in summary
    await live.settled()  # the refit ends in the background and is swapped in
    async with live.reading() as after:
        assert after is index and index._since_fit == 0 and index._fitted_size == fitted


async def test_a_rolled_back_write_never_reaches_the_index(chat: MemoryBackend) -> None:
    await onboard(chat, "lampon")
    db = chat.app.services.db
    cid = int(await db.fetchval("SELECT id FROM consultations"))
    author = int(await db.fetchval("SELECT id FROM persons LIMIT 1"))
    live = chat.app.services.similarity.of(db, cid)
    async with live.reading() as index:
        before = set(index.needs)

    class Undone(Exception):
        pass

    try:
        async with db.transaction():
            written = await contributions.create(
                db,
                cid,
                author_id=author,
                collectivite="24432",
                title="Salle des fêtes",
                body="Réserver la salle en ligne",
                theme="data",
                now=chat.app.services.clock.now(),
            )
            async with live.reading() as index:  # asked after a write, in the same transaction
                assert written not in index.needs
            raise Undone
    except Undone:
        pass
    async with live.reading() as index:
        assert set(index.needs) == before
