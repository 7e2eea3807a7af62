"""jambonz ``listen`` verb -> native client messages.

Facts relied on (docs.jambonz.org ``verbs/listen`` and ``docs/webhooks/listen``; jambonz
``jambonz-feature-server/lib/tasks/listen.js``):

* jambonz connects with the WebSocket subprotocol ``audio.jambonz.org``.
* One TEXT message comes first: a JSON object with the call attributes of the webhook
  (``callSid``, ``from``, ``to``, ``direction``, ...), plus ``sampleRate`` and ``mixType``,
  with the verb's ``metadata`` object merged in at the top level.
* Then BINARY messages of 16-bit PCM (little-endian) at ``sampleRate`` (8000 default; 16000,
  24000, 48000, 64000 allowed) and ``mixType`` ``mono`` (one channel), ``stereo`` (both calls
  of a bridge, caller first) or ``mixed`` (both in one channel).
* With ``passDtmf: true`` key presses arrive as TEXT ``{"event": "dtmf", "dtmf": "5",
  "duration": ...}``.
* The listen ends when jambonz closes the WebSocket -> ``Stop``.
* jambonz acts only on ``playAudio``/``killAudio``/``disconnect`` (and ``mark``) JSON from
  the server; it has no transcript message, so ``send_transcript`` returns ``[]``. On a
  protocol error the adapter queues ``{"type": "disconnect"}``, which makes jambonz end the
  listen verb cleanly (the call continues), before the close.

Start fields: ``call_id`` from the metadata key ``call_id``, else ``callSid`` (for a ``listen``
nested in ``dial``, whose attributes are the child call's, ``parentCallSid``: the caller's call); ``language``,
``purposes``, ``consent``, ``legs``, ``interim_results``, ``resume_from`` from the ``listen``
verb's ``metadata`` (merged at the top level), else ``params``. Legs default to
``("caller",)`` (mono), ``("mixed",)`` (mixed) and ``("caller", "agent")`` (stereo).
``caller`` (the data subject's number) from the metadata key ``caller``, else, for an
``inbound`` call (call attribute ``direction``) or a nested dial's child call (``outbound`` with a
``parentCallSid``), the call attribute ``from``; a plain outbound call's ``from`` is your own number, so
it is never taken.

Errors raise ``JambonzError`` (1008; 1007 for invalid JSON), ``JambonzUnsupported`` (1003: a
sample rate such as 64000, an unknown ``mixType``) or ``JambonzBadAudio`` (1007): audio before
the first text message, a first message that is not a JSON object or has no ``callSid``, a
dtmf message without a valid digit, audio that is not a whole number of sample frames.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import ClassVar

from protocol.adapters.base import (
    AdapterBadAudio,
    AdapterError,
    AdapterUnsupported,
    WebSocketAdapter,
    parse_int,
    parse_json_object,
    split_audio,
)
from protocol.errors import ProtocolError
from protocol.messages import DTMF_DIGITS, SAMPLE_RATES, AudioFormat, Dtmf

__all__ = ["JambonzAdapter", "JambonzBadAudio", "JambonzError", "JambonzUnsupported"]

_MIX_TYPES: dict[str, tuple[int, tuple[str, ...]]] = {
    "mono": (1, ("caller",)),
    "mixed": (1, ("mixed",)),
    "stereo": (2, ("caller", "agent")),
}


class JambonzError(AdapterError):
    """jambonz broke the listen protocol; close 1008 (1007 for undecodable text)."""


class JambonzUnsupported(AdapterUnsupported, JambonzError):
    """A sample rate or mix type we do not take; close 1003."""


class JambonzBadAudio(AdapterBadAudio, JambonzError):
    """Audio that is not a whole number of sample frames; close 1007."""


class JambonzAdapter(WebSocketAdapter):
    """Decode a jambonz ``listen`` connection (see the module docstring)."""

    SUBPROTOCOLS: ClassVar[tuple[str, ...]] = ("audio.jambonz.org",)
    error: ClassVar[type[ProtocolError]] = JambonzError

    def __init__(self, params: Mapping[str, str] | None = None) -> None:
        super().__init__(params)
        self._audio: AudioFormat | None = None
        self.call_attributes: dict[str, object] = {}
        """The first JSON message: call attributes, ``sampleRate``, ``mixType``, metadata."""

    def receive_text(self, text: str) -> None:
        """Feed one TEXT message: the call attributes first, then dtmf events."""
        if not self._check_open():
            return
        try:
            obj = parse_json_object(text, JambonzError)
            if self._audio is None:
                self._on_attributes(obj)
            elif obj.get("event") == "dtmf":
                self._on_dtmf(obj)
        except JambonzError as exc:
            raise self._fail(exc) from None

    def receive_binary(self, data: bytes) -> None:
        """Feed one BINARY message of L16 audio."""
        if not self._check_open():
            return
        if self._audio is None:
            raise self._fail(JambonzError("audio before the call attributes"))
        if len(data) % self._audio.frame_bytes:
            raise self._fail(JambonzBadAudio("audio is not a whole number of sample frames"))
        if data:
            self._events.extend(split_audio(data, self._audio))

    def _error_frames(self, exc: ProtocolError) -> list[str | bytes]:
        del exc
        return [json.dumps({"type": "disconnect"})]

    def _on_attributes(self, obj: dict[str, object]) -> None:
        self.call_attributes = obj
        mix = obj.get("mixType", "mono")
        if not isinstance(mix, str) or mix not in _MIX_TYPES:
            raise JambonzUnsupported("mixType must be mono, mixed or stereo")
        channels, legs = _MIX_TYPES[mix]
        rate = parse_int(obj.get("sampleRate", 8000), "sampleRate", JambonzError)
        if rate not in SAMPLE_RATES:
            raise JambonzUnsupported("sampleRate must be 8000, 16000, 24000 or 48000")
        call_sid = obj.get("parentCallSid") if _nested(obj) else obj.get("callSid")
        if not isinstance(call_sid, str) or not call_sid:
            raise JambonzError("call attributes without callSid")
        audio = AudioFormat(encoding="pcm_s16le", sample_rate=rate, channels=channels)
        self._emit_start(self._build_start(_with_caller(obj), call_id=call_sid, audio=audio, legs=legs))
        self._audio = audio

    def _on_dtmf(self, obj: dict[str, object]) -> None:
        digit = obj.get("dtmf")
        if not isinstance(digit, str) or len(digit) != 1 or digit.upper() not in DTMF_DIGITS:
            raise JambonzError("dtmf message without a valid digit")
        assert self._start_msg is not None
        self._events.append(Dtmf(digit=digit.upper(), leg=self._start_msg.legs[0]))


def _nested(attributes: Mapping[str, object]) -> bool:
    """A ``listen`` nested in ``dial``: jambonz sends the child call's attributes, ``direction``
    ``outbound`` with the A leg's ``parentCallSid`` (``place-outdial.js:199-206``); its ``from`` is the
    caller id passed on from the A leg, i.e. the caller's number."""
    parent = attributes.get("parentCallSid")
    return attributes.get("direction") == "outbound" and isinstance(parent, str) and bool(parent)


def _with_caller(attributes: dict[str, object]) -> dict[str, object]:
    """The attributes with ``caller`` set from ``from`` for an inbound call or a nested dial's child call
    (unless metadata set it)."""
    caller = attributes.get("from")
    linked = attributes.get("direction") == "inbound" or _nested(attributes)
    if attributes.get("caller") or not linked or not isinstance(caller, str):
        return attributes
    return {**attributes, "caller": caller}
