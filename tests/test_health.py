"""The local health and metrics endpoint, and the JSON log format."""

from __future__ import annotations

import asyncio
import json
import logging
import socket

import aiohttp

from bot.backends.memory import MemoryBackend
from bot.core.config import Config
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
    runner = await health.start(chat.app.services, [chat], Config(metrics_port=port))
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/health") as response:
                assert response.status == 200
                body = await response.json()
            async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                metrics = await response.text()
    finally:
        await runner.cleanup()
    assert body["status"] == "ok"
    assert body["backends"]["memory"]["connected"] is True
    assert body["backends"]["memory"]["last_error"] == ""
    assert (body["outbox_pending"], body["outbox_oldest_seconds"]) == (0, 0.0)
    assert 'guichet_events_total{backend="memory",kind="command"} 2.0' in metrics
    assert 'guichet_events_total{backend="memory",kind="text"} 4.0' in metrics
    assert 'guichet_handler_seconds_count{backend="memory"} 6.0' in metrics
    assert "guichet_outbox_pending 0.0" in metrics
    assert 'guichet_backend_connected{backend="memory"} 1.0' in metrics


async def test_health_says_503_when_a_backend_is_away_too_long(chat: MemoryBackend) -> None:
    port = _free_port()
    config = Config(metrics_port=port, unhealthy_after=0.2)
    runner = await health.start(chat.app.services, [chat], config)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            chat.connectivity.down("HTTP 502: Bad Gateway")
            async with session.get(f"{url}/health") as response:
                assert response.status == 200  # a short outage is the platform's
                body = await response.json()
            assert body["backends"]["memory"]["connected"] is False
            assert body["backends"]["memory"]["last_error"] == "HTTP 502: Bad Gateway"
            await asyncio.sleep(0.3)
            async with session.get(f"{url}/health") as response:
                assert response.status == 503
                assert (await response.json())["status"] == "disconnected"
            async with session.get(f"{url}/metrics") as response:
                assert 'guichet_backend_connected{backend="memory"} 0.0' in await response.text()
            chat.connectivity.up()
            async with session.get(f"{url}/health") as response:
                assert response.status == 200
    finally:
        await runner.cleanup()


def test_json_log_lines_carry_no_more_than_the_message() -> None:
    record = logging.LogRecord(
        "bot.core.router", logging.ERROR, __file__, 1, "handler failed on %s", ("telegram",), None
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "ERROR" and line["message"] == "handler failed on telegram"
    assert set(line) == {"time", "level", "logger", "message"}
