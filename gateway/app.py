"""The ASGI application: routes, authentication before the upgrade, start-up and drain."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from files import http as files_http
from gateway import captions, metrics, privacy_api, telephony, webrtc
from gateway.auth import bearer_token, tenant_for
from gateway.runtime import Runtime
from gateway.stream import StreamConnection
from protocol.codec import Mode

log = structlog.get_logger("gateway.app")


def _mode(ws: WebSocket) -> tuple[Mode, str | None]:
    offered = list(ws.scope.get("subprotocols") or [])
    for mode in (Mode.JSON, Mode.MSGPACK):
        if mode.value in offered:
            return mode, mode.value
    return Mode.JSON, None  # no subprotocol offered: JSON, as the v1 default


async def stream_endpoint(ws: WebSocket) -> None:
    rt: Runtime = ws.app.state.runtime
    tenant = tenant_for(bearer_token(ws.headers, ws.query_params), rt.config.tokens)
    if tenant is None:
        await ws.send_denial_response(JSONResponse({"code": "unauthorized"}, status_code=401,
                                                   headers={"WWW-Authenticate": "Bearer"}))
        return
    mode, subprotocol = _mode(ws)
    await ws.accept(subprotocol=subprotocol)
    await StreamConnection(ws, rt, mode, tenant).run()


async def healthz(request: Request) -> Response:
    rt: Runtime = request.app.state.runtime
    status = 503 if rt.draining else 200
    return JSONResponse({"status": "draining" if rt.draining else "ok", "calls": rt.registry.live,
                         "queued": rt.scheduler.queued, "models": sorted(rt.engines)}, status_code=status)


async def metrics_endpoint(request: Request) -> Response:
    return PlainTextResponse(metrics.render(request.app.state.runtime),
                             media_type="text/plain; version=0.0.4")


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


def create_app(runtime: Runtime) -> Starlette:
    """Build the app around an already-loaded runtime (models are loaded before serving)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.scheduler.start()
        await privacy_api.open_store(app, runtime)  # no-op unless config.store_dsn
        app.state.audiosocket = audiosocket = await telephony.start_audiosocket(runtime)  # None when off
        log.info("gateway_ready", models=sorted(runtime.engines))
        yield
        await drain(runtime)
        if audiosocket is not None:
            await audiosocket.aclose()
        await privacy_api.close_store(app, runtime)
        await runtime.scheduler.aclose()

    app = Starlette(routes=[
        WebSocketRoute("/v1/stream", stream_endpoint),
        Route("/healthz", healthz),
        Route("/metrics", metrics_endpoint),
        *telephony.routes(),
        *webrtc.routes(),
        *captions.routes(runtime),
        *privacy_api.routes(),
        *files_http.routes(runtime),
    ], lifespan=lifespan)
    app.state.runtime = runtime
    return app
