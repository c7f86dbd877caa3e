"""A Guichet sender in a process of its own, for the SIGKILL test.

Delivers the outbox through a backend that appends each recipient to a file
(unbuffered: what the platform "accepted" survives the kill, as it would on
Telegram's side), then exits. ``--ahead SECONDS`` moves its clock forward, to
play the restart that comes after the crash's leases have expired.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App
from bot.backends.base import Connectivity
from bot.core.clock import SystemClock
from bot.core.config import Config
from bot.core.messages import Reply


class AheadClock(SystemClock):
    def __init__(self, seconds: float) -> None:
        self.ahead = timedelta(seconds=seconds)

    def now(self) -> datetime:
        return super().now() + self.ahead


class FileBackend:
    """Stands for the platform: what reached it is in the file."""

    name = "crashy"
    command_prefix = "/"

    def __init__(self, log: Path) -> None:
        self.log = log.open("a", buffering=1, encoding="utf-8")
        self.connectivity = Connectivity(self.name)
        self.connectivity.up()

    async def close(self) -> None:
        self.log.close()

    async def run(self, dispatch: object, stop: asyncio.Event) -> None:
        await stop.wait()

    async def deliver(self, identity: str, address: str, reply: Reply, **how: Any) -> None:
        await asyncio.sleep(0.0005)  # a platform takes a moment to answer
        self.log.write(identity + "\n")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("log")
    parser.add_argument("--ahead", type=float, default=0.0)
    args = parser.parse_args()
    app = await App.create(
        Config(db_path=args.db), clock=AheadClock(args.ahead), load_refdata=False
    )
    app.add_backend(FileBackend(Path(args.log)))
    print("draining", flush=True)
    await app.sender.drain()
    await app.close()


if __name__ == "__main__":
    asyncio.run(main())
