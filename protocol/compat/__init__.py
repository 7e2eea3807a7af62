"""Compatible APIs: other vendors' streaming protocols spoken by the gateway (sans-I/O adapters).

==========================  ==========================================  ===============================
adapter                     endpoint                                    clients
==========================  ==========================================  ===============================
``DeepgramAdapter``         ``/v1/listen`` (Deepgram live, listen v1)   ``deepgram-sdk``, browsers
``OpenAiRealtimeAdapter``   ``/v1/realtime?intent=transcription``       ``openai`` (GA and beta)
==========================  ==========================================  ===============================

Each is a ``WebSocketAdapter`` (``protocol.adapters.base``) that also maps every server message back
into its protocol (``server_frames``), and each call runs through the gateway's own pipeline: consent
(the operator's mode per entry point), VAD, batching, redaction, store and captions. docs/compat.md
says what each supports, accepts without effect, and refuses.
"""

from protocol.compat.deepgram import DeepgramAdapter, DeepgramError
from protocol.compat.deepgram_options import DeepgramBadRequest, ListenOptions, parse_listen_options
from protocol.compat.openai_realtime import OpenAiRealtimeAdapter, OpenAiRealtimeError

__all__ = [
    "DeepgramAdapter",
    "DeepgramBadRequest",
    "DeepgramError",
    "ListenOptions",
    "OpenAiRealtimeAdapter",
    "OpenAiRealtimeError",
    "parse_listen_options",
]
