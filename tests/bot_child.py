"""``guichet run`` in a process of its own, for the tests that kill it.

Runs the production runner (``bot.ops.runner.run``) on the SQLite file given,
with the Telegram backend pointed at a local Bot API server and/or the Matrix
backend at a local homeserver; it prints ``running`` once started. The parent
sends SIGKILL or SIGTERM and starts it again on the same file.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.config import Config, Limits, MatrixConfig, TelegramConfig
from bot.ops import runner
from tests.fake_telegram import TOKEN


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--telegram", default="", help="base URL of the Bot API server")
    parser.add_argument("--matrix", default="", help="homeserver,user_id,password,store_path")
    parser.add_argument("--metrics-port", type=int, default=0)
    parser.add_argument("--disconnected-after", type=float, default=60.0)
    args = parser.parse_args()
    matrix = None
    if args.matrix:
        homeserver, user_id, password, store = args.matrix.split(",")
        matrix = MatrixConfig(homeserver, user_id, password=password, store_path=store)
    config = Config(
        db_path=args.db,
        telegram=TelegramConfig(token=TOKEN, base_url=args.telegram) if args.telegram else None,
        matrix=matrix,
        metrics_port=args.metrics_port or None,
        limits=Limits(),
    )
    print("running", flush=True)
    sys.exit(asyncio.run(runner.run(config)))


if __name__ == "__main__":
    main()
