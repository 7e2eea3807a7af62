"""WebSocket telephony endpoints: one ``WebSocketShell`` per media-server protocol.

Theory of operation. Each connection owns one sans-I/O adapter. A received frame goes to
``adapter.receive_text``/``receive_binary``; the client messages it decodes go to the call driver in
order (``pump.deliver``); any protocol frames it queues go back at once. Server messages of the call
become ``adapter.send_transcript`` frames (FreeSWITCH only; the others have no way back). On an adapter
error the messages decoded before the bad input are still applied, then the base shell's error path runs:
the driver flushes the finals that were due, its ``ErrorMessage`` releases the adapter's native error
frame (after those finals), and the socket closes with the error's close code.

When the media server closes the socket (its hangup), the shell feeds ``receive_eof()``, which ends the
stream with ``Stop``: the finals of the open utterances are still produced (they reach the listeners and
the call registry even though the socket is gone).

Authentication is the native stream's (bearer token or ``?token=``, HTTP 401 before the upgrade); the
rest of the query string is the adapter's ``params`` (call options). Twilio additionally has its
``X-Twilio-Signature`` checked (HTTP 403) when ``ServerConfig.twilio_auth_token`` is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import ClassVar

from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from gateway.auth import bearer_token, tenant_for
from gateway.config import ServerConfig
from gateway.runtime import Runtime
from gateway.stream import WebSocketShell
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

    def __init__(self, ws: WebSocket, runtime: Runtime, tenant: str, params: Mapping[str, str]) -> None:
        self.adapter = self.new_adapter(params)
        super().__init__(ws, runtime, tenant)

    @classmethod
    def new_adapter(cls, params: Mapping[str, str]) -> WebSocketAdapter:
        """The adapter for one connection; ``params`` are the call options of the query string."""
        raise NotImplementedError

    @classmethod
    def subprotocols(cls) -> tuple[str, ...]:
        """WebSocket subprotocols the media server offers, in our order of preference."""
        return ()

    @classmethod
    def authorize(cls, ws: WebSocket, config: ServerConfig) -> bool:
        """Protocol-specific checks of the upgrade request beyond the bearer token (default: none)."""
        del ws, config
        return True

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

    async def _receive_loop(self) -> tuple[int, str]:
        try:
            return await super()._receive_loop()
        except WebSocketDisconnect:
            await self._hangup()
            raise

    async def _hangup(self) -> None:
        """The media server closed the socket: end the stream and flush the call's finals."""
        self.adapter.receive_eof()
        if not await deliver(self.adapter, self.driver):
            await self.driver.finish()


class AsteriskConnection(AdapterConnection):
    """Asterisk chan_websocket (ARI external media)."""

    path = "/v1/telephony/asterisk"
    transport = "asterisk"

    @classmethod
    def new_adapter(cls, params: Mapping[str, str]) -> WebSocketAdapter:
        return AsteriskWsAdapter(params)

    @classmethod
    def subprotocols(cls) -> tuple[str, ...]:
        return AsteriskWsAdapter.SUBPROTOCOLS


class FreeswitchConnection(AdapterConnection):
    """FreeSWITCH mod_audio_fork / mod_audio_stream; transcripts go back as ``transcription`` frames."""

    path = "/v1/telephony/freeswitch"
    transport = "freeswitch"

    @classmethod
    def new_adapter(cls, params: Mapping[str, str]) -> WebSocketAdapter:
        return FreeswitchAdapter(params)

    @classmethod
    def subprotocols(cls) -> tuple[str, ...]:
        return FreeswitchAdapter.SUBPROTOCOLS


class TwilioConnection(AdapterConnection):
    """Twilio Media Streams; the upgrade's ``X-Twilio-Signature`` is checked when an auth token is set."""

    path = "/v1/telephony/twilio"
    transport = "twilio"

    @classmethod
    def new_adapter(cls, params: Mapping[str, str]) -> WebSocketAdapter:
        return TwilioAdapter(params)

    @classmethod
    def authorize(cls, ws: WebSocket, config: ServerConfig) -> bool:
        """Without a configured auth token: accept. With one: the signature must match the URL.

        Twilio signs the URL as written in the TwiML (``wss://``); behind a TLS-terminating proxy we
        see ``ws://`` with the same host and path, so both schemes are tried.
        """
        auth_token = config.twilio_auth_token
        if auth_token is None:
            return True
        signature = ws.headers.get("x-twilio-signature")
        if not signature:
            return False
        urls = {str(ws.url), str(ws.url.replace(scheme="wss"))}
        return any(verify_twilio_signature(auth_token, url, {}, signature) for url in urls)


class TelnyxConnection(AdapterConnection):
    """Telnyx media streaming (``?tracks=both_tracks`` tells the adapter which tracks follow)."""

    path = "/v1/telephony/telnyx"
    transport = "telnyx"

    @classmethod
    def new_adapter(cls, params: Mapping[str, str]) -> WebSocketAdapter:
        return TelnyxAdapter(params)


class JambonzConnection(AdapterConnection):
    """jambonz ``listen`` verb."""

    path = "/v1/telephony/jambonz"
    transport = "jambonz"

    @classmethod
    def new_adapter(cls, params: Mapping[str, str]) -> WebSocketAdapter:
        return JambonzAdapter(params)

    @classmethod
    def subprotocols(cls) -> tuple[str, ...]:
        return JambonzAdapter.SUBPROTOCOLS


CONNECTIONS: tuple[type[AdapterConnection], ...] = (
    AsteriskConnection, FreeswitchConnection, TwilioConnection, TelnyxConnection, JambonzConnection)


async def _endpoint(ws: WebSocket, connection: type[AdapterConnection]) -> None:
    rt: Runtime = ws.app.state.runtime
    tenant = tenant_for(bearer_token(ws.headers, ws.query_params), rt.config.tokens)
    if tenant is None:
        await ws.send_denial_response(JSONResponse({"code": "unauthorized"}, status_code=401,
                                                   headers={"WWW-Authenticate": "Bearer"}))
        return
    if not connection.authorize(ws, rt.config):
        await ws.send_denial_response(JSONResponse({"code": "forbidden"}, status_code=403))
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
