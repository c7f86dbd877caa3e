"""``/aide`` depends on phase and role; ``/calendrier`` shows dates and time left."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from bot.core.context import Context
from tests.conftest import make_app, onboard, text


async def test_newcomer_is_pointed_to_start(chat: MemoryBackend) -> None:
    help_text = text(await chat.say("a", "/aide"))
    assert "En cours : collecte des besoins." in help_text
    assert (
        "Pour participer, dites d'abord quelle collectivité vous représentez : /start." in help_text
    )
    assert "/moderation" not in help_text
    assert "/equipe" not in help_text


async def test_staff_and_admin_see_their_commands(chat: MemoryBackend) -> None:
    await chat.say("s", "/aide")
    await chat.app.services.db.execute("UPDATE persons SET role = 'staff' WHERE display_name='s'")
    staff_help = text(await chat.say("s", "/aide"))
    assert "/moderation" in staff_help and "/equipe" not in staff_help
    await chat.app.services.db.execute("UPDATE persons SET role = 'admin' WHERE display_name='s'")
    assert "/equipe" in text(await chat.say("s", "/aide"))


async def test_help_follows_the_open_phase(chat: MemoryBackend) -> None:
    router = chat.app.router

    @router.command("vote_demo", "voter", "vote", "Vote", phases=["vote"], audience="member")
    async def vote(ctx: Context) -> None:
        ctx.reply("ok")

    await onboard(chat, "maire")
    assert "/voter" not in text(await chat.say("maire", "/aide"))
    clock = chat.app.services.clock
    assert isinstance(clock, FrozenClock)
    consultation = await chat.app.router.services.db.fetchone(
        "SELECT opens_at FROM phases WHERE kind = 'vote'"
    )
    assert consultation is not None
    from bot.core.clock import from_iso

    clock.set(from_iso(consultation["opens_at"]))
    help_text = text(await chat.say("maire", "/aide"))
    assert "/voter — Vote" in help_text
    assert "En cours : vote des solutions." in help_text


@pytest.mark.parametrize(
    ("phase", "expected"),
    [("needs", "1. Collecte des besoins"), ("support", "3. Manifestation de soutien")],
)
async def test_calendar_marks_the_open_phase(
    db_path: Path, clock: FrozenClock, phase: str, expected: str
) -> None:
    app = await make_app(db_path, clock, phase=phase)
    chat = MemoryBackend(app)
    calendar = text(await chat.say("a", "/calendrier")).splitlines()
    [open_line] = [line for line in calendar if "OUVERTE" in line]
    assert open_line.startswith(expected)
    assert "encore" in open_line and "jours" in open_line
    assert "du 21 novembre 2026" in "\n".join(calendar) or phase != "needs"
    await app.close()


async def test_calendar_in_english_with_closed_and_future_phases(
    db_path: Path, clock: FrozenClock
) -> None:
    app = await make_app(db_path, clock, phase="vote")
    chat = MemoryBackend(app)
    await chat.say("a", "/language en")
    calendar = text(await chat.say("a", "/calendar"))
    assert "1. Collection of needs — from" in calendar and "— closed" in calendar
    assert "2. Vote on the proposals" in calendar and "OPEN NOW, 21 days left" in calendar
    assert "4. Selection of the projects — from" in calendar and "opens in" in calendar
    await app.close()
