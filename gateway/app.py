"""The ASGI application: routes, authentication before the upgrade, start-up and drain."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from files import http as files_http
from gateway import transports
from gateway.cluster.bridge import RedisBridge
from gateway.consent_metrics import ConsentOutcomes
from gateway.http import admin, captions, consent, metrics, transcription_request
from gateway.runtime import Runtime
from insights import http as insights_http

log = structlog.get_logger("gateway.app")


async def healthz(request: Request) -> Response:
    rt: Runtime = request.app.state.runtime
    state = "draining" if rt.draining else "degraded" if rt.store_degraded() else "ok"
    body: dict[str, object] = {
        "status": state,
        "calls": rt.registry.live,
        "queued": rt.scheduler.queued,
        "models": sorted(rt.engines),
    }
    store = getattr(request.app.state, "store", None)
    if store is not None:
        backlog = store.backlog
        body["store"] = {
            "pending_writes": backlog.pending,
            "write_failures": backlog.failures,
            "writes_lost": backlog.lost,
        }
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


async def _start_bridge(rt: Runtime) -> RedisBridge | None:
    """With `cluster.redis_url`: share this node's call events and show the other nodes' in its captions."""
    service = captions.service_for(rt)
    if rt.config.cluster.redis_url is None or service is None:
        return None
    hub, clock = service.hub, service.clock
    bridge = RedisBridge(rt.config.cluster, lambda event: hub.on_event(event, clock()))
    bridge.on_command = partial(consent.apply_forwarded, rt)
    rt.bus.subscribe(bridge)
    await bridge.start()
    return bridge


def create_app(runtime: Runtime) -> Starlette:
    """Build the app around an already-loaded runtime (models are loaded before serving)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.scheduler.start()
        await admin.open_store(app, runtime)  # no-op unless config.store_dsn
        app.state.audiosocket = audiosocket = await transports.start_audiosocket(runtime)  # None when off
        sweeper = asyncio.create_task(_sweep(runtime), name="call-sweeper")
        app.state.bridge = bridge = await _start_bridge(runtime)
        log.info("gateway_ready", models=sorted(runtime.engines))
        yield
        await drain(runtime)
        sweeper.cancel()
        runtime.close_dropped()  # no resume can reach this process any more
        if bridge is not None:
            runtime.bus.unsubscribe(bridge)
            await bridge.aclose()
        if audiosocket is not None:
            await audiosocket.aclose()
        await files_http.shutdown(runtime)  # recording jobs still running end before the scheduler does
        await admin.close_store(app, runtime)
        await runtime.scheduler.aclose()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/metrics", metrics_endpoint),
            *transports.routes(),
            *captions.routes(runtime),
            *admin.routes(),
            *insights_http.routes(),
            *consent.routes(),
            *transcription_request.routes(),
            *files_http.routes(runtime),
        ],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    ConsentOutcomes.attach(runtime)  # consent outcome counters for /metrics (tenant, announcement, state)
    return app
