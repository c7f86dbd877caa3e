"""Outbound notifications, written in the transaction of the fact that caused them.

A row goes pending → sending (claimed, with a lease) → sent | failed | blocked,
or back to pending with a later ``not_before`` when the platform asks to wait
or fails for a while. Rows carry the backend they go through so each
platform's lane walks only its own, in (priority, id) order.

A bulk message's text is stored once (``outbox_payloads``) and referenced by
each recipient's row; a personal notice keeps its own in ``payload``. Sent
rows are purged after a while (``purge``): the outbox holds what is still to
do and what went wrong, not the history of every message.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from storage import events
from storage.db import Database
from storage.instants import to_iso

ANSWER = 0
"""Priority of an answer to the person speaking: someone is looking at the screen."""
PERSONAL = 1
"""Priority of a notice about the person's own business (approval, review)."""
BULK = 2
"""Priority of announcements, reminders and broadcasts: they may wait a little."""
PRIVATE_ANSWER = "private"
"""Kind of an answer asked for in a shared room and sent to the private chat
instead; refused while the person has not opened one, it is tried again when
they do (``storage.persons.resolve_sync``)."""

_TARGET_BACKEND = (
    "(SELECT i.backend FROM identities i WHERE i.person_id = ? ORDER BY i.last_seen DESC LIMIT 1)"
)


class Payload(Protocol):
    """What the outbox stores of a message: its JSON form (``bot.core.messages.Reply``)."""

    def to_json(self) -> dict[str, object]: ...


@dataclass(frozen=True)
class Claimed:
    """A row this process now owns until its lease ends, with where it goes."""

    id: int
    person_id: int
    kind: str
    payload: dict[str, object]
    """The message as ``Reply.to_json`` wrote it; delivery turns it back into a reply."""
    attempts: int
    identity: str
    address: str
    priority: int = BULK
    context: dict[str, str] | None = None
    """What the backend needs to answer in place (``bot.backends.base.Where``)."""

    def key(self, prefix: str) -> str:
        """Names this message for good: a platform that deduplicates (Matrix
        transaction ids) recognises a resend after a crash by it. ``prefix``
        is this database's own (``key_prefix``): another database, whose row
        ids start from 1 too, must never name a message the same."""
        return f"{prefix}.o{self.id}"

    @property
    def chat(self) -> str:
        """The platform's conversation, for per-chat pacing."""
        return self.address or self.identity.split(":", 1)[1]


@dataclass(frozen=True)
class Claim:
    rows: list[Claimed]
    moved: int
    """Rows whose person is now reached through another backend: handed to that lane."""
    found: int
    """Rows looked at: fewer than asked means nothing more is due."""


async def enqueue(
    db: Database,
    person_id: int,
    kind: str,
    reply: Payload,
    now: datetime,
    not_before: datetime | None = None,
) -> int:
    return await db.execute(
        "INSERT INTO outbox(person_id, kind, payload, not_before, created_at, priority, backend)"
        f" VALUES (?, ?, ?, ?, ?, ?, {_TARGET_BACKEND})",
        (
            person_id,
            kind,
            json.dumps(reply.to_json(), ensure_ascii=False),
            to_iso(not_before or now),
            to_iso(now),
            PERSONAL,
            person_id,
        ),
    )


class Answer(NamedTuple):
    """One message of an answer, and what its backend needs to place it."""

    reply: Payload
    context: dict[str, str] | None


def _insert_answers(
    conn: sqlite3.Connection,
    person_id: int,
    backend: str,
    identity: str,
    address: str,
    answers: Sequence[Answer],
    now: str,
    until: str,
) -> list[Claimed]:
    rows: list[Claimed] = []
    for answer in answers:
        payload = answer.reply.to_json()
        context = json.dumps(answer.context) if answer.context else None
        cursor = conn.execute(
            "INSERT INTO outbox(person_id, kind, payload, status, not_before, created_at,"
            " backend, priority, claimed_until, identity, address, context)"
            " VALUES (?, 'answer', ?, 'sending', ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                person_id,
                json.dumps(payload, ensure_ascii=False),
                now,
                now,
                backend,
                ANSWER,
                until,
                identity,
                address,
                context,
            ),
        )
        rows.append(
            Claimed(
                id=int(cursor.lastrowid or 0),
                person_id=person_id,
                kind="answer",
                payload=payload,
                attempts=0,
                identity=identity,
                address=address,
                priority=ANSWER,
                context=answer.context,
            )
        )
    return rows


