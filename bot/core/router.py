"""What each flow declares: its commands, the steps it waits in, its buttons.

The declarations are data a reader (and ``/aide``, and each backend's menu) can
see in one place; ``bot.core.dispatcher`` is what runs them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from bot.core.arguments import CommandArgs
from bot.core.callbacks import ButtonData
from bot.core.context import Context
from bot.core.rules import Audience, Reveals, Rules

CommandFn = Callable[[Context], Awaitable[None]]
StepFn = Callable[[Context, str], Awaitable[None]]
ActionFn = Callable[[Context, Any], Awaitable[None]]
D = TypeVar("D", bound=ButtonData)
A = TypeVar("A", bound=CommandArgs)


@dataclass(frozen=True)
class Command:
    """A command with its French name, English alias, one-line summary and rules.

    ``rules.phases`` are the phases in which it acts (the dispatcher refuses it
    outside them); ``suggested`` those in which ``/aide`` offers it, when they
    differ: browsing the proposals works at any time but is worth offering only
    once there are proposals to vote on.
    """

    key: str
    fr: str
    en: str
    summary: str
    fn: Callable[..., Awaitable[None]]
    rules: Rules = field(default_factory=Rules)
    suggested: frozenset[str] | None = None
    args: type[CommandArgs] | None = None
    """The arguments' declaration; its handler then receives them parsed."""

    @property
    def audience(self) -> Audience:
        return self.rules.audience

    @property
    def phases(self) -> frozenset[str] | None:
        return self.rules.phases

    @property
    def group_ok(self) -> bool:
        return self.rules.group_ok

    @property
    def reveals(self) -> Reveals:
        return self.rules.reveals

    @property
    def offered_in(self) -> frozenset[str] | None:
        """The phases in which ``/aide`` lists it (None: always)."""
        return self.suggested if self.suggested is not None else self.rules.phases


@dataclass(frozen=True)
class Action:
    """A button's handler, the typed data it reads and its rules.

    The data is parsed before the handler runs (``bot.core.callbacks``); it
    proves nothing, so the handler re-checks everything else (does the row
    exist, is the person in the step) as if the person had typed it.
    """

    name: str
    fn: ActionFn
    rules: Rules
    data: type[ButtonData]


@dataclass(frozen=True)
class Step:
    """The handler of the text a person types while a flow waits in ``name``."""

    name: str
    fn: StepFn
    rules: Rules


class Router:
    """The declarations of one flow: its commands, steps and button actions.

    Each flow module holds one at module level (``router = Router("needs")``), as
    aiogram's ``Router`` or a maubot plugin's handlers do, and the handlers are
    top-level functions decorated with it. ``audience`` and ``reveals`` given
    here are the flow's defaults (the staff's flows say it once), each
    declaration may say otherwise. The dispatcher includes every flow's router
    in the order ``/aide`` lists them, and refuses a name taken twice.
    """

    def __init__(
        self, name: str = "", *, audience: Audience = "everyone", reveals: Reveals = "personal"
    ) -> None:
        self.name = name
        self.audience: Audience = audience
        self.reveals: Reveals = reveals
        self._commands: list[Command] = []
        self._by_name: dict[str, Command] = {}
        self._steps: dict[str, Step] = {}
        self._actions: dict[str, Action] = {}

    # -- registration -------------------------------------------------------------
    @property
    def commands(self) -> Sequence[Command]:
        return tuple(self._commands)

    @property
    def actions(self) -> Sequence[Action]:
        return tuple(self._actions.values())

    @property
    def steps(self) -> Sequence[Step]:
        return tuple(self._steps.values())

    def _rules(
        self,
        audience: Audience | None,
        phases: Sequence[str] | None,
        group_ok: bool,
        reveals: Reveals | None,
    ) -> Rules:
        return Rules(
            audience=audience or self.audience,
            phases=frozenset(phases) if phases else None,
            group_ok=group_ok,
            reveals=reveals or self.reveals,
        )

    @overload
    def command(
        self,
        key: str,
        fr: str,
        en: str,
        summary: str,
        *,
        args: None = None,
        audience: Audience | None = None,
        phases: Sequence[str] | None = None,
        suggested: Sequence[str] | None = None,
        group_ok: bool = False,
        reveals: Reveals | None = None,
    ) -> Callable[[CommandFn], CommandFn]: ...

    @overload
    def command(
        self,
        key: str,
        fr: str,
        en: str,
        summary: str,
        *,
        args: type[A],
        audience: Audience | None = None,
        phases: Sequence[str] | None = None,
        suggested: Sequence[str] | None = None,
        group_ok: bool = False,
        reveals: Reveals | None = None,
    ) -> Callable[
        [Callable[[Context, A], Awaitable[None]]], Callable[[Context, A], Awaitable[None]]
    ]: ...

    def command(
        self,
        key: str,
        fr: str,
        en: str,
        summary: str,
        *,
        args: type[CommandArgs] | None = None,
        audience: Audience | None = None,
        phases: Sequence[str] | None = None,
        suggested: Sequence[str] | None = None,
        group_ok: bool = False,
        reveals: Reveals | None = None,
    ) -> Callable[[Any], Any]:
        """A command, its rules and, if it takes typed ``args``, their declaration."""
        rules = self._rules(audience, phases, group_ok, reveals)
        offered = frozenset(suggested) if suggested else None

        def decorator(fn: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
            self._add_command(Command(key, fr, en, summary, fn, rules, offered, args))
            return fn

        return decorator

    def _add_command(self, command: Command) -> None:
        for name in {command.fr, command.en}:
            if name in self._by_name:
                raise ValueError(f"command name {name!r} registered twice")
            self._by_name[name] = command
        self._commands.append(command)

    def step(
        self,
        name: str,
        *,
        audience: Audience | None = None,
        phases: Sequence[str] | None = None,
        group_ok: bool = False,
        reveals: Reveals | None = None,
    ) -> Callable[[StepFn], StepFn]:
        rules = self._rules(audience, phases, group_ok, reveals)

        def decorator(fn: StepFn) -> StepFn:
            self._add_step(Step(name, fn, rules))
            return fn

        return decorator

    def _add_step(self, step: Step) -> None:
        if step.name in self._steps:
            raise ValueError(f"step {step.name!r} registered twice")
        self._steps[step.name] = step

    def action(
        self,
        data: type[D],
        *,
        audience: Audience | None = None,
        phases: Sequence[str] | None = None,
        group_ok: bool = False,
        reveals: Reveals | None = None,
    ) -> Callable[
        [Callable[[Context, D], Awaitable[None]]], Callable[[Context, D], Awaitable[None]]
    ]:
        """A button's handler, declared with the typed data it reads (its prefix names it)."""
        rules = self._rules(audience, phases, group_ok, reveals)

        def decorator(
            fn: Callable[[Context, D], Awaitable[None]],
        ) -> Callable[[Context, D], Awaitable[None]]:
            self._add_action(Action(data.prefix, fn, rules, data))
            return fn

        return decorator

    def _add_action(self, action: Action) -> None:
        if action.name in self._actions or ":" in action.name:
            raise ValueError(f"action {action.name!r} invalid or registered twice")
        self._actions[action.name] = action

    def include(self, *routers: Router) -> None:
        """Take over other flows' declarations, in order (the order of ``/aide``)."""
        for router in routers:
            for command in router._commands:
                self._add_command(command)
            for step in router._steps.values():
                self._add_step(step)
            for action in router._actions.values():
                self._add_action(action)

    def lookup(self, name: str) -> Command | None:
        return self._by_name.get(name.lower())
