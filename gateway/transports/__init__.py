"""The transports (async shells): every way a call's audio reaches the gateway.

==============  ==========================  ====================================================
transport       where                       module
==============  ==========================  ====================================================
native          ``/v1/stream`` (WebSocket)  ``gateway.transports.native`` (transcribe.v1)
asterisk, ...   ``/v1/telephony/<name>``    ``gateway.transports.adapter_ws`` (one table row each)
audiosocket     TCP ``audiosocket_port``    ``gateway.transports.audiosocket``
webrtc          ``POST /v1/webrtc/offer``   ``gateway.transports.webrtc`` (aiortc)
==============  ==========================  ====================================================

The compatible APIs (``deepgram`` on ``/v1/listen``, ``openai_realtime`` on ``/v1/realtime``) are two more
``adapter_ws`` rows, with adapters in ``protocol.compat`` (docs/compat.md).

Every transport runs its call through the same ``CallDriver`` and shares ``gateway.transports.shell``
(the input race, the guarded run, the bounded ordered sender). ``TRANSPORTS`` is the one list of
transport names (metrics read it); ``routes()`` the Starlette routes of all of them.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, WebSocketRoute

from gateway.transports import adapter_ws, native, webrtc
from gateway.transports.audiosocket import AudioSocketConnection, AudioSocketServer, start_audiosocket

__all__ = ["TRANSPORTS", "AudioSocketServer", "routes", "start_audiosocket"]

TRANSPORTS: tuple[str, ...] = (
    native.StreamConnection.transport,
    *(endpoint.transport for endpoint in adapter_ws.ENDPOINTS),
    AudioSocketConnection.transport,
    webrtc.WebRtcCall.transport,
)
"""Every transport's name, as connections report it (`transport` attribute) and metrics label it."""


def routes() -> list[BaseRoute]:
    """The routes of every HTTP/WebSocket transport, for ``create_app``."""
    return [WebSocketRoute(native.PATH, native.stream_endpoint), *adapter_ws.websocket_routes(), *webrtc.routes()]
