"""Typed button data: packed and parsed in one place, ASCII digits only, bounded,
naming things by ids staff cannot change; anything else is the one stale answer."""

from __future__ import annotations

import ast
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

import pytest

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.arguments import InvalidArguments
from bot.core.callbacks import MAX_BYTES, ButtonData, Id, InvalidData, Token
from bot.core.clock import FrozenClock
from storage import persons
from tests.conftest import make_app, onboard, text

STALE = "n'est plus valable"
INTERNAL_ERROR = "un problème est survenu de notre côté"


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def _role(chat: MemoryBackend, user: str, role: str) -> None:
    await chat.say(user, "/langue fr")
    person = await persons.by_identity(chat.app.services.db, chat.identity(user))
    assert person is not None
    await persons.set_role(chat.app.services.db, person.id, role)  # type: ignore[arg-type]


@pytest.fixture
async def supporting(db_path: Path, clock: FrozenClock) -> AsyncIterator[MemoryBackend]:
    app: App = await make_app(db_path, clock, phase="support")
    yield MemoryBackend(app)
    await app.close()


async def _renumber(chat: MemoryBackend, old: int, new: int) -> None:
    await chat.say("equipe", f"/modifier_proposition {old}")
    await chat.say("equipe", "1")  # the number
    assert "modifiée" in text(await chat.say("equipe", str(new)))


async def test_an_old_support_button_commits_to_the_proposal_the_member_read(
    supporting: MemoryBackend,
) -> None:
    db = supporting.app.services.db
    await onboard(supporting, "maire")
    await _role(supporting, "equipe", "staff")
    rows = await db.fetchall("SELECT proposal_id FROM supports WHERE collectivite = '24432'")
    before = {row["proposal_id"] for row in rows}
    detail = await supporting.say("maire", "/proposition 2")
    read = await db.fetchval("SELECT id FROM proposals WHERE number = 2")
    support_button = detail[-1].choices[0]
    assert support_button.label.startswith("La soutenir")

    # The staff renumber: no. 2 becomes no. 99, and no. 3 takes number 2.
    await _renumber(supporting, 2, 99)
    await _renumber(supporting, 3, 2)

    said = text(await supporting.press("maire", support_button.data))
    assert "n° 99" in said and "soutient désormais" in said
    supported = await db.fetchall("SELECT proposal_id FROM supports WHERE collectivite = '24432'")
    assert set(before) ^ {row["proposal_id"] for row in supported} == {read}


@pytest.mark.parametrize("bad", ["²", "9" * 20, "-1", "1" * 19 + "0", "٣"])
async def test_unusual_digits_and_huge_ids_get_the_stale_answer(
    chat: MemoryBackend, caplog: pytest.LogCaptureFixture, bad: str
) -> None:
    """``str.isdigit`` accepted ``²`` and any length: need.edit, need.wd, review,
    phases, staff.rm and mod.ok raised ValueError or OverflowError (SQLite INTEGER)."""
    chat.app.router.flood.per_minute = 10**9  # far more presses than a person makes
    await onboard(chat, "maire")
    await _role(chat, "admin", "admin")
    await chat.say("maire", "/besoin")  # a need of their own, so its buttons exist
    actions = sorted(a.name for a in chat.app.router.actions)
    assert {"need.edit", "need.wd", "staff.rm", "mod.ok", "ph.show", "rev.rr"} <= set(actions)
    for name in actions:
        for persona in ("maire", "admin"):
            replies = await chat.press(persona, f"{name}:{bad}")
            said = text(replies)
            where = f"{name}:{bad} by {persona}"
            assert replies and INTERNAL_ERROR not in said, where
            await chat.say(persona, "/annuler")
    for name in ("need.edit", "need.wd", "staff.rm", "mod.ok", "ph.show", "rev.rr", "rev.q"):
        assert STALE in text(await chat.press("admin", f"{name}:{bad}")), name
    assert _errors(caplog) == []
    assert chat.app.services.metrics.errors.labels("memory")._value.get() == 0


