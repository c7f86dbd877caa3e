"""Helpers shared by the calendar, reminder, broadcast and delivery tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock, to_iso
from storage import consultations, persons
from storage.consultations import Phase
from tests.conftest import onboard


def clock_of(app: App) -> FrozenClock:
    clock = app.services.clock
    assert isinstance(clock, FrozenClock)
    return clock


async def staff(chat: MemoryBackend, user: str = "boss", *, english: bool = True) -> persons.Person:
    """A staff member heard from on ``chat``, speaking English unless told otherwise."""
    await chat.say(user, "/language en" if english else "/langue fr")
    person = await persons.by_identity(chat.app.services.db, chat.identity(user))
    assert person is not None
    await persons.set_role(chat.app.services.db, person.id, "staff")
    return person


async def member(
    chat: MemoryBackend, user: str, *, english: bool = False, code: str = "24432", role: str = "1"
) -> persons.Person:
    """An approved member (role 1: elu, 2: agent) of the collectivité ``code``."""
    await onboard(chat, user, language="2" if english else "1", query=code, role=role)
    person = await persons.by_identity(chat.app.services.db, chat.identity(user))
    assert person is not None
    return person


async def phase(app: App, kind: str) -> Phase:
    consultation = await consultations.current(app.services.db)
    assert consultation is not None
    return next(p for p in consultation.phases if p.kind == kind)


async def rows(app: App, kind: str | None = None) -> list[Any]:
    """Outbox rows, oldest first, optionally of one kind, with their text as ``payload``
    (a bulk message's is stored once, in ``outbox_payloads``)."""
    sql = (
        "SELECT COALESCE(pl.body, o.payload) AS payload, o.*, p.display_name"
        " FROM outbox o JOIN persons p ON p.id = o.person_id"
        " LEFT JOIN outbox_payloads pl ON pl.id = o.payload_id"
    )
    params: tuple[str, ...] = ()
    if kind is not None:
        sql += " WHERE o.kind = ?"
        params = (kind,)
    return await app.services.db.fetchall(sql + " ORDER BY o.id", params)


async def names(app: App, kind: str) -> set[str]:
    return {str(r["display_name"]) for r in await rows(app, kind)}


async def add_proposal(app: App, number: int, now: datetime) -> int:
    consultation = await consultations.current(app.services.db)
    assert consultation is not None
    return await app.services.db.execute(
        "INSERT INTO proposals(consultation_id, number, title, theme, created_at, updated_at)"
        " VALUES (?, ?, ?, 'data', ?, ?)",
        (consultation.id, number, f"Proposition {number}", to_iso(now), to_iso(now)),
    )


async def add_support(app: App, collectivite: str, proposal_id: int, now: datetime) -> None:
    await app.services.db.execute(
        "INSERT INTO supports(collectivite, proposal_id, level, created_at, updated_at)"
        " VALUES (?, ?, 'soutien', ?, ?)",
        (collectivite, proposal_id, to_iso(now), to_iso(now)),
    )
