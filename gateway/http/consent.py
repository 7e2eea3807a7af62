"""The HTTP consent API: a dialplan or CTI system drives the consent of a call that is streaming.

    POST /v1/calls/{call_id}/consent   {"event": "announced|granted|declined|paused|resumed",
                                        "announcement": "<id>"}       (announcement optional)
    or the same two fields form-encoded: event=announced&announcement=rec-nl-v1

No media-server protocol has a consent message, so a phone system that plays the announcement itself
(or whose agent asks for transcription mid-call) tells the gateway here. The event is injected into the
live call's `CallDriver` as the protocol's own `ConsentEvent`, so it takes exactly the path of an in-band
event: the consent state machine (the opt-out window after `announced`, `declined` terminal), the
`consent` message to the peer, the `ConsentChanged` event the store audits (with the announcement id),
and the erasure of a declined call.

Authentication: a stream token (`ServerConfig.tokens`) as `Authorization: Bearer`, HTTP Basic with the
token as password (curl `-u x:TOKEN`, Asterisk `CURLOPT(userpwd)`), or `?token=`. Answers: 200
`{"call_id", "consent", "at"}` (the state after the event and the stream's audio time), 400 for a bad body,
401 without a valid token, 403 when the call streams for another tenant, 404 when no call with that id
is streaming (202 `{"call_id", "forwarded": true}` when another gateway node holds it: the event goes
there through the cluster bus, `gateway.cluster`), 409 when the event is not allowed in the call's state
(e.g. `resumed` while pending) or the call is ending. The call itself is never harmed by a refused request.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.auth import denial, media_server_token, tenant_for
from gateway.driver import CallDriver
from gateway.http.captions import service_for
from gateway.runtime import Runtime
from protocol.errors import ProtocolError
from protocol.messages import ConsentEvent

__all__ = ["PATH", "live_driver", "routes"]

log = structlog.get_logger("gateway.http.consent")
PATH = "/v1/calls/{call_id}/consent"
_MAX_BODY = 4096


def live_driver(runtime: Runtime, call_id: str) -> list[CallDriver]:
    """The drivers of the started, live calls with this id (one per tenant at most)."""
    found: list[CallDriver] = []
    for conn in list(runtime.connections):
        driver = getattr(conn, "driver", None)
        if (
            isinstance(driver, CallDriver)
            and driver.record is not None
            and driver.session is not None
            and driver.record.call_id == call_id
            and driver.record.live
        ):
            found.append(driver)
    return found


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def _form(body: bytes) -> dict[str, str] | None:
    """A form-encoded body (what Asterisk `CURL()` and FreeSWITCH `curl ... post` send), None if invalid."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    return dict(pairs) if len({key for key, _ in pairs}) == len(pairs) else None


async def _event(request: Request) -> ConsentEvent | JSONResponse:
    """The request body (JSON, or form-encoded) as a `ConsentEvent`, or the 400 refusing it."""
    body = await request.body()
    if len(body) > _MAX_BODY:
        return _error(400, "bad_message", "the body is too large")
    obj: object
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        obj = _form(body)
    else:
        try:
            obj = json.loads(body)
        except (ValueError, RecursionError):
            return _error(400, "bad_message", "the body must be a JSON object")
    if not isinstance(obj, dict) or set(obj) - {"event", "announcement"}:
        return _error(400, "bad_message", 'expected {"event": ..., "announcement": ...}')
    try:
        return ConsentEvent(obj.get("event"), obj.get("announcement"))  # type: ignore[arg-type]
    except ProtocolError as exc:
        return _error(400, exc.code, exc.message)


async def consent_endpoint(request: Request) -> Response:
    """Apply one consent event to a live call of the caller's tenant (see the module doc)."""
    rt: Runtime = request.app.state.runtime
    tenant = tenant_for(media_server_token(request.headers, request.query_params), rt.config.tokens)
    if tenant is None:
        return denial(401)
    event = await _event(request)
    if isinstance(event, JSONResponse):
        return event
    call_id = request.path_params["call_id"]
    drivers = live_driver(rt, call_id)
    mine = next((d for d in drivers if d.tenant == tenant), None)
    if mine is None:
        if drivers:
            return denial(403)
        if await _forward(request, rt, tenant, call_id, event):
            return JSONResponse({"call_id": call_id, "forwarded": True}, status_code=202)
        return _error(404, "not_found", "no call with this id is streaming")
    return await _apply(mine, tenant, call_id, event)


async def _apply(mine: CallDriver, tenant: str, call_id: str, event: ConsentEvent) -> JSONResponse:
    """Apply the event to the call's driver on this node."""
    assert mine.session is not None
    if mine.session.stopping:
        return _error(409, "conflict", "the call is ending")
    try:
        await mine.handle(event)
    except ProtocolError as exc:  # an illegal transition: the state is unchanged, the call goes on
        return _error(409, "conflict", exc.message)
    log.info(
        "consent_api_event",
        tenant=tenant,
        call_id=call_id,
        consent_event=event.event,
        consent=mine.session.consent.state,
    )
    return JSONResponse({"call_id": call_id, "consent": mine.session.consent.state, "at": round(mine.session.now, 3)})


async def _forward(request: Request, rt: Runtime, tenant: str, call_id: str, event: ConsentEvent) -> bool:
    """A call another gateway node holds (seen on the bus): send it the event there; False when unknown."""
    bridge = getattr(request.app.state, "bridge", None)
    service = service_for(rt)
    if bridge is None or service is None:
        return False
    if not any(c.call_id == call_id for c in service.hub.active_calls(tenant, service.clock())):
        return False
    await bridge.send_command(tenant, call_id, str(event.event), event.announcement)
    log.info("consent_api_forwarded", tenant=tenant, call_id=call_id, consent_event=event.event)
    return True


async def apply_forwarded(rt: Runtime, tenant: str, call_id: str, event: str, announcement: str | None) -> None:
    """A consent command from another node's API, for a call this node may hold (ignored otherwise)."""
    mine = next((d for d in live_driver(rt, call_id) if d.tenant == tenant), None)
    if mine is None:
        return
    result = await _apply(mine, tenant, call_id, ConsentEvent(event, announcement))  # type: ignore[arg-type]
    log.info("consent_command_applied", tenant=tenant, call_id=call_id, status=result.status_code)


def routes() -> list[BaseRoute]:
    """The consent API's route, for `create_app`."""
    return [Route(PATH, consent_endpoint, methods=["POST"])]
