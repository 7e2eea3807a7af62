"""Telephony adapters: media-server streaming protocols -> native ``transcribe.v1`` messages.

Each adapter is a sans-I/O state machine (see ``protocol.adapters.base`` for the calling
convention) that turns one media server's stream into the same client messages the native
protocol produces (``Start``, ``AudioChunk``, ``Dtmf``, ``Stop``):

==========================  ====================  =============================================
adapter                     transport             media server
==========================  ====================  =============================================
``AudioSocketAdapter``      TCP byte stream       Asterisk ``AudioSocket()`` / chan_audiosocket
``AsteriskWsAdapter``       WebSocket ``media``   Asterisk chan_websocket (ARI external media)
``FreeswitchAdapter``       WebSocket             FreeSWITCH mod_audio_fork / mod_audio_stream
``TwilioAdapter``           WebSocket (JSON)      Twilio Media Streams
``TelnyxAdapter``           WebSocket (JSON)      Telnyx media streaming
``JambonzAdapter``          WebSocket             jambonz ``listen`` verb
==========================  ====================  =============================================

Each module documents its wire facts, its mapping to ``Start`` fields, its error class and
the gateway's reaction. ``docs/adapters.md`` has a configuration snippet per media server.
"""

from protocol.adapters.asterisk_ws import (
    AsteriskWsAdapter,
    AsteriskWsBadAudio,
    AsteriskWsError,
    AsteriskWsUnsupported,
)
from protocol.adapters.audiosocket import (
    AudioSocketAdapter,
    AudioSocketBadAudio,
    AudioSocketError,
    AudioSocketUnsupported,
)
from protocol.adapters.base import Adapter, StreamAdapter, WebSocketAdapter
from protocol.adapters.freeswitch import (
    FreeswitchAdapter,
    FreeswitchBadAudio,
    FreeswitchError,
    FreeswitchUnsupported,
)
from protocol.adapters.jambonz import JambonzAdapter, JambonzBadAudio, JambonzError, JambonzUnsupported
from protocol.adapters.telnyx import TelnyxAdapter, TelnyxError, TelnyxUnsupported
from protocol.adapters.twilio import TwilioAdapter, TwilioError, TwilioUnsupported, verify_twilio_signature

__all__ = [
    "Adapter",
    "AsteriskWsAdapter",
    "AsteriskWsBadAudio",
    "AsteriskWsError",
    "AsteriskWsUnsupported",
    "AudioSocketAdapter",
    "AudioSocketBadAudio",
    "AudioSocketError",
    "AudioSocketUnsupported",
    "FreeswitchAdapter",
    "FreeswitchBadAudio",
    "FreeswitchError",
    "FreeswitchUnsupported",
    "JambonzAdapter",
    "JambonzBadAudio",
    "JambonzError",
    "JambonzUnsupported",
    "StreamAdapter",
    "TelnyxAdapter",
    "TelnyxError",
    "TelnyxUnsupported",
    "TwilioAdapter",
    "TwilioError",
    "TwilioUnsupported",
    "WebSocketAdapter",
    "verify_twilio_signature",
]
