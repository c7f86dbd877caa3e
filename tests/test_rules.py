"""Rules declared once: who may use a command, a button or a step, in which phases,
whether it answers in a group and what it reveals; the dispatcher enforces them
before the handler runs, and ``/aide`` and the menus read the same declarations."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.backends.memory import MemoryBackend
from bot.core.callbacks import ButtonData
from bot.core.context import Context
from handlers import FLOWS
from storage import persons
from tests.conftest import onboard, text

HANDLERS = Path(__file__).resolve().parent.parent / "handlers"


class StaffOnly(ButtonData, prefix="t.staff"):
    pass


class MemberOnly(ButtonData, prefix="t.member"):
    pass


async def _make_staff(chat: MemoryBackend, name: str) -> None:
    await chat.say(name, "/aide")
    person = await persons.by_identity(chat.app.services.db, chat.identity(name))
    assert person is not None
    await persons.set_role(chat.app.services.db, person.id, "staff")


async def test_a_button_outside_its_audience_never_reaches_its_handler(
    chat: MemoryBackend,
) -> None:
    router, ran = chat.app.router, []

    @router.action(StaffOnly, audience="staff")
    async def staff_only(ctx: Context, pressed: StaffOnly) -> None:
        ran.append(ctx.person.id)
        ctx.reply("done")

    assert "réservée à l'équipe" in text(await chat.press("a", "t.staff"))
    assert ran == []
    await _make_staff(chat, "s")
    assert "done" in text(await chat.press("s", "t.staff"))
    assert len(ran) == 1


async def test_a_step_outside_its_phase_is_refused_with_the_calendar_wording(
    chat: MemoryBackend,
) -> None:
    router, ran = chat.app.router, []

    @router.command("t.go", "essai", "try", "Try")
    async def start(ctx: Context) -> None:
        ctx.ask("t.wait", "type something")

    @router.step("t.wait", phases=["vote"])
    async def typed(ctx: Context, text: str) -> None:
        ran.append(text)

    await chat.say("a", "/essai")
    said = text(await chat.say("a", "hello"))  # the demo is in its needs phase
    assert "Ce sera possible pendant la phase « vote des solutions », du 10 janvier" in said
    assert "En cours : collecte des besoins." in said
    assert ran == []


async def test_a_member_button_in_the_right_phase_runs_once_the_person_is_a_member(
    chat: MemoryBackend,
) -> None:
    router = chat.app.router

    @router.action(MemberOnly, audience="member", phases=["needs"])
    async def member_only(ctx: Context, pressed: MemberOnly) -> None:
        ctx.reply("member ok")

    assert "rattaché·e à une collectivité" in text(await chat.press("a", "t.member"))
    await onboard(chat, "a")
    assert "member ok" in text(await chat.press("a", "t.member"))


def test_every_flow_declares_what_its_answers_reveal() -> None:
    """The staff's flows reveal what only the staff may read; only the public, one-shot
    answers may be given in a group (today /aide and /calendrier), and /lier, which
    the staff type in the very group it binds to a proposal: its answer is for that
    group (public), or a shared room would only read that it went private."""
    for flow in FLOWS:
        for command in flow.commands:
            if command.audience in ("staff", "admin") and command.key != "bind":
                assert command.reveals == "staff", command.key
            if command.group_ok:
                assert command.key in ("help", "calendar", "bind"), command.key
        for action in flow.actions:
            if action.rules.audience in ("staff", "admin"):
                assert action.rules.reveals == "staff", action.name
    grouped = {c.key for flow in FLOWS for c in flow.commands if c.group_ok}
    assert grouped == {"help", "calendar", "bind"}


def test_no_handler_checks_the_audience_or_the_phase_itself() -> None:
    """What the declarations say is checked in one place: no flow repeats it."""
    forbidden = {"require_staff", "require_phase", "require_member", "_require_admin"}
    for path in HANDLERS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name | ast.Attribute):
                name = node.id if isinstance(node, ast.Name) else node.attr
                assert name not in forbidden, f"{path.name}: {name}"
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.name not in forbidden, f"{path.name}: {node.name}"
