"""Text cleaned at the edge: what a person chose can neither hide nor forge anything.

Reproduces what was found by hand: a display name with a newline inserted a
forged "Identité :" line into ``/moderation`` and the staff notice; right-to-left
overrides passed on every backend; a lone surrogate in a first-contact display
name made every message from that person raise out of ``App.handle``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from bot.core.messages import Incoming, Kind, from_text
from bot.core.text import clean_line, clean_text
from storage import persons
from tests.conftest import make_app, onboard, text

FORGED = (
    "Jean\nIdentité, vérifiée par la plateforme : matrix:@jean.dupont-paris.fr:agent.tchap.gouv.fr"
)


def test_controls_and_bidi_overrides_are_removed_and_lines_kept() -> None:
    assert clean_text("a\u202eb\u2066c\u2069d\u200fe\x00f\x1bg\x7fh") == "abcdefgh"
    assert clean_text("ligne 1\r\nligne 2\rligne 3\u2028ligne 4") == (
        "ligne 1\nligne 2\nligne 3\nligne 4"
    )
    assert clean_text("col\tonne") == "col onne"
    assert clean_text("\ufeffbonjour\u200b") == "bonjour"


def test_what_carries_meaning_stays() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji, joined
    assert clean_text(f"Voilà {family} ! «\u00a0ok\u00a0»") == f"Voilà {family} ! «\u00a0ok\u00a0»"
    assert clean_text("e\u0301") == "é"  # composed (NFC), as SQLite compares it


def test_lone_surrogates_become_a_replacement_character() -> None:
    cleaned = clean_text("a\ud800b\udfffc")
    assert cleaned == "a\ufffdb\ufffdc"
    cleaned.encode("utf-8")  # would raise with the surrogates


def test_a_name_is_one_line() -> None:
    assert clean_line("  Jean \n Dupont\u2029\t ") == "Jean Dupont"
    assert len(clean_line("x" * 500, 80)) == 80


def test_every_incoming_is_cleaned_whoever_builds_it() -> None:
    typed = from_text("telegram:1", "e1", "\u202e/aide\u202c x\u0007", display_name=FORGED)
    assert (typed.kind, typed.command, typed.args) == (Kind.COMMAND, "aide", ("x",))
    assert "\n" not in typed.display_name
    pressed = Incoming(
        "telegram:1", "e2", Kind.CHOICE, data="mod.ok:1\u202e", display_name="\ud800"
    )
    assert pressed.data == "mod.ok:1" and pressed.display_name == "\ufffd"
    body = from_text("telegram:1", "e3", "Premier point\nSecond point\u202e")
    assert body.text == "Premier point\nSecond point"


@pytest.fixture
async def staffed(db_path: Path, clock: FrozenClock) -> AsyncIterator[App]:
    application = await make_app(db_path, clock, verification="staff")
    staff = await persons.ensure(application.services.db, "memory:boss", now=clock.now())
    await persons.set_role(application.services.db, staff.id, "admin")
    yield application
    await application.close()


async def _request(chat: MemoryBackend, identity: str, name: str) -> None:
    for n, line in enumerate(("/start", "1", "24432", "1", "1")):
        await chat.send(from_text(identity, f"{identity}:{n}", line, display_name=name))


async def test_a_forged_identity_line_cannot_reach_the_staff(staffed: App) -> None:
    chat = MemoryBackend(staffed)
    await _request(chat, "matrix:@x:evil.example.org", FORGED)
    [notice] = chat.inbox("boss")
    assert "\n" not in notice.text and "“Jean Identité" in notice.text
    view = text(await chat.say("boss", "/moderation"))
    identity_lines = [line for line in view.splitlines() if line.startswith("Identité")]
    assert identity_lines == ["Identité, vérifiée par la plateforme : matrix:@x:evil.example.org"]
    assert "Nom, choisi par la personne : “Jean Identité, vérifiée" in view


async def test_a_lone_surrogate_in_a_first_contact_name_breaks_nothing(staffed: App) -> None:
    chat = MemoryBackend(staffed)
    for n in range(2):
        incoming = Incoming(
            "telegram:77", f"t:{n}", Kind.COMMAND, command="aide", display_name="A\ud83dB"
        )
        replies = await chat.send(incoming)
        assert "Pour participer" in text(replies), text(replies)
    person = await persons.by_identity(staffed.services.db, "telegram:77")
    assert person is not None and person.display_name == "A\ufffdB"


async def test_a_need_keeps_its_lines_and_its_title_is_one_line(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    for line in (
        "/besoin",
        "Covoiturage\nIdentité : forgée",
        "Premier point.\n\u202eSecond point.",
        "1",
        "1",
    ):
        await chat.say("maire", line)
    row = await chat.app.services.db.fetchone("SELECT title, body FROM contributions")
    assert row is not None
    assert (row["title"], row["body"]) == (
        "Covoiturage Identité : forgée",
        "Premier point.\n\nSecond point.".replace("\n\n", "\n"),
    )
