"""Logging set-up: quiet by default, JSON lines on request, never a token or a message.

Request URLs of the Telegram API carry the bot token, so the HTTP client
libraries stay at WARNING whatever level the rest runs at; handlers log event
kinds and backends, never what people wrote.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

QUIET = ("httpx", "httpcore", "aiohttp.access", "apscheduler", "telegram.ext", "nio")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for journald or a log shipper."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: int = logging.WARNING, fmt: str = "text") -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
