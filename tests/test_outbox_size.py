"""The outbox stays small: a bulk message's text is stored once, and sent rows
are purged after ``limits.outbox_sent_days`` with what the reports need kept.

At national scale every row kept its own copy of the text, forever: 610,611
rows and 161 MiB of payload in a 386 MiB database.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bot.core.clock import FrozenClock, to_iso
from bot.core.messages import Reply
from bot.delivery import retention
from storage import broadcasts, outbox
from storage.audiences import Audience
from storage.db import Database
from tests.conftest import make_app

TEXT = "Message de l'équipe de la consultation. " * 50  # about 2,000 characters


async def _people(db: Database, count: int, stamp: str) -> str:
    async with db.transaction():
        for pid in range(1, count + 1):
            await db.execute(
                "INSERT INTO persons(id, display_name, locale, created_at) VALUES (?, ?, 'fr', ?)",
                (pid, f"p{pid}", stamp),
            )
            await db.execute(
                "INSERT INTO identities(identity, backend, person_id, last_seen, created_at)"
                " VALUES (?, 'memory', ?, ?, ?)",
                (f"memory:p{pid}", pid, stamp, stamp),
            )
    return json.dumps(list(range(1, count + 1)))


async def test_a_bulk_message_is_stored_once_and_delivered_whole(
    db_path: Path, clock: FrozenClock
) -> None:
    app = await make_app(db_path, clock, seed=False)
    db, now = app.services.db, clock.now()
    ids = await _people(db, 300, to_iso(now))
    payload = json.dumps(Reply(TEXT).to_json(), ensure_ascii=False)
    async with db.transaction():
        count = await outbox.enqueue_batches(
            db, [outbox.Batch("memory", payload, ids)], kind="broadcast", now=now
        )
    assert count == 300
    assert await db.fetchval("SELECT COUNT(*) FROM outbox_payloads") == 1
    stored = await db.fetchval(
        "SELECT SUM(LENGTH(payload)) + (SELECT SUM(LENGTH(body)) FROM outbox_payloads) FROM outbox"
    )
    assert stored < 2 * len(payload)  # not 300 copies
    claim = await outbox.claim(db, "memory", now, now + timedelta(minutes=5), 500, quiet_ok=True)
    assert len(claim.rows) == 300
    assert {json.dumps(row.payload, ensure_ascii=False) for row in claim.rows} == {payload}
    await app.close()


async def test_sent_rows_are_purged_after_the_configured_time_and_reports_still_add_up(
    db_path: Path, clock: FrozenClock
) -> None:
    app = await make_app(db_path, clock, seed=False)
    db, now = app.services.db, clock.now()
    ids = await _people(db, 4, to_iso(now))
    payload = json.dumps(Reply(TEXT).to_json(), ensure_ascii=False)
    async with db.transaction():
        broadcast = await broadcasts.create(
            db,
            consultation_id=None,
            author_id=1,
            text_fr=TEXT,
            text_en="",
            audience=Audience("everyone"),
            recipients=4,
            not_before=now,
            now=now,
        )
        await outbox.enqueue_batches(
            db,
            [outbox.Batch("memory", payload, ids)],
            kind="broadcast",
            now=now,
            broadcast_id=broadcast,
        )
        personal = await outbox.enqueue(db, 1, "approved", Reply("Bienvenue"), now)
    claim = await outbox.claim(db, "memory", now, now + timedelta(minutes=5), 10, quiet_ok=True)
    rows = sorted(row.id for row in claim.rows)
    await outbox.mark_sent(db, rows[0], now)
    await outbox.mark_sent(db, rows[1], now)
    await outbox.mark_final(db, rows[2], "blocked", "blocked by the user")
    await outbox.mark_sent(db, personal, now)
    await outbox.release(db, [rows[3]], None)  # still pending: never purged
    before = await broadcasts.get(db, broadcast)
    assert before is not None and (before.sent, before.blocked, before.waiting) == (2, 1, 1)

    assert await outbox.purge(db, now + timedelta(days=6), keep_days=7) == 0
    assert await outbox.purge(db, now + timedelta(days=8), keep_days=7) == 3
    left = await db.fetchall("SELECT status FROM outbox ORDER BY id")
    assert [r["status"] for r in left] == ["blocked", "pending"]
    after = await broadcasts.get(db, broadcast)
    assert after is not None and (after.sent, after.blocked, after.waiting) == (2, 1, 1)
    assert await db.fetchval("SELECT COUNT(*) FROM outbox_payloads") == 1  # still referenced

    await db.execute("DELETE FROM outbox")
    await outbox.purge(db, now + timedelta(days=9), keep_days=7)
    assert await db.fetchval("SELECT COUNT(*) FROM outbox_payloads") == 0
    await app.close()


async def test_the_purged_space_goes_back_to_the_file_system(
    tmp_path: Path, clock: FrozenClock
) -> None:
    db = await Database.open(tmp_path / "new.db")  # a first start: no reference data copied
    now = clock.now()
    ids = await _people(db, 2000, to_iso(now))
    async with db.transaction():
        for n in range(2000):  # personal notices: each keeps its own text
            await outbox.enqueue(db, n % 2000 + 1, "approved", Reply(f"{n} {TEXT}"), now)
    assert ids
    await db.execute("UPDATE outbox SET status = 'sent', sent_at = ?", (to_iso(now),))
    pages = await db.fetchval("PRAGMA page_count")
    await outbox.purge(db, now + timedelta(days=8), keep_days=7)
    assert await db.fetchval("PRAGMA page_count") < pages / 2
    await db.close()


async def test_the_daily_clean_up_purges_what_was_sent_a_week_ago(
    db_path: Path, clock: FrozenClock
) -> None:
    app = await make_app(db_path, clock, seed=False)
    db, now = app.services.db, clock.now()
    await _people(db, 2, to_iso(now))
    async with db.transaction():
        old = await outbox.enqueue(db, 1, "approved", Reply("Bienvenue"), now)
    await outbox.mark_sent(db, old, now)
    clock.set(now + timedelta(days=app.services.config.limits.outbox_sent_days, hours=1))
    async with db.transaction():
        recent = await outbox.enqueue(db, 2, "approved", Reply("Bienvenue"), clock.now())
    await outbox.mark_sent(db, recent, clock.now())
    await retention.enforce(app.services)
    assert [r["id"] for r in await db.fetchall("SELECT id FROM outbox")] == [recent]
    await app.close()
