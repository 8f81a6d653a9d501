"""The small HTTP server an operator and an orchestrator talk to: /metrics, /healthz and /readyz."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from .metrics import Metrics

# Says why the bot is not ready to serve, or None when it is.
Readiness = Callable[[], Awaitable[str | None]]


async def start_health(
    host: str, port: int, metrics: Metrics, ready: Readiness, refresh: Callable[[], None] = lambda: None
) -> web.AppRunner:
    """Serve the operator's endpoints on ``host:port`` until the returned runner is cleaned up."""

    async def healthz(request: web.Request) -> web.Response:
        # Answering at all is the proof: the event loop runs.
        return web.Response(text="ok\n")

    async def readyz(request: web.Request) -> web.Response:
        reason = await ready()
        if reason is None:
            return web.Response(text="ready\n")
        return web.Response(status=503, text=reason + "\n")

    async def scrape(request: web.Request) -> web.Response:
        refresh()
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", scrape)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
