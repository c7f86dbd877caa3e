"""An optional local HTTP endpoint: ``/health`` for the supervisor, ``/metrics`` for
Prometheus. Bound to 127.0.0.1: a reverse proxy decides who else may look.

``/health`` says, per backend, whether it reaches its platform, since when and
the last error; it answers 503 when a configured backend has been away longer
than ``unhealthy_after`` seconds (a short outage is the platform's, a long
one is worth a supervisor's look), or when the database does not answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from aiohttp import web

from bot.backends.base import Backend
from bot.core.clock import from_iso
from bot.core.config import Config
from bot.core.context import Services


async def _outbox_figures(services: Services) -> tuple[int, float]:
    row = await services.db.fetchone(
        "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE status = 'pending'"
    )
    if row is None or not row["n"]:
        return 0, 0.0
    age = (services.clock.now() - from_iso(row["oldest"])).total_seconds()
    return int(row["n"]), max(age, 0.0)


def _backend_state(backend: Backend, now: float) -> dict[str, object]:
    link = backend.connectivity
    return {
        "connected": link.connected,
        "since": datetime.fromtimestamp(link.since, UTC).isoformat(timespec="seconds"),
        "seconds": round(now - link.since, 1),
        "last_error": link.last_error,
    }


def make_app(
    services: Services, backends: Sequence[Backend], unhealthy_after: float = 120.0
) -> web.Application:
    def gauges() -> None:
        for backend in backends:
            services.metrics.connected.labels(backend.name).set(int(backend.connectivity.connected))

    async def health(request: web.Request) -> web.Response:
        try:
            await services.db.fetchval("SELECT 1")
            pending, age = await _outbox_figures(services)
        except Exception as exc:  # the point of a health check is to say so
            failed = {"status": "error", "error": type(exc).__name__}
            return web.Response(
                status=503, text=json.dumps(failed), content_type="application/json"
            )
        now = time.time()
        states = {b.name: _backend_state(b, now) for b in backends}
        away = [
            name
            for name, state in states.items()
            if not state["connected"] and float(str(state["seconds"])) > unhealthy_after
        ]
        body: dict[str, object] = {
            "status": "disconnected" if away else "ok",
            "backends": states,
            "outbox_pending": pending,
            "outbox_oldest_seconds": round(age, 1),
        }
        return web.Response(
            status=503 if away else 200, text=json.dumps(body), content_type="application/json"
        )

    async def metrics(request: web.Request) -> web.Response:
        pending, age = await _outbox_figures(services)
        services.metrics.outbox_depth.set(pending)
        services.metrics.outbox_age.set(age)
        gauges()
        return web.Response(
            body=services.metrics.render(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    return app


async def start(services: Services, backends: Sequence[Backend], config: Config) -> web.AppRunner:
    runner = web.AppRunner(make_app(services, backends, config.unhealthy_after), access_log=None)
    await runner.setup()
    assert config.metrics_port is not None
    await web.TCPSite(runner, "127.0.0.1", config.metrics_port).start()
    return runner
