"""WebSocket telephony endpoints: one ``WebSocketShell`` per media-server protocol.

Theory of operation. Each connection owns one sans-I/O adapter. A received frame goes to
``adapter.receive_text``/``receive_binary``; the client messages it decodes go to the call driver in
order (``pump.deliver``); any protocol frames it queues go back at once. Server messages of the call
become ``adapter.send_transcript`` frames (FreeSWITCH only; the others have no way back). On an adapter
error the messages decoded before the bad input are still applied, then the base shell's error path runs:
the driver flushes the finals that were due, its ``ErrorMessage`` releases the adapter's native error
frame (after those finals), and the socket closes with the error's close code.

When the media server closes the socket (its hangup), or the idle timeout or a shutdown drain ends the
connection, the shell's ``on_end`` hook feeds ``receive_eof()``, which flushes the adapter's buffered audio
and ends the stream with ``Stop``: the finals of the open utterances are still produced (they reach the
listeners and the call registry even when the socket is gone).

Authentication happens before the upgrade. A known token (``Authorization: Bearer``, ``?token=``, or
HTTP Basic with the token as password: Asterisk and jambonz can send only Basic) authenticates every
endpoint as the token's tenant. Twilio can send neither (``<Stream url>`` allows no
query string, and it sets no headers of ours), so when ``ServerConfig.twilio_auth_token`` is set, a valid
``X-Twilio-Signature`` of the upgrade URL authenticates ``/v1/telephony/twilio`` as
``ServerConfig.twilio_tenant``; without a valid token a missing or bad signature is refused with 403.
Otherwise no valid token means 401. The rest of the query string is the adapter's ``params`` (call options),
over the entry point's configured defaults (``ServerConfig.telephony``: consent mode, language, ...), and
the connection's idle limit is the entry point's (long: liveness comes from WebSocket pings).
The compatible APIs (``protocol.compat``) read their key their own way (``AdapterEndpoint.credentials``:
Deepgram's ``Authorization: Token``, the browsers' subprotocol forms), get the operator's options over the
query (``AdapterEndpoint.options``: the entry point's consent mode, or 403 while it is off), and build their
adapter before the upgrade, so a query they cannot serve is refused with 400.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from starlette.responses import Response
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from gateway.auth import denial, media_server_token, tenant_for
from gateway.config import ServerConfig
from gateway.core.telephony_config import EntryPoint
from gateway.runtime import Runtime
from gateway.transports import compat
from gateway.transports.pump import deliver, frames_for
from gateway.transports.shell import EndReason, WebSocketShell
from protocol.adapters import (
    AsteriskWsAdapter,
    FreeswitchAdapter,
    JambonzAdapter,
    TelnyxAdapter,
    TwilioAdapter,
    verify_twilio_signature,
)
from protocol.adapters.base import WebSocketAdapter
from protocol.compat import DeepgramAdapter, OpenAiRealtimeAdapter
from protocol.errors import ProtocolError
from protocol.messages import ServerMessage

__all__ = ["ENDPOINTS", "AdapterConnection", "AdapterEndpoint", "websocket_routes"]


@dataclass(frozen=True, slots=True)
class AdapterEndpoint:
    """One row of the media-server table: where it listens, which sans-I/O adapter speaks its protocol."""

    transport: str
    """The name in logs and metrics (`callscribe_connections_open{transport=...}`)."""
    path: str
    adapter: type[WebSocketAdapter]
    signed_tenant: Callable[[WebSocket, ServerConfig], str | None] | None = None
    """The tenant a valid media-server signature of the upgrade maps to (None: missing or bad); set where
    the media server cannot send a bearer token but signs its requests. Consulted only when `signs` says so."""
    signs: Callable[[ServerConfig], bool] | None = None
    """Whether signatures are checked under this configuration (e.g. once the account's secret is set)."""
    credentials: Callable[[WebSocket], str | None] | None = None
    """The key the client presents where it is no bearer token (`Authorization: Token`, a subprotocol);
    None: `Authorization: Bearer` or `?token=`."""
    options: Callable[[WebSocket, ServerConfig], Mapping[str, str] | int] | None = None
    """Operator-set call options merged over the query's (they win, e.g. the entry point's consent mode),
    or the HTTP status refusing the upgrade (the entry point is off). The adapter is then built before the
    upgrade, and a `ProtocolError` from its constructor (a bad query) refuses it with 400."""
    refusal: Callable[[int, str | None], Response] | None = None
    """The HTTP refusal in the protocol's own shape (None: `gateway.auth.denial`)."""


class AdapterConnection(WebSocketShell):
    """One accepted media-server WebSocket, driven through its protocol adapter."""

    def __init__(
        self,
        ws: WebSocket,
        runtime: Runtime,
        tenant: str,
        params: Mapping[str, str],
        endpoint: AdapterEndpoint,
        adapter: WebSocketAdapter | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.transport = endpoint.transport
        entry = _telephony_entry(runtime, endpoint.transport)
        defaults = entry.defaults() if entry is not None else {}
        self.adapter = adapter or endpoint.adapter(defaults | dict(params))  # the call's own options win
        super().__init__(ws, runtime, tenant)
        if entry is not None:
            self.idle_timeout_s = entry.idle_timeout_s
        self.queue_frames(self.adapter.data_to_send())  # what the protocol says on connect (session.created)

    def close_for(self, end: EndReason) -> tuple[int, str]:
        if end == "idle" and self.adapter.IDLE_CLOSE is not None:
            return self.adapter.IDLE_CLOSE
        return super().close_for(end)

    def frames_for(self, msg: ServerMessage) -> list[str | bytes]:
        return frames_for(self.adapter, msg)

    async def on_frame(self, text: str | None, data: bytes | None) -> bool:
        try:
            with self.rt.telemetry.stages.timed("wire_in"):
                if text is not None:
                    self.adapter.receive_text(text)
                else:
                    self.adapter.receive_binary(data or b"")
        except ProtocolError:
            await deliver(self.adapter, self.driver)  # what came before the bad input is valid
            raise
        self.queue_frames(self.adapter.data_to_send())
        return await deliver(self.adapter, self.driver)

    async def on_end(self, reason: EndReason) -> None:
        """Hang-up, idle timeout or drain: end the adapter's stream first, so that the audio it still
        buffers (track mixer, reorder window) reaches the call before its finals are flushed."""
        if reason == "stop":
            return
        self.adapter.receive_eof()
        self.queue_frames(self.adapter.data_to_send())
        if not await deliver(self.adapter, self.driver):
            await self.driver.finish()


def _telephony_entry(runtime: Runtime, transport: str) -> EntryPoint | None:
    """The media server's configured entry point (None for the compatible APIs, which have their own)."""
    try:
        return runtime.config.telephony.entry(transport)
    except KeyError:
        return None


def _twilio_signs(config: ServerConfig) -> bool:
    return config.twilio_auth_token is not None


def _twilio_tenant(ws: WebSocket, config: ServerConfig) -> str | None:
    """``twilio_tenant`` when ``X-Twilio-Signature`` matches the upgrade URL, else None.

    Twilio signs the URL as written in the TwiML (``wss://``); behind a TLS-terminating proxy we
    see ``ws://`` with the same host and path, so both schemes are tried.
    """
    auth_token = config.twilio_auth_token
    signature = ws.headers.get("x-twilio-signature")
    if auth_token is None or not signature:
        return None
    urls = {str(ws.url), str(ws.url.replace(scheme="wss"))}
    if any(verify_twilio_signature(auth_token, url, {}, signature) for url in urls):
        return config.twilio_tenant
    return None


ENDPOINTS: tuple[AdapterEndpoint, ...] = (
    AdapterEndpoint("asterisk", "/v1/telephony/asterisk", AsteriskWsAdapter),
    AdapterEndpoint("freeswitch", "/v1/telephony/freeswitch", FreeswitchAdapter),
    AdapterEndpoint("twilio", "/v1/telephony/twilio", TwilioAdapter, _twilio_tenant, _twilio_signs),
    AdapterEndpoint("telnyx", "/v1/telephony/telnyx", TelnyxAdapter),
    AdapterEndpoint("jambonz", "/v1/telephony/jambonz", JambonzAdapter),
    AdapterEndpoint(
        "deepgram",
        "/v1/listen",
        DeepgramAdapter,
        credentials=compat.deepgram_key,
        options=compat.deepgram_options,
        refusal=compat.deepgram_refusal,
    ),
    AdapterEndpoint(
        "openai_realtime",
        "/v1/realtime",
        OpenAiRealtimeAdapter,
        credentials=compat.openai_key,
        options=compat.openai_options,
    ),
)
"""The media servers served over WebSocket: a new one is an adapter module and a row here."""


def _authenticate(ws: WebSocket, endpoint: AdapterEndpoint, config: ServerConfig) -> str | int:
    """The connection's tenant, or the HTTP status refusing it (401: no credentials, 403: bad signature)."""
    key = endpoint.credentials(ws) if endpoint.credentials else media_server_token(ws.headers, ws.query_params)
    tenant = tenant_for(key, config.tokens)
    if tenant is not None:
        return tenant
    if endpoint.signs is not None and endpoint.signed_tenant is not None and endpoint.signs(config):
        return endpoint.signed_tenant(ws, config) or 403
    return 401


async def _endpoint(ws: WebSocket, endpoint: AdapterEndpoint) -> None:
    rt: Runtime = ws.app.state.runtime
    refuse = endpoint.refusal or denial
    tenant = _authenticate(ws, endpoint, rt.config)
    if isinstance(tenant, int):
        await ws.send_denial_response(refuse(tenant, None))
        return
    params = {key: value for key, value in ws.query_params.items() if key != "token"}
    adapter: WebSocketAdapter | None = None
    if endpoint.options is not None:
        own = endpoint.options(ws, rt.config)
        if isinstance(own, int):
            await ws.send_denial_response(refuse(own, f"{endpoint.transport} is not enabled on this gateway"))
            return
        params = _joined(ws) | dict(own)
        try:
            adapter = endpoint.adapter(params)
        except ProtocolError as exc:
            await ws.send_denial_response(refuse(400, exc.message))
            return
    offered = list(ws.scope.get("subprotocols") or [])
    subprotocol = next((p for p in endpoint.adapter.SUBPROTOCOLS if p in offered), None)
    await ws.accept(subprotocol=subprotocol)
    await AdapterConnection(ws, rt, tenant, params, endpoint, adapter).run()


def _joined(ws: WebSocket) -> dict[str, str]:
    """The query with repeated keys joined by commas (Deepgram's `redact=pci&redact=ssn`)."""
    joined: dict[str, list[str]] = {}
    for key, value in ws.query_params.multi_items():
        if key != "token":
            joined.setdefault(key, []).append(value)
    return {key: ",".join(values) for key, values in joined.items()}


def websocket_routes() -> list[BaseRoute]:
    """One WebSocket route per media-server protocol (``/v1/telephony/<name>``)."""
    return [WebSocketRoute(ep.path, partial(_endpoint, endpoint=ep), name=ep.transport) for ep in ENDPOINTS]
