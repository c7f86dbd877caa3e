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
    """``menu`` holds the data of the choices last shown, ``labels`` their labels,
    so a typed "agent" or "n°3" finds its choice as a typed 3 does."""

    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    menu: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def _menu_json(conversation: Conversation) -> str:
    return json.dumps(
        {"data": conversation.menu, "labels": conversation.labels}, ensure_ascii=False
    )


def _menu_from(raw: str) -> tuple[list[str], list[str]]:
    """Rows saved before labels were kept hold a bare list of data."""
    value = json.loads(raw)
    if isinstance(value, list):
        return [str(v) for v in value], []
    return list(value.get("data", [])), list(value.get("labels", []))


def load_sync(conn: sqlite3.Connection, person_id: int) -> Conversation:
    row = conn.execute(
        "SELECT step, data, menu FROM conversations WHERE person_id = ?", (person_id,)
    ).fetchone()
    if row is None:
        return Conversation()
    menu, labels = _menu_from(row["menu"])
    return Conversation(step=row["step"], data=json.loads(row["data"]), menu=menu, labels=labels)


async def load(db: Database, person_id: int) -> Conversation:
    return await db.run(load_sync, person_id)


def fingerprint(conversation: Conversation) -> tuple[str | None, str, str]:
    """What ``save`` would write, to skip the write when nothing changed."""
    return (
        conversation.step,
        json.dumps(conversation.data, ensure_ascii=False, sort_keys=True),
        _menu_json(conversation),
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
            _menu_json(conversation),
            to_iso(now),
        ),
    )
