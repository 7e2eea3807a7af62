"""Live captions for agents: the caption WebSocket, the active-calls list and the two pages (async shell).

Routes (all tenant-scoped by the bearer token, `Authorization: Bearer` or `?token=` for browsers):

* `GET /v1/calls/{call_id}/captions` (WebSocket, JSON text frames): `call` {call_id, legs, started_at},
  `consent`, `partial`, `final` as in PROTOCOL.md, then `call_ended`; late joiners first get the call,
  the current consent state and the finals so far. No token: HTTP 401. A call this tenant does not have
  (another tenant's, or none at all): the same HTTP 403, before the upgrade. With `?wait=1` the viewer
  is accepted for a call that has not started and waits for it (also uniformly, whatever other tenants
  have). Closes: 1000 "call ended"; 1013 "viewer too slow" (it fell `viewer_max_finals` finals behind;
  reconnect to be sent the finals so far again); uvicorn's own ping timeout ends a peer that stopped
  reading altogether.
* `GET /v1/calls` (JSON): `{"calls": [{call_id, legs, started_at, duration_s, consent, viewers}]}`.
* `GET /captions/{call_id}` and `GET /calls`: static pages (no data in them; they read `?token=` and
  call the endpoints above). Assets under `/static/captions/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from importlib import resources

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from gateway.auth import bearer_token, denial, tenant_for
from gateway.core.caption_hub import CaptionHub
from gateway.core.caption_viewer import CaptionError, HubConfig, Viewer
from gateway.core.events import CallEvent
from gateway.origin import origin_allowed
from gateway.runtime import Runtime

log = structlog.get_logger("gateway.http.captions")

_ASSETS = {
    "captions.html": "text/html; charset=utf-8",
    "calls.html": "text/html; charset=utf-8",
    "captions.js": "text/javascript; charset=utf-8",
    "calls.js": "text/javascript; charset=utf-8",
    "captions.css": "text/css; charset=utf-8",
}
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",  # the token may be in the URL
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_CLOSE_TIMEOUT_S = 5.0


class CaptionService:
    """The caption hub wired to a runtime: its listener (called with every call message) and routes."""

    def __init__(
        self, runtime: Runtime, config: HubConfig | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.runtime = runtime
        self.hub = CaptionHub(config)
        self._clock = clock
        self.clock = clock
        runtime.bus.subscribe(self)

    def __call__(self, event: CallEvent) -> None:
        """The bus listener: hand the event to the hub (never blocks)."""
        self.hub.on_event(event, self._clock())

    def routes(self) -> list[BaseRoute]:
        """The Starlette routes of the captions feature."""
        return [
            WebSocketRoute("/v1/calls/{call_id}/captions", self.captions_socket),
            Route("/v1/calls", self.list_calls),
            Route("/captions/{call_id}", self.captions_page),
            Route("/calls", self.calls_page),
            Route("/static/captions/{name}", self.asset),
        ]

    def _tenant(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
        return tenant_for(bearer_token(headers, query), self.runtime.config.tokens)

    async def captions_socket(self, ws: WebSocket) -> None:
        """`GET /v1/calls/{call_id}/captions`: authenticate, subscribe, then pump frames to the viewer."""
        tenant = self._tenant(ws.headers, ws.query_params)
        if tenant is None:
            await ws.send_denial_response(denial(401))
            return
        if not origin_allowed(ws.headers, self.runtime.config.limits.allowed_origins):
            await ws.send_denial_response(denial(403, "this Origin may not open captions"))
            return
        wake = asyncio.Event()
        wait = ws.query_params.get("wait", "") in ("1", "true")
        try:
            viewer = self.hub.subscribe(tenant, ws.path_params["call_id"], wake.set, self._clock(), wait)
        except CaptionError as exc:
            code = "forbidden" if exc.status == 403 else "overloaded"
            await ws.send_denial_response(JSONResponse({"code": code, "message": str(exc)}, exc.status))
            return
        try:
            await ws.accept()
            await _ViewerConnection(ws, viewer, wake).run()
        finally:
            self.hub.unsubscribe(viewer)

    async def list_calls(self, request: Request) -> Response:
        """`GET /v1/calls`: the tenant's active calls."""
        tenant = self._tenant(request.headers, request.query_params)
        if tenant is None:
            return denial(401)
        calls = self.hub.active_calls(tenant, self._clock())
        return JSONResponse({"calls": [c.to_dict() for c in calls]}, headers={"Cache-Control": "no-store"})

    async def captions_page(self, request: Request) -> Response:
        return _asset("captions.html")

    async def calls_page(self, request: Request) -> Response:
        return _asset("calls.html")

    async def asset(self, request: Request) -> Response:
        return _asset(request.path_params["name"])


class _ViewerConnection:
    """One accepted viewer socket: a sender draining the viewer's queue, a reader noticing the peer leave."""

    def __init__(self, ws: WebSocket, viewer: Viewer, wake: asyncio.Event) -> None:
        self.ws, self.viewer, self.wake = ws, viewer, wake

    async def run(self) -> None:
        sender = asyncio.create_task(self._send())
        reader = asyncio.create_task(self._read())
        done, pending = await asyncio.wait({sender, reader}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if sender in done and (close := sender.result()) is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(*close), _CLOSE_TIMEOUT_S)

    async def _send(self) -> tuple[int, str] | None:
        """Send frames as the socket takes them; returns the close code once the viewer is finished."""
        while True:
            self.wake.clear()
            frame = self.viewer.pop()
            if frame is not None:
                try:
                    await self.ws.send_text(frame)
                except Exception:  # the peer is gone; the reader sees the disconnect
                    return None
                continue
            if (close := self.viewer.close_code) is not None:
                if close[0] != 1000:
                    log.info(
                        "caption_viewer_closed",
                        code=close[0],
                        reason=close[1],
                        partials_dropped=self.viewer.partials_dropped,
                    )
                return close
            await self.wake.wait()

    async def _read(self) -> None:
        """Viewers send nothing we use; wait for the disconnect."""
        while (await self.ws.receive())["type"] != "websocket.disconnect":
            pass


def _asset(name: str) -> Response:
    media_type = _ASSETS.get(name)
    if media_type is None:
        return Response("not found", 404, media_type="text/plain")
    body = resources.files("gateway").joinpath("static", name).read_bytes()
    return Response(body, media_type=media_type, headers=_HEADERS)


def routes(runtime: Runtime, config: HubConfig | None = None) -> list[BaseRoute]:
    """Create the runtime's caption service (registering its listener) and return its routes."""
    return CaptionService(runtime, config or runtime.config.captions).routes()


def service_for(runtime: Runtime) -> CaptionService | None:
    """The caption service registered on `runtime` (tests and metrics read its hub)."""
    return next((fn for fn in runtime.bus.listeners if isinstance(fn, CaptionService)), None)
