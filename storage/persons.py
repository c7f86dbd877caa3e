"""Persons and the identities they are reached through."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.db import Database
from storage.instants import from_iso, to_iso
from storage.outbox import PRIVATE_ANSWER

Role = Literal["user", "staff", "admin"]


@dataclass(frozen=True)
class Person:
    id: int
    display_name: str
    locale: str | None
    locale_hint: str | None
    role: Role
    acting_for: str | None
    reminders: bool

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


_COLUMNS = "id, display_name, locale, locale_hint, role, acting_for, reminders"


def _person(r: sqlite3.Row) -> Person:
    return Person(
        id=int(r["id"]),
        display_name=str(r["display_name"]),
        locale=r["locale"],
        locale_hint=r["locale_hint"],
        role=r["role"],
        acting_for=r["acting_for"],
        reminders=bool(r["reminders"]),
    )


async def get(db: Database, person_id: int) -> Person | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM persons WHERE id = ?", (person_id,))
    return _person(row) if row else None


_BY_IDENTITY = (
    f"SELECT {', '.join('p.' + c.strip() for c in _COLUMNS.split(','))}, "
    "i.address AS i_address, i.last_seen AS i_last_seen "
    "FROM persons p JOIN identities i ON i.person_id = p.id WHERE i.identity = ?"
)
# Last-seen only orders where notifications go; a minute's precision is plenty
# and spares a write on most events.
_LAST_SEEN_PRECISION = 60


async def by_identity(db: Database, identity: str) -> Person | None:
    row = await db.fetchone(_BY_IDENTITY, (identity,))
    return _person(row) if row else None


def resolve_sync(
    conn: sqlite3.Connection,
    identity: str,
    stamp: str,
    display_name: str = "",
    locale_hint: str = "",
    address: str = "",
) -> tuple[Person, bool]:
    """The person behind an identity, created on first contact; (person, created).

    Synchronous so the router can run it in the database thread together with
    the other statements that open an event (see ``Database.run``). The
    delivery address and last-seen time are refreshed so notifications go
    where the person was last heard from.
    """
    row = conn.execute(_BY_IDENTITY, (identity,)).fetchone()
    if row is None:
        person_id = conn.execute(
            "INSERT INTO persons(display_name, locale_hint, created_at) VALUES (?, ?, ?)",
            (display_name[:200], locale_hint or None, stamp),
        ).lastrowid
        conn.execute(
            "INSERT INTO identities(identity, backend, person_id, address, last_seen, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (identity, identity.split(":", 1)[0], person_id, address, stamp, stamp),
        )
        created = conn.execute(f"SELECT {_COLUMNS} FROM persons WHERE id = ?", (person_id,))
        return _person(created.fetchone()), True
    person = _person(row)
    moved = bool(address) and address != row["i_address"]
    stale = _seconds_between(row["i_last_seen"], stamp) >= _LAST_SEEN_PRECISION
    if moved or stale:
        conn.execute(
            "UPDATE identities SET last_seen = ?,"
            " address = CASE WHEN ? = '' THEN address ELSE ? END WHERE identity = ?",
            (stamp, address, address, identity),
        )
    if moved and not row["i_address"]:
        # First word in a private chat: the answers asked for in a group, which
        # the platform refused to deliver before (Telegram: a bot cannot open a
        # chat), go now.
        conn.execute(
            "UPDATE outbox SET status = 'pending', not_before = ?, error = NULL"
            " WHERE person_id = ? AND kind = ? AND status = 'blocked'",
            (stamp, person.id, PRIVATE_ANSWER),
        )
    if locale_hint and person.locale is None and locale_hint != person.locale_hint:
        conn.execute("UPDATE persons SET locale_hint = ? WHERE id = ?", (locale_hint, person.id))
    return person, False


def _seconds_between(earlier: str, later: str) -> float:
    return (from_iso(later) - from_iso(earlier)).total_seconds()


async def resolve(
    db: Database,
    identity: str,
    *,
    now: datetime,
    display_name: str = "",
    locale_hint: str = "",
    address: str = "",
) -> tuple[Person, bool]:
    return await db.run(resolve_sync, identity, to_iso(now), display_name, locale_hint, address)


async def ensure(db: Database, identity: str, *, now: datetime, display_name: str = "") -> Person:
    """A person for an identity, without touching last-seen (CLI, seeding)."""
    person = await by_identity(db, identity)
    if person is not None:
        return person
    person, _ = await resolve(db, identity, now=now, display_name=display_name)
    return person


async def set_locale(db: Database, person_id: int, locale: str) -> None:
    await db.execute("UPDATE persons SET locale = ? WHERE id = ?", (locale, person_id))


async def set_role(db: Database, person_id: int, role: Role) -> None:
    await db.execute("UPDATE persons SET role = ? WHERE id = ?", (role, person_id))


async def set_display_name(db: Database, person_id: int, name: str) -> None:
    await db.execute("UPDATE persons SET display_name = ? WHERE id = ?", (name[:200], person_id))


async def set_acting_for(db: Database, person_id: int, code: str | None) -> None:
    await db.execute("UPDATE persons SET acting_for = ? WHERE id = ?", (code, person_id))


async def with_role(db: Database, *roles: Role) -> list[Person]:
    marks = ", ".join("?" for _ in roles)
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM persons WHERE role IN ({marks}) ORDER BY id", roles
    )
    return [_person(r) for r in rows]


async def identities(db: Database, person_id: int) -> list[str]:
    rows = await db.fetchall(
        "SELECT identity FROM identities WHERE person_id = ? ORDER BY created_at", (person_id,)
    )
    return [str(r["identity"]) for r in rows]


async def delivery_target(db: Database, person_id: int) -> tuple[str, str] | None:
    """(identity, address) last heard from: where a notification should go."""
    row = await db.fetchone(
        "SELECT identity, address FROM identities WHERE person_id = ?"
        " ORDER BY last_seen DESC LIMIT 1",
        (person_id,),
    )
    return (str(row["identity"]), str(row["address"])) if row else None
