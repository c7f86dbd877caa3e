"""The local health and metrics endpoint, and the JSON log format."""

from __future__ import annotations

import json
import logging
import socket

import aiohttp

from bot.backends.memory import MemoryBackend
from bot.ops import health
from bot.ops.logs import JsonFormatter
from tests.conftest import onboard


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_health_and_metrics(chat: MemoryBackend) -> None:
    await onboard(chat, "maire")
    await chat.say("maire", "/aide")
    port = _free_port()
    runner = await health.start(chat.app.services, ["memory"], port)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/health") as response:
                assert response.status == 200
                body = await response.json()
            async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                metrics = await response.text()
    finally:
        await runner.cleanup()
    assert body == {
        "status": "ok",
        "backends": ["memory"],
        "outbox_pending": 0,
        "outbox_oldest_seconds": 0.0,
    }
    assert 'guichet_events_total{backend="memory",kind="command"} 2.0' in metrics
    assert 'guichet_events_total{backend="memory",kind="text"} 4.0' in metrics
    assert 'guichet_handler_seconds_count{backend="memory"} 6.0' in metrics
    assert "guichet_outbox_pending 0.0" in metrics


def test_json_log_lines_carry_no_more_than_the_message() -> None:
    record = logging.LogRecord(
        "bot.core.router", logging.ERROR, __file__, 1, "handler failed on %s", ("telegram",), None
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "ERROR" and line["message"] == "handler failed on telegram"
    assert set(line) == {"time", "level", "logger", "message"}
