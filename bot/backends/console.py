"""The terminal chat: the embedded default, used by ``guichet demo``.

Each line is a message; choices print as a numbered list and typing the
number picks one. ``/as NAME`` switches to another person, so one trial can
play a mayor, then an agent, then the staff. Piped input works the same and
ends at end of input.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TextIO

from bot.backends.base import Connectivity, Host
from bot.backends.render import numbered
from bot.core.messages import Reply, from_text
from bot.core.unrecorded import Unrecorded


class ConsoleBackend:
    name = "console"
    command_prefix = "/"

    def __init__(
        self,
        user: str = "maire",
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        after_event: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.user = user
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self._ids = itertools.count(1)
        self._files = Path(tempfile.mkdtemp(prefix="guichet-files-"))
        self.after_event = after_event
        self._session = uuid.uuid4().hex[:12]
        self.interactive = self.stdin.isatty()
        self.connectivity = Connectivity(self.name)
        self.connectivity.up()  # the terminal is always there

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def _render(self, reply: Reply) -> str:
        text = numbered(reply)
        if reply.file is not None:
            path = self._files / Path(reply.file.name).name
            path.write_bytes(reply.file.content)
            text += f"\n[{reply.file.name}: {path}]"
        if reply.image is not None:
            path = self._files / "image.png"
            path.write_bytes(reply.image.png)
            text += f"\n[{path}]"
        return text

    async def deliver(
        self,
        identity: str,
        address: str,
        reply: Reply,
        *,
        key: str = "",
        context: Mapping[str, str] | None = None,
    ) -> None:
        who = identity.split(":", 1)[1]
        self._print(f"── {who} ⟵ Guichet ──\n{self._render(reply)}")

    async def close(self) -> None:
        return None

    async def _readline(self) -> str:
        if self.interactive:
            self.stdout.write(f"{self.user}> ")
            self.stdout.flush()
        return await asyncio.get_running_loop().run_in_executor(None, self.stdin.readline)

    async def run(self, host: Host, stop: asyncio.Event) -> None:
        """Answers are printed as they come: nothing between the bot and the
        terminal can lose them, so they do not go through the outbox."""
        while not stop.is_set():
            line = await self._readline()
            if line == "":
                break
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if not self.interactive:
                self._print(f"{self.user}> {line}")
            head, _, rest = line.strip().partition(" ")
            if head == "/as":
                name = rest.strip()
                if name:
                    self.user = name[:64]
                self._print(f"[{self.user}]")
                continue
            incoming = from_text(
                f"console:{self.user}",
                f"console:{self._session}:{next(self._ids)}",
                line,
                display_name=self.user,
                address=self.user,
            )
            try:
                replies = await host.handle(incoming, None)
            except Unrecorded as unrecorded:  # typed again by the person, if at all
                replies = unrecorded.replies
            for reply in replies:
                self._print(self._render(reply))
            if self.after_event is not None:
                await self.after_event()
        stop.set()
