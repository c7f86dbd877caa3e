"""The steering committee's marks before they are announced.

A proposal's ``status`` is the *published* result: it leaves ``open`` only when
the staff announce it (``proposals.publish_status``), so nobody sees a draft
and nobody is told twice. Until then the marks are shared by the whole staff
and survive restarts and other commands, so they live in the database's
key-value table rather than in one staff member's conversation.
"""

from __future__ import annotations

import json
from typing import Literal

from storage import events
from storage.db import Database

Mark = Literal["selected", "not_selected"]
MARKS: tuple[Mark, ...] = ("selected", "not_selected")


def _key(consultation_id: int) -> str:
    return f"selection.marks:{consultation_id}"


async def marks(db: Database, consultation_id: int) -> dict[int, Mark]:
    """proposal id → mark, for the proposals marked and not yet announced."""
    raw = await events.get_state(db, _key(consultation_id))
    if not raw:
        return {}
    loaded = json.loads(raw)
    return {int(k): v for k, v in loaded.items() if v in MARKS}


async def _save(db: Database, consultation_id: int, current: dict[int, Mark]) -> None:
    payload = {str(k): v for k, v in sorted(current.items())}
    await events.set_state(db, _key(consultation_id), json.dumps(payload))


async def mark(db: Database, consultation_id: int, proposal_id: int, value: Mark | None) -> None:
    """Set or clear (None) the mark of one proposal."""
    async with db.transaction():
        current = await marks(db, consultation_id)
        if value is None:
            current.pop(proposal_id, None)
        else:
            current[proposal_id] = value
        await _save(db, consultation_id, current)


async def forget(db: Database, consultation_id: int, proposal_ids: list[int]) -> None:
    """Drop the marks of proposals just announced."""
    async with db.transaction():
        current = await marks(db, consultation_id)
        for proposal_id in proposal_ids:
            current.pop(proposal_id, None)
        await _save(db, consultation_id, current)