async def enqueue_answers(
    db: Database,
    person_id: int,
    identity: str,
    address: str,
    answers: Sequence[Answer],
    now: datetime,
    until: datetime,
) -> list[Claimed]:
    """Write the answers of an event, already claimed (until ``until``) by the
    process that will send them the moment the event commits; the rows.

    Claimed at once, so the outbox's own lane never takes them too; a crash
    leaves them claimed, and the next start gives them back (``recover``).
    """
    backend = identity.split(":", 1)[0]
    return await db.run(
        _insert_answers,
        person_id,
        backend,
        identity,
        address,
        answers,
        to_iso(now),
        to_iso(until),
    )


class Batch(NamedTuple):
    """Persons reached through one backend who get the same message."""

    backend: str
    payload: str
    """The reply's JSON, rendered once for them all."""
    person_ids: str
    """Their ids as a JSON array, read by SQLite itself (``json_each``)."""


class StoredBatch(NamedTuple):
    """Persons reached through one backend who get the same stored message."""

    backend: str
    payload_id: int
    """Its row in ``outbox_payloads`` (``store_payload``)."""
    person_ids: str
    """Their ids as a JSON array, read by SQLite itself (``json_each``)."""


async def enqueue_batches(
    db: Database,
    batches: Sequence[Batch],
    *,
    kind: str,
    now: datetime,
    not_before: datetime | None = None,
    quiet: bool = False,
    priority: int = BULK,
    broadcast_id: int | None = None,
) -> int:
    """``enqueue_stored`` for messages not stored yet: each distinct one is, once."""
    stored: dict[str, int] = {}
    for batch in batches:
        if batch.payload not in stored:
            stored[batch.payload] = await store_payload(db, batch.payload)
    return await enqueue_stored(
        db,
        [StoredBatch(b.backend, stored[b.payload], b.person_ids) for b in batches],
        kind=kind,
        now=now,
        not_before=not_before,
        quiet=quiet,
        priority=priority,
        broadcast_id=broadcast_id,
    )


async def enqueue_stored(
    db: Database,
    batches: Sequence[StoredBatch],
    *,
    kind: str,
    now: datetime,
    not_before: datetime | None = None,
    quiet: bool = False,
    priority: int = BULK,
    broadcast_id: int | None = None,
) -> int:
    """Queue one row per person of ``batches`` in a single INSERT … SELECT; the rows.

    For fan-outs of up to a national audience. Binding 100,000 rows one by one
    (``executemany``) took longer than finding whom to send them to; here each
    message is referred to by its id and SQLite reads the person ids from their
    JSON arrays. Rows go in person order whatever the batches, as a list of
    persons would: a lane delivers by id, so no language waits behind another.
    """
    if not batches:
        return 0
    stamp, due = to_iso(now), to_iso(not_before or now)
    values = ", ".join("(?, ?, ?)" for _ in batches)
    return await db.execute_rowcount(
        # The WITH after INSERT, not before: Python's sqlite3 (3.11) counts the rows
        # only of statements that begin with INSERT.
        "INSERT INTO outbox(person_id, kind, payload, payload_id, not_before, created_at,"
        " backend, priority, quiet, broadcast_id)"
        f" WITH b(backend, payload_id, ids) AS (VALUES {values})"
        " SELECT j.value, ?, '', b.payload_id, ?, ?, b.backend, ?, ?, ?"
        " FROM b, json_each(b.ids) j ORDER BY j.value",
        [
            *(value for batch in batches for value in batch),
            kind,
            due,
            stamp,
            priority,
            int(quiet),
            broadcast_id,
        ],
    )


async def store_payload(db: Database, payload: str) -> int:
    """Keep a bulk message's JSON once; rows refer to it by the id returned."""
    return await db.execute("INSERT INTO outbox_payloads(body) VALUES (?)", (payload,))


async def store_payloads(db: Database, payloads: Sequence[str]) -> list[int]:
    """``store_payload`` for many at once, in one statement; their ids, in order.

    Inside the caller's write transaction, so the ids taken are nobody else's.
    """
    if not payloads:
        return []
    return await db.run(_store_payloads, list(payloads))


