"""The permission matrix: every command and every button, by every kind of person,
in every phase, gets exactly the allowed outcome; what is refused changes nothing.

Commands and actions are read from the router, so a new flow is covered the
day it is registered.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from storage import memberships, persons
from tests.conftest import make_app, text

PHASES = ("needs", "vote", "support", "selection")
PERSONAS = ("unknown", "pending", "agent", "elu", "other_elu", "staff", "admin")
# Tables whose content only staff (or the person's own confirmed flow) may change.
GUARDED = {
    "persons": "id, role",
    "memberships": "id, person_id, collectivite, role, status",
    "contributions": "id, status, proposal_id, title, body",
    "proposals": "id, number, title, summary, theme, status",
    "phases": "id, kind, opens_at, closes_at",
    "consultations": "id, title, settings",
    "audit_log": "id, action, target",
}
FORGED_ARGS = ("", ":1", ":2:1", ":abc", ":999999", ":1:soutien", ":-1")

REFUSED_STAFF = "réservée à l'équipe"
REFUSED_ADMIN = "réservée aux administrateurs"
REFUSED_MEMBER = "rattaché·e à une collectivité"
REFUSED_PENDING = "attend l'approbation de l'équipe"  # a pending member is told so
INTERNAL_ERROR = "un problème est survenu de notre côté"


async def _fingerprint(app: App) -> str:
    digest = hashlib.sha256()
    for table, columns in GUARDED.items():
        for row in await app.services.db.fetchall(f"SELECT {columns} FROM {table} ORDER BY 1"):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


async def _cast(app: App, chat: MemoryBackend) -> None:
    """Seven kinds of people, set up through the repositories (the flows have their tests)."""
    db, now = app.services.db, app.services.clock.now()
    for persona in PERSONAS:
        await chat.say(persona, "/langue fr")
    async with db.transaction():
        for persona, code, role, approve in (
            ("pending", "24432", "elu", False),
            ("agent", "24432", "agent", True),
            ("elu", "24432", "elu", True),
            ("other_elu", "33063", "elu", True),
        ):
            person = await persons.by_identity(db, chat.identity(persona))
            assert person is not None
            await memberships.request(
                db,
                person.id,
                code,
                role,
                approve=approve,
                evidence="",
                now=now,  # type: ignore[arg-type]
            )
            if approve:
                await persons.set_acting_for(db, person.id, code)
        for persona, role in (("staff", "staff"), ("admin", "admin")):
            person = await persons.by_identity(db, chat.identity(persona))
            assert person is not None
            await persons.set_role(db, person.id, role)  # type: ignore[arg-type]


@pytest.fixture(params=PHASES)
async def cast(request: pytest.FixtureRequest, db_path: Path, clock: FrozenClock):  # type: ignore[no-untyped-def]
    app = await make_app(db_path, clock, phase=request.param)
    # The matrix sends far more than a person would in a minute.
    app.router.flood.per_minute = 10**9
    chat = MemoryBackend(app)
    await _cast(app, chat)
    yield app, chat
    await app.close()


def _failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_every_command_by_every_person(
    cast: tuple[App, MemoryBackend], caplog: pytest.LogCaptureFixture
) -> None:
    app, chat = cast
    approved = {"agent", "elu", "other_elu"}
    for command in app.router.commands:
        for persona in PERSONAS:
            before = await _fingerprint(app)
            replies = await chat.say(persona, f"/{command.fr}")
            said = text(replies)
            where = f"/{command.fr} by {persona}"
            assert replies and all(r.text for r in replies), where
            assert INTERNAL_ERROR not in said, where
            staff = persona in ("staff", "admin")
            expect_refusal = (
                (command.audience == "staff" and not staff)
                or (command.audience == "admin" and persona != "admin")
                or (command.audience == "member" and persona not in approved)
            )
            refused = any(m in said for m in (REFUSED_STAFF, REFUSED_ADMIN, REFUSED_MEMBER)) or (
                said.startswith("Votre demande pour représenter") and REFUSED_PENDING in said
            )
            assert refused == expect_refusal, f"{where}: {said[:200]}"
            if refused:
                assert await _fingerprint(app) == before, where
            await chat.say(persona, "/annuler")
    assert _failures(caplog) == []


async def test_every_button_with_forged_data_by_every_person(
    cast: tuple[App, MemoryBackend], caplog: pytest.LogCaptureFixture
) -> None:
    app, chat = cast
    actions = sorted(app.router._actions)
    assert len(actions) > 20
    for name in actions:
        for suffix in FORGED_ARGS:
            for persona in PERSONAS:
                before = await _fingerprint(app)
                replies = await chat.press(persona, name + suffix)
                where = f"{name}{suffix} by {persona}"
                assert replies and all(r.text for r in replies), where
                assert INTERNAL_ERROR not in text(replies), where
                if persona not in ("staff", "admin"):
                    assert await _fingerprint(app) == before, where
    assert _failures(caplog) == []