def test_the_language_buttons_offer_every_catalog() -> None:
    from typing import get_args

    from bot.core.i18n import LOCALES
    from handlers.language import Language

    assert get_args(Language) == LOCALES


def test_no_handler_parses_a_number_itself() -> None:
    """Numbers come from typed button data or ``bot.core.arguments``, never from a
    flow's own ``isdigit`` and ``int``: those accepted ``²`` and any length."""
    handlers = Path(__file__).resolve().parent.parent / "handlers"
    for path in handlers.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("isdigit", "isdecimal", "isnumeric"), path.name
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "int", f"{path.name}:{node.lineno}"


def test_every_flow_button_is_typed_and_fits_telegram() -> None:
    from handlers import FLOWS

    prefixes = [action.name for flow in FLOWS for action in flow.actions]
    assert len(prefixes) == len(set(prefixes)) > 60
    for flow in FLOWS:
        for action in flow.actions:
            assert issubclass(action.data, ButtonData) and action.data.prefix == action.name
            with pytest.raises(InvalidData):
                action.data.unpack(action.name + ":x" * 40)  # past 64 bytes
            assert len(action.name.encode()) < MAX_BYTES


class Sample(ButtonData, prefix="t.sample"):
    item: Id
    kind: Literal["a", "b"]
    code: Token | None = None


@pytest.mark.parametrize(
    "data",
    [
        "t.sample",
        "t.sample:1",
        "t.sample:²:a",
        "t.sample:٣:a",
        "t.sample:+1:a",
        "t.sample:-1:a",
        "t.sample: 1:a",
        "t.sample:" + "9" * 20 + ":a",
        f"t.sample:{2**63}:a",
        "t.sample:1:c",
        "t.sample:1:a:",
        "t.sample:1:a:x:y",
        "t.sample:1:a:" + "é" * 21,
        "t.other:1:a",
    ],
)
def test_typed_data_refuses_what_it_does_not_declare(data: str) -> None:
    with pytest.raises(InvalidData):
        Sample.unpack(data)


def test_typed_data_round_trips_and_leaves_trailing_defaults_out() -> None:
    assert Sample(item=12, kind="a").pack() == "t.sample:12:a"
    assert Sample.unpack("t.sample:12:a") == Sample(item=12, kind="a")
    largest = Sample(item=2**63 - 1, kind="b", code="2A004")
    assert Sample.unpack(largest.pack()) == largest
    with pytest.raises(ValueError):
        Sample(item=2**63 - 1, kind="a", code="x" * 40).pack()  # 71 bytes; 64 at most


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("/journal ²", "/journal 2"),
        ("/journal 1 2", "/journal 2"),
        ("/modifier_proposition " + "9" * 20, "/modifier_proposition 12"),
        ("/modifier_proposition", "/modifier_proposition 12"),
        ("/regrouper 1", "/regrouper 5 12 13 14"),
        ("/regrouper 1 ²", "/regrouper 5 12 13 14"),
        ("/regrouper ٣ 4", "/regrouper 5 12 13 14"),
    ],
)
async def test_typed_command_arguments_get_the_usage_line(
    chat: MemoryBackend, caplog: pytest.LogCaptureFixture, command: str, usage: str
) -> None:
    await _role(chat, "admin", "admin")
    said = text(await chat.say("admin", command))
    assert usage in said and "Tapez" in said, said
    assert _errors(caplog) == []


def test_command_arguments_fill_fields_in_order_and_a_list_takes_the_rest() -> None:
    from handlers.journal import JournalArgs
    from handlers.review import GroupArgs

    assert JournalArgs.parse(()).page == 1
    assert JournalArgs.parse(("3",)).page == 3
    parsed = GroupArgs.parse(("5", "12", "13"))
    assert (parsed.proposal, parsed.contributions) == (5, [12, 13])
    for words in ((), ("5",), ("5", "x"), ("5", "-1"), ("1" * 10, "2")):
        with pytest.raises(InvalidArguments):
            GroupArgs.parse(words)
