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

Authentication happens before the upgrade. A known bearer token (``Authorization`` or ``?token=``)
authenticates every endpoint as the token's tenant. Twilio can send neither (``<Stream url>`` allows no
query string, and it sets no headers of ours), so when ``ServerConfig.twilio_auth_token`` is set, a valid
``X-Twilio-Signature`` of the upgrade URL authenticates ``/v1/telephony/twilio`` as
``ServerConfig.twilio_tenant``; without a valid token a missing or bad signature is refused with 403.
Otherwise no valid token means 401. The rest of the query string is the adapter's ``params`` (call options).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import ClassVar

from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from gateway.auth import bearer_token, tenant_for
from gateway.config import ServerConfig
from gateway.runtime import Runtime
from gateway.stream import EndReason, WebSocketShell
from gateway.telephony.pump import deliver, frames_for
from protocol.adapters import (
    AsteriskWsAdapter,
    FreeswitchAdapter,
    JambonzAdapter,
    TelnyxAdapter,
    TwilioAdapter,
    verify_twilio_signature,
)
from protocol.adapters.base import WebSocketAdapter
from protocol.errors import ProtocolError
from protocol.messages import ServerMessage

__all__ = [
    "AdapterConnection",
    "AsteriskConnection",
    "FreeswitchConnection",
    "JambonzConnection",
    "TelnyxConnection",
    "TwilioConnection",
    "websocket_routes",
]


class AdapterConnection(WebSocketShell):
    """One accepted media-server WebSocket, driven through its protocol adapter."""

    #: The URL path of the endpoint.
    path: ClassVar[str]
    #: The sans-I/O adapter class; one instance per connection, built from the query's call options.
    adapter_class: ClassVar[type[WebSocketAdapter]]

    def __init__(self, ws: WebSocket, runtime: Runtime, tenant: str, params: Mapping[str, str]) -> None:
        self.adapter = self.adapter_class(params)
        super().__init__(ws, runtime, tenant)

    @classmethod
    def subprotocols(cls) -> tuple[str, ...]:
        """WebSocket subprotocols the media server offers, in our order of preference."""
        return cls.adapter_class.SUBPROTOCOLS

    @classmethod
    def signs_requests(cls, config: ServerConfig) -> bool:
        """Whether the media server's own request signature can authenticate the upgrade (default: no)."""
        del config
        return False

    @classmethod
    def signed_tenant(cls, ws: WebSocket, config: ServerConfig) -> str | None:
        """The tenant a valid media-server signature of the upgrade maps to; None when it is missing or bad."""
        del ws, config
        return None

    def frames_for(self, msg: ServerMessage) -> list[str | bytes]:
        return frames_for(self.adapter, msg)

    async def on_frame(self, text: str | None, data: bytes | None) -> bool:
        try:
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


class AsteriskConnection(AdapterConnection):
    """Asterisk chan_websocket (ARI external media)."""

    path = "/v1/telephony/asterisk"
    transport = "asterisk"
    adapter_class = AsteriskWsAdapter


class FreeswitchConnection(AdapterConnection):
    """FreeSWITCH mod_audio_fork / mod_audio_stream; transcripts go back as ``transcription`` frames."""

    path = "/v1/telephony/freeswitch"
    transport = "freeswitch"
    adapter_class = FreeswitchAdapter


class TwilioConnection(AdapterConnection):
    """Twilio Media Streams; a valid ``X-Twilio-Signature`` authenticates it once an auth token is set."""

    path = "/v1/telephony/twilio"
    transport = "twilio"
    adapter_class = TwilioAdapter

    @classmethod
    def signs_requests(cls, config: ServerConfig) -> bool:
        """Signatures are checked once the account's auth token is configured."""
        return config.twilio_auth_token is not None

    @classmethod
    def signed_tenant(cls, ws: WebSocket, config: ServerConfig) -> str | None:
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


class TelnyxConnection(AdapterConnection):
    """Telnyx media streaming (``?tracks=both_tracks`` tells the adapter which tracks follow)."""

    path = "/v1/telephony/telnyx"
    transport = "telnyx"
    adapter_class = TelnyxAdapter


class JambonzConnection(AdapterConnection):
    """jambonz ``listen`` verb."""

    path = "/v1/telephony/jambonz"
    transport = "jambonz"
    adapter_class = JambonzAdapter


CONNECTIONS: tuple[type[AdapterConnection], ...] = (
    AsteriskConnection, FreeswitchConnection, TwilioConnection, TelnyxConnection, JambonzConnection)


def _authenticate(ws: WebSocket, connection: type[AdapterConnection], config: ServerConfig) -> str | int:
    """The connection's tenant, or the HTTP status refusing it (401: no credentials, 403: bad signature)."""
    tenant = tenant_for(bearer_token(ws.headers, ws.query_params), config.tokens)
    if tenant is not None:
        return tenant
    if connection.signs_requests(config):
        return connection.signed_tenant(ws, config) or 403
    return 401


def _denial(status: int) -> JSONResponse:
    if status == 401:
        return JSONResponse({"code": "unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return JSONResponse({"code": "forbidden"}, status_code=403)


async def _endpoint(ws: WebSocket, connection: type[AdapterConnection]) -> None:
    rt: Runtime = ws.app.state.runtime
    tenant = _authenticate(ws, connection, rt.config)
    if isinstance(tenant, int):
        await ws.send_denial_response(_denial(tenant))
        return
    offered = list(ws.scope.get("subprotocols") or [])
    subprotocol = next((p for p in connection.subprotocols() if p in offered), None)
    await ws.accept(subprotocol=subprotocol)
    params = {key: value for key, value in ws.query_params.items() if key != "token"}
    await connection(ws, rt, tenant, params).run()


def websocket_routes() -> list[BaseRoute]:
    """One WebSocket route per media-server protocol (``/v1/telephony/<name>``)."""
    return [WebSocketRoute(conn.path, partial(_endpoint, connection=conn), name=conn.transport)
            for conn in CONNECTIONS]
