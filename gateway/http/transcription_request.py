"""An agent asks for transcription during a call: the request goes to the media server, never to consent.

    POST /v1/calls/{call_id}/transcription-request        (no body)

The customer article's roadmap item: mid-call, the agent asks for transcription and both parties hear the
announcement at that moment. The gateway cannot play audio into the call, so it records the request (a
log event with tenant, call and transport) and tells the media server: over the stream where the protocol
has a way back (FreeSWITCH: a `transcription_request` text frame, raised as the event
`mod_audio_fork::transcription_request`), else by POSTing `{"event": "transcription_requested", "call_id",
"transport"}` to `telephony.request_webhook_url`. The call's consent does not change here: it turns active
only when the PBX reports `announced` (then the opt-out window runs) or `granted` to the consent API
(`gateway.http.consent`).

Authentication as the consent API (a stream token of the call's tenant). Answers: 202
`{"call_id", "consent", "delivered": "stream" | "webhook"}`, 200 with `"delivered": null` when the call
is already active, 401/403/404 as the consent API, 409 when the call was declined or is ending, or when
its media server has no way back and no webhook is configured, 502 when the webhook failed.
"""

from __future__ import annotations

import httpx
import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.auth import denial, media_server_token, tenant_for
from gateway.http.consent import live_driver
from gateway.runtime import Runtime
from gateway.transports.adapter_ws import AdapterConnection

__all__ = ["PATH", "routes"]

log = structlog.get_logger("gateway.http.transcription_request")
PATH = "/v1/calls/{call_id}/transcription-request"
_WEBHOOK_TIMEOUT_S = 5.0


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def _stream_frames(rt: Runtime, tenant: str, call_id: str) -> AdapterConnection | None:
    """The call's media-server connection, when it is a WebSocket adapter."""
    for conn in list(rt.connections):
        if (
            isinstance(conn, AdapterConnection)
            and conn.driver.tenant == tenant
            and conn.driver.record is not None
            and conn.driver.record.call_id == call_id
        ):
            return conn
    return None


async def _webhook(url: str, call_id: str, transport: str) -> bool:
    body = {"event": "transcription_requested", "call_id": call_id, "transport": transport}
    try:
        async with httpx.AsyncClient(timeout=_WEBHOOK_TIMEOUT_S) as client:
            reply = await client.post(url, json=body)
    except httpx.HTTPError:
        return False
    return reply.is_success


async def request_endpoint(request: Request) -> Response:
    """Record an agent's request and pass it to the media server (see the module doc)."""
    rt: Runtime = request.app.state.runtime
    tenant = tenant_for(media_server_token(request.headers, request.query_params), rt.config.tokens)
    if tenant is None:
        return denial(401)
    call_id = request.path_params["call_id"]
    drivers = live_driver(rt, call_id)
    driver = next((d for d in drivers if d.tenant == tenant), None)
    if driver is None:
        return denial(403) if drivers else _error(404, "not_found", "no call with this id is streaming")
    assert driver.session is not None
    state = driver.session.consent.state
    if state == "declined" or driver.session.stopping:
        return _error(409, "conflict", "the call was declined or is ending")
    if state == "active":
        return JSONResponse({"call_id": call_id, "consent": state, "delivered": None})
    log.info("transcription_requested", tenant=tenant, call_id=call_id, transport=driver.transport)
    conn = _stream_frames(rt, tenant, call_id)
    frames = conn.adapter.request_transcription(call_id) if conn is not None else []
    if conn is not None and frames:
        conn.queue_frames(frames)
        return JSONResponse({"call_id": call_id, "consent": state, "delivered": "stream"}, status_code=202)
    url = rt.config.telephony.request_webhook_url
    if url is None:
        return _error(409, "conflict", "this media server has no way back; set telephony.request_webhook_url")
    if not await _webhook(url, call_id, driver.transport):
        log.info("transcription_request_webhook_failed", tenant=tenant, call_id=call_id)
        return _error(502, "webhook_failed", "the configured webhook did not accept the request")
    return JSONResponse({"call_id": call_id, "consent": state, "delivered": "webhook"}, status_code=202)


def routes() -> list[BaseRoute]:
    """The request's route, for `create_app`."""
    return [Route(PATH, request_endpoint, methods=["POST"])]
