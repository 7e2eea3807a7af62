"""Sans-I/O core of the ``transcribe.v1`` wire protocol.

Bytes and text frames in, typed messages out (and back): ``protocol.messages`` (the message
dataclasses), ``protocol.codec`` (frames <-> messages for both subprotocols),
``protocol.errors`` (exceptions with wire codes and close codes), ``protocol.g711`` and
``protocol.audio`` (audio decoding to 16 kHz float32 legs). Nothing in this package does I/O
or imports asyncio, websockets or aiortc.

The most used names are re-exported here; audio decoding lives in ``protocol.audio``.
"""

from protocol.codec import (
    SUBPROTOCOLS,
    Mode,
    encode_client,
    encode_server,
    parse_binary,
    parse_server,
    parse_text,
    server_to_dict,
)
from protocol.errors import (
    BadAudio,
    BadMessage,
    InternalError,
    Overloaded,
    ProtocolError,
    TooLarge,
    Unsupported,
)
from protocol.messages import (
    AudioChunk,
    AudioFormat,
    CallEnded,
    ClientMessage,
    Closed,
    ConsentEvent,
    ConsentState,
    Dtmf,
    ErrorMessage,
    Final,
    Finalize,
    KeepAlive,
    Partial,
    PrivacyEvent,
    Ready,
    Redaction,
    ServerMessage,
    SpeechStarted,
    Start,
    Stop,
    Word,
)

__all__ = [
    "SUBPROTOCOLS",
    "AudioChunk",
    "AudioFormat",
    "BadAudio",
    "BadMessage",
    "CallEnded",
    "ClientMessage",
    "Closed",
    "ConsentEvent",
    "ConsentState",
    "Dtmf",
    "ErrorMessage",
    "Final",
    "Finalize",
    "InternalError",
    "KeepAlive",
    "Mode",
    "Overloaded",
    "Partial",
    "PrivacyEvent",
    "ProtocolError",
    "Ready",
    "Redaction",
    "ServerMessage",
    "SpeechStarted",
    "Start",
    "Stop",
    "TooLarge",
    "Unsupported",
    "Word",
    "encode_client",
    "encode_server",
    "parse_binary",
    "parse_server",
    "parse_text",
    "server_to_dict",
]
