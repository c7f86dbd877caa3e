"""What each flow declares: its commands, the steps it waits in, its buttons.

The declarations are data a reader (and ``/aide``, and each backend's menu) can
see in one place; ``bot.core.dispatcher`` is what runs them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core.context import Context

Audience = Literal["everyone", "member", "staff", "admin"]
CommandFn = Callable[[Context], Awaitable[None]]
StepFn = Callable[[Context, str], Awaitable[None]]
ActionFn = Callable[[Context, list[str]], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    """A command with its French name, English alias and one-line summary.

    ``phases`` lists the phases in which ``/aide`` offers it (None: always);
    the handler still checks the phase itself, since help is only advice.
    """

    key: str
    fr: str
    en: str
    summary: str
    fn: CommandFn
    audience: Audience = "everyone"
    phases: frozenset[str] | None = None
    private: bool = False


class Router:
    """The declarations of one flow: its commands, steps and button actions.

    Each flow module holds one at module level (``router = Router("needs")``), as
    aiogram's ``Router`` or a maubot plugin's handlers do, and the handlers are
    top-level functions decorated with it. The dispatcher includes every flow's
    router in the order ``/aide`` lists them, and refuses a name taken twice.
    """

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._commands: list[Command] = []
        self._by_name: dict[str, Command] = {}
        self._steps: dict[str, StepFn] = {}
        self._actions: dict[str, ActionFn] = {}

    # -- registration -------------------------------------------------------------
    @property
    def commands(self) -> Sequence[Command]:
        return tuple(self._commands)

    def command(
        self,
        key: str,
        fr: str,
        en: str,
        summary: str,
        *,
        audience: Audience = "everyone",
        phases: Sequence[str] | None = None,
        private: bool = False,
    ) -> Callable[[CommandFn], CommandFn]:
        def decorator(fn: CommandFn) -> CommandFn:
            self._add_command(
                Command(
                    key,
                    fr,
                    en,
                    summary,
                    fn,
                    audience,
                    frozenset(phases) if phases else None,
                    private,
                )
            )
            return fn

        return decorator

    def _add_command(self, command: Command) -> None:
        for name in {command.fr, command.en}:
            if name in self._by_name:
                raise ValueError(f"command name {name!r} registered twice")
            self._by_name[name] = command
        self._commands.append(command)

    def step(self, name: str) -> Callable[[StepFn], StepFn]:
        def decorator(fn: StepFn) -> StepFn:
            self._add_step(name, fn)
            return fn

        return decorator

    def _add_step(self, name: str, fn: StepFn) -> None:
        if name in self._steps:
            raise ValueError(f"step {name!r} registered twice")
        self._steps[name] = fn

    def action(self, name: str) -> Callable[[ActionFn], ActionFn]:
        """A button's handler. Its data is ``name:arg:arg``; it proves nothing,
        so the handler re-checks everything as if the person had typed it."""

        def decorator(fn: ActionFn) -> ActionFn:
            self._add_action(name, fn)
            return fn

        return decorator

    def _add_action(self, name: str, fn: ActionFn) -> None:
        if name in self._actions or ":" in name:
            raise ValueError(f"action {name!r} invalid or registered twice")
        self._actions[name] = fn

    def include(self, *routers: Router) -> None:
        """Take over other flows' declarations, in order (the order of ``/aide``)."""
        for router in routers:
            for command in router._commands:
                self._add_command(command)
            for name, step in router._steps.items():
                self._add_step(name, step)
            for name, action in router._actions.items():
                self._add_action(name, action)

    def lookup(self, name: str) -> Command | None:
        return self._by_name.get(name.lower())
