"""Everything Guichet holds about a person, to hand over or to erase (RGPD art. 15 and 17).

Erasure keeps what belongs to the consultation rather than to the person: a
collectivité's supports and the vote counts stay, but nothing ties them to a
name or an identity any more, and the free texts the person wrote are
replaced by a placeholder.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from storage.db import Database
from storage.instants import to_iso

ERASED_TEXT = "—"

# (table, column naming the person, columns to export); one place to extend.
_EXPORTS: tuple[tuple[str, str, str], ...] = (
    ("identities", "person_id", "identity, backend, last_seen, created_at"),
    ("memberships", "person_id", "collectivite, role, status, created_at, decided_at"),
    (
        "contributions",
        "author_id",
        "id, collectivite, title, body, theme, status, reason, pointer, proposal_id, created_at",
    ),
    ("votes", "person_id", "proposal_id, created_at"),
    ("supports", "committed_by", "collectivite, proposal_id, level, created_at, updated_at"),
    ("outbox", "person_id", "kind, status, created_at, sent_at"),
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
    return data


async def export(db: Database, person_id: int) -> dict[str, Any]:
    return await db.run(_export, person_id)


def _erase(conn: sqlite3.Connection, person_id: int, stamp: str) -> None:
    conn.execute(
        "UPDATE contributions SET title = ?, body = ?, author_id = NULL, updated_at = ?"
        " WHERE author_id = ?",
        (ERASED_TEXT, ERASED_TEXT, stamp, person_id),
    )
    conn.execute("UPDATE supports SET committed_by = NULL WHERE committed_by = ?", (person_id,))
    for table in ("identities", "memberships", "conversations", "outbox"):
        conn.execute(f"DELETE FROM {table} WHERE person_id = ?", (person_id,))
    # The row stays, nameless and unreachable, so the votes it cast still count.
    conn.execute(
        "UPDATE persons SET display_name = '', locale = NULL, locale_hint = NULL, role = 'user',"
        " acting_for = NULL, reminders = 0 WHERE id = ?",
        (person_id,),
    )


async def erase(db: Database, person_id: int, now: datetime) -> None:
    await db.run(_erase, person_id, to_iso(now))


async def inactive_since(db: Database, before: datetime) -> list[int]:
    """Persons not heard from on any identity since ``before``: the retention's targets."""
    rows = await db.fetchall(
        "SELECT person_id FROM identities GROUP BY person_id HAVING MAX(last_seen) < ?",
        (to_iso(before),),
    )
    return [int(r["person_id"]) for r in rows]
