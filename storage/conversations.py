"""Pending conversation step, its data and the last menu shown, per person.

Kept in SQLite so a restart in the middle of a flow resumes it, and so a
number typed on the console or on Matrix maps to the choices last shown.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.db import Database
from storage.instants import to_iso


@dataclass
class Conversation:
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    menu: list[str] = field(default_factory=list)


def load_sync(conn: sqlite3.Connection, person_id: int) -> Conversation:
    row = conn.execute(
        "SELECT step, data, menu FROM conversations WHERE person_id = ?", (person_id,)
    ).fetchone()
    if row is None:
        return Conversation()
    return Conversation(
        step=row["step"], data=json.loads(row["data"]), menu=json.loads(row["menu"])
    )


async def load(db: Database, person_id: int) -> Conversation:
    return await db.run(load_sync, person_id)


def fingerprint(conversation: Conversation) -> tuple[str | None, str, str]:
    """What ``save`` would write, to skip the write when nothing changed."""
    return (
        conversation.step,
        json.dumps(conversation.data, ensure_ascii=False, sort_keys=True),
        json.dumps(conversation.menu, ensure_ascii=False),
    )


async def save(db: Database, person_id: int, conversation: Conversation, now: datetime) -> None:
    await db.execute(
        "INSERT INTO conversations(person_id, step, data, menu, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(person_id) DO UPDATE SET step = excluded.step, data = excluded.data,"
        " menu = excluded.menu, updated_at = excluded.updated_at",
        (
            person_id,
            conversation.step,
            json.dumps(conversation.data, ensure_ascii=False),
            json.dumps(conversation.menu, ensure_ascii=False),
            to_iso(now),
        ),
    )
