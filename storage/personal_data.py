"""Everything Guichet holds about a person, to hand over or to erase (RGPD art. 15 and 17).

Erasure keeps what belongs to the consultation rather than to the person: a
collectivité's supports and the vote counts stay, but nothing ties them to a
name or an identity any more, and the free texts the person wrote are
replaced by a placeholder. What others were told about the person (staff
notices in the outbox) and what the audit log says of them lose their name
and identity; their actions stay. ``scrub`` then takes the old bytes out of
the write-ahead log, so the file itself no longer holds them.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from storage import traces
from storage.db import Database
from storage.instants import to_iso

ERASED_TEXT = "—"

# (table, column naming the person, columns to export); one place to extend.
_EXPORTS: tuple[tuple[str, str, str], ...] = (
    ("identities", "person_id", "identity, backend, last_seen, created_at"),
    (
        "memberships",
        "person_id",
        "collectivite, role, requested_role, status, created_at, decided_at",
    ),
    (
        "contributions",
        "author_id",
        "id, collectivite, title, body, theme, status, reason, pointer, proposal_id, created_at",
    ),
    ("membership_requests", "person_id", "collectivite, created_at"),
    ("contact_messages", "person_id", "id, body, created_at, answer, answered_at"),
    ("votes", "person_id", "proposal_id, created_at"),
    ("supports", "committed_by", "collectivite, proposal_id, level, created_at, updated_at"),
    ("outbox", "person_id", "kind, status, created_at, sent_at"),
    ("volunteers", "person_id", "proposal_id, collectivite, status, created_at, updated_at"),
    ("workspace_members", "person_id", "workspace_id, account, status, created_at"),
)


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(sql, params).fetchall()]


def _export(conn: sqlite3.Connection, person_id: int) -> dict[str, Any]:
    person = _rows(
        conn,
        "SELECT id, display_name, locale, role, acting_for, reminders, created_at"
        " FROM persons WHERE id = ?",
        (person_id,),
    )
    data: dict[str, Any] = {"person": person[0] if person else None}
    for table, column, columns in _EXPORTS:
        data[table] = _rows(
            conn, f"SELECT {columns} FROM {table} WHERE {column} = ? ORDER BY rowid", (person_id,)
        )
    conversation = _rows(
        conn, "SELECT step, data, updated_at FROM conversations WHERE person_id = ?", (person_id,)
    )
    data["conversation"] = conversation[0] if conversation else None
    # A table without rowid, hence its own order.
    data["follows"] = _rows(
        conn,
        "SELECT proposal_id, following, updated_at FROM follows WHERE person_id = ?"
        " ORDER BY proposal_id",
        (person_id,),
    )
    return data


async def export(db: Database, person_id: int) -> dict[str, Any]:
    return await db.run(_export, person_id)


def _erase(conn: sqlite3.Connection, person_id: int, stamp: str) -> None:
    identities = [
        str(r[0])
        for r in conn.execute("SELECT identity FROM identities WHERE person_id = ?", (person_id,))
    ]
    row = conn.execute("SELECT display_name FROM persons WHERE id = ?", (person_id,)).fetchone()
    display_name = str(row[0]) if row else ""
    membership_ids = [
        int(r[0])
        for r in conn.execute("SELECT id FROM memberships WHERE person_id = ?", (person_id,))
    ]
    conn.execute(
        "UPDATE contributions SET title = ?, body = ?, author_id = NULL, updated_at = ?"
        " WHERE author_id = ?",
        (ERASED_TEXT, ERASED_TEXT, stamp, person_id),
    )
    conn.execute("UPDATE supports SET committed_by = NULL WHERE committed_by = ?", (person_id,))
    # What they did as staff stays, but no longer points at them.
    conn.execute("UPDATE contributions SET reviewed_by = NULL WHERE reviewed_by = ?", (person_id,))
    conn.execute("UPDATE memberships SET decided_by = NULL WHERE decided_by = ?", (person_id,))
    conn.execute("UPDATE broadcasts SET author_id = NULL WHERE author_id = ?", (person_id,))
    # A volunteer collectivité keeps its place without them; the keeper then takes
    # their account out of the working space (storage.workspaces.to_remove).
    conn.execute("UPDATE volunteers SET person_id = NULL WHERE person_id = ?", (person_id,))
    conn.execute("UPDATE volunteers SET decided_by = NULL WHERE decided_by = ?", (person_id,))
    conn.execute("DELETE FROM follows WHERE person_id = ?", (person_id,))
    conn.execute(
        "UPDATE contact_messages SET answered_by = NULL WHERE answered_by = ?", (person_id,)
    )
    for table in (
        "identities",
        "memberships",
        "membership_requests",
        "conversations",
        "outbox",
        "contact_messages",
    ):
        conn.execute(f"DELETE FROM {table} WHERE person_id = ?", (person_id,))
    for identity in identities:
        # The Matrix backend remembers the direct room it opened, keyed by user id.
        backend, _, platform_id = identity.partition(":")
        conn.execute(
            "DELETE FROM backend_state WHERE key = ?", (f"{backend}:direct:{platform_id}",)
        )
    # The row stays, nameless and unreachable, so the votes it cast still count.
    conn.execute(
        "UPDATE persons SET display_name = '', locale = NULL, locale_hint = NULL, role = 'user',"
        " acting_for = NULL, reminders = 0 WHERE id = ?",
        (person_id,),
    )
    traces.forget_in_audit(conn, person_id, identities, membership_ids)
    traces.forget_in_outbox(conn, [*identities, *_platform_ids(identities)], display_name)


def _platform_ids(identities: list[str]) -> list[str]:
    """``@a:b`` of ``matrix:@a:b``: how a Matrix id is written in a message. A
    Telegram id alone is a bare number, too common a string to look for."""
    return [i.partition(":")[2] for i in identities if i.startswith("matrix:")]


async def erase(db: Database, person_id: int, now: datetime) -> None:
    await db.run(_erase, person_id, to_iso(now))


async def scrub(db: Database) -> bool:
    """Take the erased bytes out of the write-ahead log, once the erasure is committed.

    The database overwrites what it deletes (``secure_delete``, see
    ``storage.db``), but the WAL still holds the pages as they were before,
    until a checkpoint copies the new ones into the file and truncates the
    log. False when a reader kept the checkpoint from finishing: the log is
    then truncated at the next one.
    """
    row = await db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
    return row is not None and int(row[0]) == 0


async def inactive_since(db: Database, before: datetime) -> list[int]:
    """Persons not heard from on any identity since ``before``: the retention's targets."""
    rows = await db.fetchall(
        "SELECT person_id FROM identities GROUP BY person_id HAVING MAX(last_seen) < ?",
        (to_iso(before),),
    )
    return [int(r["person_id"]) for r in rows]
