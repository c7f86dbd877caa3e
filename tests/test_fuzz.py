"""Arbitrary input at every flow: no unhandled exception, always a translated answer,
and nothing a participant types can touch what only staff may change."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from tests.conftest import make_app, onboard, text

HOSTILE = [
    "<b>bold</b><script>alert(1)</script>",
    "'; DROP TABLE persons; --",
    '" OR 1=1 --',
    "*bold* _italic_ `code` [link](http://x)",
    "\x00\x01\x1b[31mred\x1b[0m\u202e\u200b",
    "١٢٣",
    "𝟏",
    'NEAR(a b) AND "x" OR y*',
    "x" * 100_000,
    "é" * 5000,
    "🙂" * 300,
    "",
    " ",
    "0",
    "-1",
    "99999999999999999999",
]
STAFF_ONLY = {
    "proposals": "id, number, title, summary, theme, status",
    "phases": "id, kind, opens_at, closes_at",
    "consultations": "id, title, settings",
    "audit_log": "id, action, target",
    "persons": "id, role",
}
INTERNAL_ERROR = "un problème est survenu de notre côté"


@pytest.fixture
async def world(db_path: Path, clock: FrozenClock) -> AsyncIterator[tuple[App, MemoryBackend]]:
    app = await make_app(db_path, clock)
    app.router.flood.per_minute = 10**9
    chat = MemoryBackend(app)
    await onboard(chat, "maire")
    await chat.say("inconnu", "/aide")
    yield app, chat
    await app.close()


async def _staff_state(app: App) -> str:
    digest = hashlib.sha256()
    for table, columns in STAFF_ONLY.items():
        for row in await app.services.db.fetchall(f"SELECT {columns} FROM {table} ORDER BY 1"):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _names(app_commands: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(app_commands) | st.text(min_size=1, max_size=20)


free_text = st.sampled_from(HOSTILE) | st.text(max_size=400)
arguments = st.lists(st.sampled_from(HOSTILE[:8]) | st.text(max_size=30), max_size=3)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_arbitrary_messages_and_buttons(
    world: tuple[App, MemoryBackend], caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    app, chat = world
    commands = sorted({c.fr for c in app.router.commands} | {c.en for c in app.router.commands})
    actions = sorted(app.router._actions)
    before = await _staff_state(app)
    for _ in range(data.draw(st.integers(1, 6))):
        who = data.draw(st.sampled_from(["maire", "inconnu"]))
        kind = data.draw(st.sampled_from(["text", "command", "button"]))
        if kind == "text":
            replies = await chat.say(who, data.draw(free_text))
        elif kind == "command":
            name = data.draw(_names(commands))
            args = " ".join(data.draw(arguments))
            replies = await chat.say(who, f"/{name} {args}".strip())
        else:
            action = data.draw(st.sampled_from(actions))
            suffix = data.draw(st.text(max_size=40))
            replies = await chat.press(who, f"{action}:{suffix}")
        said = text(replies)
        if replies:
            assert all(r.text for r in replies)
            assert INTERNAL_ERROR not in said
        else:  # only whitespace, which is not a message, gets no answer
            assert kind == "text"
    assert await _staff_state(app) == before
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert await app.services.db.fetchval("PRAGMA integrity_check") == "ok"