def _store_payloads(conn: sqlite3.Connection, payloads: list[str]) -> list[int]:
    first = int(conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM outbox_payloads").fetchone()[0])
    ids = list(range(first, first + len(payloads)))
    conn.executemany(
        "INSERT INTO outbox_payloads(id, body) VALUES (?, ?)", zip(ids, payloads, strict=True)
    )
    return ids


def _claim(
    conn: sqlite3.Connection,
    backend: str,
    now: str,
    until: str,
    limit: int,
    quiet_ok: bool,
) -> Claim:
    # An answer goes back through the identity that spoke, to where it spoke;
    # anything else to the person's latest identity and its private chat.
    found = conn.execute(
        "SELECT o.id, o.person_id, o.kind, COALESCE(pl.body, o.payload) AS payload,"
        " o.attempts, o.priority, o.context,"
        " i.identity, COALESCE(o.address, i.address) AS address, i.backend AS target"
        " FROM outbox o LEFT JOIN outbox_payloads pl ON pl.id = o.payload_id"
        " LEFT JOIN identities i ON i.identity = COALESCE(o.identity, ("
        "   SELECT identity FROM identities WHERE person_id = o.person_id"
        "   ORDER BY last_seen DESC LIMIT 1))"
        " WHERE o.status = 'pending' AND o.backend = ? AND o.not_before <= ?"
        " AND (? OR o.quiet = 0) ORDER BY o.priority, o.id LIMIT ?",
        (backend, now, quiet_ok, limit),
    ).fetchall()
    claimed: list[Claimed] = []
    moved: list[tuple[str, int]] = []
    orphans: list[tuple[int]] = []
    for r in found:
        if r["identity"] is None:
            orphans.append((r["id"],))
        elif r["target"] != backend:
            moved.append((r["target"], r["id"]))
        else:
            claimed.append(
                Claimed(
                    id=int(r["id"]),
                    person_id=int(r["person_id"]),
                    kind=str(r["kind"]),
                    payload=json.loads(r["payload"]),
                    attempts=int(r["attempts"]),
                    identity=str(r["identity"]),
                    address=str(r["address"]),
                    priority=int(r["priority"]),
                    context=json.loads(r["context"]) if r["context"] else None,
                )
            )
    conn.executemany(
        "UPDATE outbox SET status = 'sending', claimed_until = ? WHERE id = ?",
        [(until, row.id) for row in claimed],
    )
    conn.executemany("UPDATE outbox SET backend = ? WHERE id = ?", moved)
    conn.executemany(
        "UPDATE outbox SET status = 'failed', error = 'no identity' WHERE id = ?", orphans
    )
    return Claim(claimed, len(moved), len(found))


async def claim(
    db: Database,
    backend: str,
    now: datetime,
    until: datetime,
    limit: int,
    *,
    quiet_ok: bool,
) -> Claim:
    """Take up to ``limit`` due rows of ``backend`` for delivery, leased until ``until``.

    ``quiet_ok`` is false outside the send window: quiet rows (bulk messages)
    then stay where they are, whatever their ``not_before`` says.
    """
    async with db.transaction():
        return await db.run(_claim, backend, to_iso(now), to_iso(until), limit, quiet_ok)


async def recover(db: Database, now: datetime, *, restart: bool = False) -> int:
    """Give back rows whose lease ended (their sender crashed), and place rows
    queued for someone without a backend at the time; return how many moved.

    ``restart``: this process is the only sender of the database and has just
    started, so every claimed row belonged to a process that is gone: all go
    back at once, and an answer interrupted by a crash leaves with the first
    sends instead of five minutes later.
    """
    async with db.transaction():
        count = await db.execute_rowcount(
            "UPDATE outbox SET status = 'pending', claimed_until = NULL"
            " WHERE status = 'sending' AND (? OR claimed_until <= ?)",
            (restart, to_iso(now)),
        )
        count += await db.execute_rowcount(
            "UPDATE outbox SET backend = (SELECT i.backend FROM identities i"
            " WHERE i.person_id = outbox.person_id ORDER BY i.last_seen DESC LIMIT 1)"
            " WHERE status = 'pending' AND backend IS NULL"
        )
        await db.execute(
            "UPDATE outbox SET status = 'failed', error = 'no identity'"
            " WHERE status = 'pending' AND backend IS NULL"
        )
    return count


async def release(db: Database, outbox_ids: Sequence[int], not_before: datetime | None) -> None:
    """Hand claimed rows back untried (the lane is pausing), later if ``not_before``."""
    if not outbox_ids:
        return
    if not_before is None:
        await db.executemany(
            "UPDATE outbox SET status = 'pending', claimed_until = NULL WHERE id = ?",
            [(i,) for i in outbox_ids],
        )
    else:
        stamp = to_iso(not_before)
        await db.executemany(
            "UPDATE outbox SET status = 'pending', claimed_until = NULL,"
            " not_before = MAX(not_before, ?) WHERE id = ?",
            [(stamp, i) for i in outbox_ids],
        )


async def hold_backend(db: Database, backend: str, until: datetime) -> None:
    """Nothing more through ``backend`` before ``until``: the platform said so.

    Kept in the rows themselves, so the pause outlives a restart.
    """
    stamp = to_iso(until)
    await db.execute(
        "UPDATE outbox SET not_before = ? WHERE status = 'pending' AND backend = ?"
        " AND not_before < ?",
        (stamp, backend, stamp),
    )


async def mark_sent(db: Database, outbox_id: int, now: datetime) -> None:
    await db.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
        " claimed_until = NULL WHERE id = ?",
        (to_iso(now), outbox_id),
    )


