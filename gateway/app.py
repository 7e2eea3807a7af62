"""The ASGI application: routes, authentication before the upgrade, start-up and drain."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import transports
from gateway.http import admin, captions, metrics
from gateway.runtime import Runtime

log = structlog.get_logger("gateway.app")


async def healthz(request: Request) -> Response:
    rt: Runtime = request.app.state.runtime
    state = "draining" if rt.draining else "degraded" if rt.store_degraded() else "ok"
    body: dict[str, object] = {"status": state, "calls": rt.registry.live, "queued": rt.scheduler.queued,
                               "models": sorted(rt.engines)}
    store = getattr(request.app.state, "store", None)
    if store is not None:
        backlog = store.backlog
        body["store"] = {"pending_writes": backlog.pending, "write_failures": backlog.failures,
                         "writes_lost": backlog.lost}
    return JSONResponse(body, status_code=200 if state == "ok" else 503)


async def metrics_endpoint(request: Request) -> Response:
    return Response(metrics.render(request.app.state.runtime), media_type=metrics.CONTENT_TYPE)


async def drain(rt: Runtime) -> None:
    """Stop taking calls, let every open call flush its finals and close (1001), then stop the engine."""
    rt.draining = True
    conns = list(rt.connections)
    for conn in conns:
        conn.request_drain()
    deadline = asyncio.get_running_loop().time() + rt.config.drain_timeout_s
    while rt.connections and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110 (bounded poll)
        await asyncio.sleep(0.05)
    log.info("drained", open_connections=len(rt.connections))


async def _sweep(rt: Runtime, every_s: float = 1.0) -> None:
    """Close the dropped calls whose resume window ran out (their `CallClosed`), once a second."""
    while True:
        await asyncio.sleep(every_s)
        rt.sweep()


def create_app(runtime: Runtime) -> Starlette:
    """Build the app around an already-loaded runtime (models are loaded before serving)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.scheduler.start()
        await admin.open_store(app, runtime)  # no-op unless config.store_dsn
        app.state.audiosocket = audiosocket = await transports.start_audiosocket(runtime)  # None when off
        sweeper = asyncio.create_task(_sweep(runtime), name="call-sweeper")
        log.info("gateway_ready", models=sorted(runtime.engines))
        yield
        await drain(runtime)
        sweeper.cancel()
        runtime.close_dropped()  # no resume can reach this process any more
        if audiosocket is not None:
            await audiosocket.aclose()
        await admin.close_store(app, runtime)
        await runtime.scheduler.aclose()

    app = Starlette(routes=[
        Route("/healthz", healthz),
        Route("/metrics", metrics_endpoint),
        *transports.routes(),
        *captions.routes(runtime),
        *admin.routes(),
    ], lifespan=lifespan)
    app.state.runtime = runtime
    return app
