"""Telephony transports: the sans-I/O adapters of ``protocol.adapters`` served by the gateway.

========================  ============================  ======================================
media server              where                         module
========================  ============================  ======================================
Asterisk chan_websocket   ``/v1/telephony/asterisk``    ``gateway.telephony.websocket``
FreeSWITCH audio fork     ``/v1/telephony/freeswitch``  ``gateway.telephony.websocket``
Twilio Media Streams      ``/v1/telephony/twilio``      ``gateway.telephony.websocket``
Telnyx media streaming    ``/v1/telephony/telnyx``      ``gateway.telephony.websocket``
jambonz ``listen``        ``/v1/telephony/jambonz``     ``gateway.telephony.websocket``
Asterisk AudioSocket      TCP ``audiosocket_port``      ``gateway.telephony.audiosocket``
========================  ============================  ======================================

Every call runs through the same ``CallDriver`` as a native ``/v1/stream`` call. See
``docs/adapters.md`` for the media-server configuration.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from gateway.telephony.audiosocket import AudioSocketConnection, AudioSocketServer, start_audiosocket
from gateway.telephony.websocket import AdapterConnection, websocket_routes

__all__ = ["AdapterConnection", "AudioSocketConnection", "AudioSocketServer", "routes", "start_audiosocket"]


def routes() -> list[BaseRoute]:
    """The WebSocket routes of the telephony adapters, for ``create_app``."""
    return websocket_routes()