async def mark_sent_many(db: Database, outbox_ids: Sequence[int], now: datetime) -> None:
    """Rows the platform took, recorded together: one transaction for many sends."""
    stamp = to_iso(now)
    await db.executemany(
        "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
        " claimed_until = NULL WHERE id = ?",
        [(stamp, i) for i in outbox_ids],
    )


async def wait_claimed(
    db: Database, outbox_id: int, at: datetime, until: datetime, error: str
) -> None:
    """A claimed row the platform asked to wait for: still this process's (it
    tries again itself at ``at``), but a restart meanwhile also waits."""
    await db.execute(
        "UPDATE outbox SET not_before = ?, error = ?, attempts = attempts + 1,"
        " claimed_until = ? WHERE id = ?",
        (to_iso(at), error[:500], to_iso(until), outbox_id),
    )


async def mark_final(db: Database, outbox_id: int, status: str, error: str) -> None:
    await db.execute(
        "UPDATE outbox SET status = ?, error = ?, attempts = attempts + 1,"
        " claimed_until = NULL WHERE id = ?",
        (status, error[:500], outbox_id),
    )


async def retry_later(db: Database, outbox_id: int, at: datetime, error: str) -> None:
    await db.execute(
        "UPDATE outbox SET status = 'pending', not_before = ?, error = ?,"
        " attempts = attempts + 1, claimed_until = NULL WHERE id = ?",
        (to_iso(at), error[:500], outbox_id),
    )


_KEY_PREFIX = "outbox:key_prefix"


async def key_prefix(db: Database) -> str:
    """This database's prefix for message keys, made at its first use."""
    known = await events.get_state(db, _KEY_PREFIX)
    if known:
        return known
    made = f"guichet.{secrets.token_hex(6)}"
    async with db.transaction():
        await events.set_state(db, _KEY_PREFIX, made)
    return made


async def counts(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
    return {str(r["status"]): int(r["n"]) for r in rows}


PURGE_BATCH = 5000
"""Rows deleted per transaction: events wait for one batch at most, a few ms."""


async def purge(db: Database, now: datetime, *, keep_days: int) -> int:
    """Delete the rows sent more than ``keep_days`` ago; return how many.

    What the reports need stays: failed and blocked rows are kept, and each
    broadcast counts the sent rows it lost (``broadcasts.purged_sent``), so
    its delivery report adds up as before. Bulk texts no row refers to any
    more go too, and the freed pages back to the file system (a database
    created since migration 0012 vacuums incrementally).
    """
    cutoff = to_iso(now - timedelta(days=keep_days))
    purged = 0
    while True:
        async with db.transaction():
            count = await db.run(_purge_batch, cutoff, PURGE_BATCH)
        purged += count
        if count < PURGE_BATCH:
            break
    async with db.transaction():
        await db.execute(
            "DELETE FROM outbox_payloads WHERE NOT EXISTS"
            " (SELECT 1 FROM outbox o WHERE o.payload_id = outbox_payloads.id)"
        )
    await db.release_free_pages()
    return purged


def _purge_batch(conn: sqlite3.Connection, cutoff: str, limit: int) -> int:
    rows = conn.execute(
        "SELECT id, broadcast_id FROM outbox WHERE status = 'sent' AND sent_at < ?"
        " ORDER BY sent_at LIMIT ?",
        (cutoff, limit),
    ).fetchall()
    per_broadcast: dict[int, int] = {}
    for row in rows:
        if row[1] is not None:
            per_broadcast[row[1]] = per_broadcast.get(row[1], 0) + 1
    conn.executemany(
        "UPDATE broadcasts SET purged_sent = purged_sent + ? WHERE id = ?",
        [(n, b) for b, n in per_broadcast.items()],
    )
    conn.executemany("DELETE FROM outbox WHERE id = ?", [(row[0],) for row in rows])
    return len(rows)
