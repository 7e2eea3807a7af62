"""Deepgram live streaming (``/v1/listen``, listen v1) -> native client messages, and back (sans-I/O).

Facts relied on: ``../shared/reference/compat-apis.md`` section 1 (messages and close codes checked by
running deepgram-sdk 7.17.0 against a local server; the SDK's pydantic types
``deepgram/listen/v1/types/listen_v1results.py`` ... ``listen_v1metadata.py``).

Client -> gateway. The query is parsed at construction (``deepgram_options``; a bad one raises
``DeepgramBadRequest`` before the upgrade), which also emits ``Start`` (consent is the operator's mode
for this entry point, ``params["consent"]``, never the client's). BINARY frames are raw audio in the
declared encoding, any split: a partial sample frame is carried to the next message. TEXT frames:
``KeepAlive`` -> ``KeepAlive``; ``Finalize`` -> ``Finalize``; ``CloseStream`` -> ``Stop``; an empty
BINARY frame is the legacy close (also ``Stop``); ``Configure`` -> ``ConfigureFailure`` (keyterms are not
supported); anything else -> an ``Error`` frame (``SchemaError``), the stream stays open.

Gateway -> client. ``Partial`` -> interim ``Results`` (only with ``interim_results=true``; words ``[]``,
confidence 0: interim text is decoded without word alignment); ``Final`` -> ``Results`` with
``is_final: true`` and the words with the decoder's word probabilities as confidences (the transcript's
confidence is their mean). The session reports the VAD's onsets (``Start.vad_events``, the native
``SpeechStarted``): they become Deepgram ``SpeechStarted`` (with ``vad_events=true``, stamped with the
utterance's start) and tell which utterances are open. ``from_finalize: true`` marks the final of each
utterance open at a ``Finalize`` that reaches its audio time (one that ended on silence just before ends at
least ``min_silence_ms - post_roll_ms`` earlier); with nothing open a ``Finalize`` is answered at once by
an empty flushed result. ``speech_final`` is set on every other final unless ``endpointing=false``.
``UtteranceEnd`` (``utterance_end_ms``) once the VAD-processed audio passes the last final's last word
by that gap (plus ``ONSET_MARGIN_S``) with no onset on the channel. ``Closed`` -> one ``Metadata``. An
``ErrorMessage`` -> an ``Error`` frame, then the gateway closes with the error's close code:
``DeepgramError`` 1008 ``DATA-0000``; idle -> 1011 ``NET-0001`` (``IDLE_CLOSE``). ``channel_index`` is
``[channel, channels]``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import ClassVar

from protocol.adapters.base import WebSocketAdapter, split_audio
from protocol.compat._consent import entry_consent
from protocol.compat._endpoint import endpoint_ms
from protocol.compat._text import plain_text, plain_word
from protocol.compat.deepgram_options import ListenOptions, parse_listen_options
from protocol.errors import BadMessage, ProtocolError
from protocol.messages import (
    AudioFormat,
    Closed,
    ErrorMessage,
    Final,
    Finalize,
    KeepAlive,
    Partial,
    Ready,
    ServerMessage,
    SpeechStarted,
    Start,
    Word,
)
from protocol.vocab import RedactionPolicy

__all__ = ["DeepgramAdapter", "DeepgramError"]

FLUSH_SLACK_S = 0.1
"""A final ending this close to a ``Finalize``'s audio time is the flush's (see the module docstring)."""
ONSET_MARGIN_S = 0.3
"""The VAD reports an onset once ``vad.min_speech_ms`` of speech confirm it: ``UtteranceEnd`` waits this much
longer than ``utterance_end_ms``, so an onset inside the gap is known before it is decided."""


class DeepgramError(BadMessage):
    """Audio or a message the stream cannot take: close 1008 ``DATA-0000``."""

    code: ClassVar[str] = "DATA-0000"
    close_code: int = 1008


class DeepgramAdapter(WebSocketAdapter):
    """One ``/v1/listen`` connection (see the module docstring)."""

    SUBPROTOCOLS: ClassVar[tuple[str, ...]] = ("token", "bearer")
    IDLE_CLOSE: ClassVar[tuple[int, str] | None] = (1011, "NET-0001")
    error: ClassVar[type[ProtocolError]] = DeepgramError

    def __init__(self, params: Mapping[str, str] | None = None) -> None:
        super().__init__(params)
        self.options: ListenOptions = parse_listen_options(self._params)
        o = self.options
        self._audio = AudioFormat(o.encoding, o.sample_rate, o.channels)
        self._carry = b""
        self._samples = 0
        self._sha = hashlib.sha256()
        self._created = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._request_id = str(uuid.uuid4())
        self._model = ""
        self._open: dict[str, int] = {}  # utterance id -> channel: opened by the VAD, no final yet
        self._flushing: dict[str, float] = {}  # utterance id open at a Finalize -> that Finalize's audio time
        self._utterance_end: dict[int, float] = {}
        consent, then = entry_consent(self._params)
        self._emit_start(
            Start(
                call_id=o.call_id or f"dg-{self._request_id}",
                audio=self._audio,
                legs=o.legs,
                language=o.language,
                purposes=o.purposes,
                consent=consent,
                interim_results=o.interim_results,
                vad_events=True,  # the VAD's onsets: SpeechStarted, Finalize and UtteranceEnd bookkeeping
                redaction=RedactionPolicy.MASK if o.redact else None,
                endpoint_ms=None if o.endpointing_ms is None else endpoint_ms(o.endpointing_ms),
            )
        )
        self._events.extend(then)

    @property
    def now(self) -> float:
        """Audio seconds received so far (per channel)."""
        return self._samples / self._audio.sample_rate

    # -- client -> gateway --------------------------------------------------------------------------

    def receive_text(self, text: str) -> None:
        """Feed one TEXT message: a control message (see the module docstring)."""
        if not self._check_open():
            return
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            obj = None
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind == "KeepAlive":
            self._events.append(KeepAlive())
        elif kind == "Finalize":
            self._finalize()
        elif kind == "CloseStream":
            self._finish()
        elif kind == "Configure":
            self._send(
                {
                    "type": "ConfigureFailure",
                    "request_id": self._request_id,
                    "code": "CONFIGURE_KEYTERMS_NOT_SUPPORTED",
                    "description": "keyterms cannot be configured on this gateway",
                }
            )
        else:
            self._send(
                {
                    "type": "Error",
                    "variant": "SchemaError",
                    "code": None,
                    "description": "unknown or malformed control message",
                    "message": text[:200],
                }
            )

    def receive_binary(self, data: bytes) -> None:
        """Feed one BINARY message of raw audio (any split); an empty one closes the stream."""
        if not self._check_open():
            return
        if not data:
            self._finish()
            return
        self._sha.update(data)
        data, frame = self._carry + data, self._audio.frame_bytes
        whole = len(data) - len(data) % frame
        self._carry = data[whole:]
        if whole:
            self._utterance_ends()  # on the audio the VAD has processed (the previous messages)
            self._samples += whole // frame
            self._events.extend(split_audio(data[:whole], self._audio))

    def _finalize(self) -> None:
        """Flush the open utterances; with none open, answer at once with an empty flushed result."""
        self._events.append(Finalize())
        self._flushing |= dict.fromkeys(self._open, self.now)
        if not self._open:
            self._outgoing.append(self._results(0, self.now, self.now, "", 0.0, [], is_final=True, from_finalize=True))

    # -- gateway -> client --------------------------------------------------------------------------

    def server_frames(self, message: ServerMessage) -> list[str | bytes] | None:
        """The Deepgram frames of one server message of the call."""
        if isinstance(message, Ready):
            self._request_id, self._model = message.session_id, message.model
            return []
        if isinstance(message, SpeechStarted):
            return self._speech_started(message)
        if isinstance(message, Partial):
            return self._partial(message)
        if isinstance(message, Final):
            return self._final(message)
        if isinstance(message, ErrorMessage):
            return [
                json.dumps(
                    {
                        "type": "Error",
                        "variant": message.code,
                        "code": None,
                        "description": message.message,
                        "message": "",
                    }
                )
            ]
        if isinstance(message, Closed):
            return [json.dumps(self._metadata(message))]
        return []

    def _partial(self, p: Partial) -> list[str | bytes]:
        if not self.options.interim_results:
            return []
        text = p.text.strip() if self.options.punctuate else plain_text(p.text)
        return [self._results(self._channel(p.leg), p.start, p.end, text, 0.0, [], is_final=False)]

    def _final(self, f: Final) -> list[str | bytes]:
        channel = self._channel(f.leg)
        frames: list[str | bytes] = []
        self._open.pop(f.utterance_id, None)
        at = self._flushing.pop(f.utterance_id, None)
        flushed = at is not None and f.end >= at - FLUSH_SLACK_S  # else it had ended on silence before
        words = [self._word(w) for w in f.words]
        text = (
            f.text.strip()
            if self.options.punctuate
            else (" ".join(str(w["word"]) for w in words) if words else plain_text(f.text))
        )
        confidence = sum(w.probability for w in f.words) / len(f.words) if f.words else 0.0
        frames.append(
            self._results(channel, f.start, f.end, text, confidence, words, is_final=True, from_finalize=flushed)
        )
        if self.options.utterance_end_ms is not None:
            self._utterance_end[channel] = f.words[-1].end if f.words else f.end
            frames += self._utterance_end_frames()
        return frames

    def _results(
        self,
        channel: int,
        start: float,
        end: float,
        text: str,
        confidence: float,
        words: list[dict[str, object]],
        *,
        is_final: bool,
        from_finalize: bool = False,
    ) -> str:
        speech_final = is_final and not from_finalize and self.options.speech_final
        return json.dumps(
            {
                "type": "Results",
                "channel_index": [channel, self._audio.channels],
                "duration": round(end - start, 3),
                "start": round(start, 3),
                "is_final": is_final,
                "speech_final": speech_final,
                "from_finalize": from_finalize,
                "channel": {"alternatives": [{"transcript": text, "confidence": round(confidence, 4), "words": words}]},
                "metadata": {
                    "request_id": self._request_id,
                    "model_uuid": self._model_uuid(),
                    "model_info": {"name": self._model, "version": "ctranslate2", "arch": "whisper"},
                },
            }
        )

    def _word(self, w: Word) -> dict[str, object]:
        word: dict[str, object] = {
            "word": plain_word(w.word) or w.word.strip(),
            "start": round(w.start, 3),
            "end": round(w.end, 3),
            "confidence": round(w.probability, 4),
            "punctuated_word": w.word.strip(),
        }
        if self.options.diarize:
            word["speaker"] = 0
        return word

    def _speech_started(self, s: SpeechStarted) -> list[str | bytes]:
        channel, start = self._channel(s.leg), s.at
        self._open[s.utterance_id] = channel
        if channel in self._utterance_end and start < self._utterance_end[channel] + self._gap():
            del self._utterance_end[channel]  # speech resumed within the gap: no UtteranceEnd
        if not self.options.vad_events:
            return []
        return [
            json.dumps(
                {"type": "SpeechStarted", "channel": [channel, self._audio.channels], "timestamp": round(start, 3)}
            )
        ]

    def _utterance_ends(self) -> None:
        self._outgoing.extend(self._utterance_end_frames())

    def _utterance_end_frames(self) -> list[str | bytes]:
        due = [c for c, end in self._utterance_end.items() if self.now >= end + self._gap() + ONSET_MARGIN_S]
        frames: list[str | bytes] = []
        for channel in due:
            end = self._utterance_end.pop(channel)
            frames.append(
                json.dumps(
                    {"type": "UtteranceEnd", "channel": [channel, self._audio.channels], "last_word_end": round(end, 3)}
                )
            )
        return frames

    def _metadata(self, closed: Closed) -> dict[str, object]:
        duration = max(closed.audio_seconds.values(), default=self.now)
        return {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": self._request_id,
            "sha256": self._sha.hexdigest(),
            "created": self._created,
            "duration": round(duration, 3),
            "channels": self._audio.channels,
            "models": [self._model_uuid()],
            "model_info": {self._model_uuid(): {"name": self._model, "version": "ctranslate2", "arch": "whisper"}},
        }

    def _gap(self) -> float:
        return (self.options.utterance_end_ms or 0) / 1000

    def _channel(self, leg: str) -> int:
        return self.options.legs.index(leg) if leg in self.options.legs else 0

    def _model_uuid(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"callscribe:{self._model}"))

    def _send(self, obj: dict[str, object]) -> None:
        self._outgoing.append(json.dumps(obj))
