"""An optional local HTTP endpoint: ``/health`` for the supervisor, ``/metrics`` for
Prometheus. Bound to 127.0.0.1: a reverse proxy decides who else may look."""

from __future__ import annotations

import json
from collections.abc import Sequence

from aiohttp import web

from bot.core.clock import from_iso
from bot.core.context import Services


async def _outbox_figures(services: Services) -> tuple[int, float]:
    row = await services.db.fetchone(
        "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE status = 'pending'"
    )
    if row is None or not row["n"]:
        return 0, 0.0
    age = (services.clock.now() - from_iso(row["oldest"])).total_seconds()
    return int(row["n"]), max(age, 0.0)


def make_app(services: Services, backends: Sequence[str]) -> web.Application:
    async def health(request: web.Request) -> web.Response:
        try:
            await services.db.fetchval("SELECT 1")
            pending, age = await _outbox_figures(services)
        except Exception as exc:  # the point of a health check is to say so
            failed = {"status": "error", "error": type(exc).__name__}
            return web.Response(
                status=503, text=json.dumps(failed), content_type="application/json"
            )
        body: dict[str, object] = {
            "status": "ok",
            "backends": list(backends),
            "outbox_pending": pending,
            "outbox_oldest_seconds": round(age, 1),
        }
        return web.Response(text=json.dumps(body), content_type="application/json")

    async def metrics(request: web.Request) -> web.Response:
        pending, age = await _outbox_figures(services)
        services.metrics.outbox_depth.set(pending)
        services.metrics.outbox_age.set(age)
        return web.Response(
            body=services.metrics.render(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    return app


async def start(services: Services, backends: Sequence[str], port: int) -> web.AppRunner:
    runner = web.AppRunner(make_app(services, backends), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner
