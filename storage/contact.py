"""Messages people write to the consultation team, and the team's answers.

Before this a person could not reach the staff at all: notices said "write to
the consultation team" and a typed "please restore my access" got "I was not
expecting a message".  A message waits in the staff's queue until a staff
member answers it from the chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database
from storage.instants import from_iso, to_iso


@dataclass(frozen=True)
class Message:
    id: int
    person_id: int
    author: str
    body: str
    created_at: datetime
    answer: str | None
    answered_at: datetime | None


_SELECT = """
SELECT m.id, m.person_id, p.display_name AS author, m.body, m.created_at, m.answer,
       m.answered_at
  FROM contact_messages m JOIN persons p ON p.id = m.person_id
"""


def _message(row: Any) -> Message:
    return Message(
        id=row["id"],
        person_id=row["person_id"],
        author=row["author"] or "",
        body=row["body"],
        created_at=from_iso(row["created_at"]),
        answer=row["answer"],
        answered_at=from_iso(row["answered_at"]) if row["answered_at"] else None,
    )


async def add(db: Database, person_id: int, body: str, now: datetime) -> int:
    return await db.execute(
        "INSERT INTO contact_messages(person_id, body, created_at) VALUES (?, ?, ?)",
        (person_id, body, to_iso(now)),
    )


async def get(db: Database, message_id: int) -> Message | None:
    row = await db.fetchone(_SELECT + " WHERE m.id = ?", (message_id,))
    return None if row is None else _message(row)


async def waiting(db: Database, limit: int = 20) -> list[Message]:
    """Unanswered messages, oldest first: the staff's queue."""
    rows = await db.fetchall(
        _SELECT + " WHERE m.answered_at IS NULL ORDER BY m.id LIMIT ?", (limit,)
    )
    return [_message(row) for row in rows]


async def count_waiting(db: Database) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM contact_messages WHERE answered_at IS NULL"))


async def answer(db: Database, message_id: int, staff_id: int, text: str, now: datetime) -> bool:
    """Record the answer; False if it was answered meanwhile (two staff at once)."""
    changed = await db.execute_rowcount(
        "UPDATE contact_messages SET answer = ?, answered_by = ?, answered_at = ?"
        " WHERE id = ? AND answered_at IS NULL",
        (text, staff_id, to_iso(now), message_id),
    )
    return changed == 1
