"""OpenAI Realtime transcription (``/v1/realtime?intent=transcription``) -> native messages, and back.

Facts relied on: ``../shared/reference/compat-apis.md`` section 2 (events checked by running openai
3.57.0, GA ``client.realtime.connect`` and beta ``client.beta.realtime.connect``, against a local
server; the SDK's ``types/realtime/*_event.py``).

On connect the adapter queues ``session.created`` (beta: ``transcription_session.created``; the gateway
tells the dialect from ``OpenAI-Beta: realtime=v1`` in ``params["dialect"]``). Client events (TEXT):

* ``session.update`` / ``transcription_session.update`` -> the session configuration
  (``openai_session``), answered by ``session.updated`` / ``transcription_session.updated``, or by an
  ``error`` when it cannot be applied (the format or language after audio arrived, ``semantic_vad``...);
* ``input_audio_buffer.append`` -> ``Start`` (on the first one: format and language of the session,
  consent the operator's mode in ``params["consent"]``) and ``AudioChunk``s; a partial sample is carried;
* ``input_audio_buffer.commit`` -> ``Finalize`` (an empty buffer: ``input_audio_buffer_commit_empty``);
* ``input_audio_buffer.clear`` -> ``input_audio_buffer.cleared``; the utterances open at it (not ended on
  silence before it) are not reported to this client (the gateway's own transcript keeps them);
* anything else, invalid JSON, bad base64, a BINARY frame -> an ``error`` event; the session stays open.

Server events. An item is one native utterance (``item_<utterance_id>``). The VAD's onset (the native
``SpeechStarted``, asked for with ``Start.vad_events``) -> ``input_audio_buffer.speech_started``
(``server_vad`` only, ``audio_start_ms`` = the utterance's start). ``Partial`` ->
``conversation.item.input_audio_transcription.delta`` carrying only the extension of the stable prefix
(``Partial.stable_chars``), so deltas never flicker. ``Final`` -> ``speech_stopped`` (``server_vad``),
``input_audio_buffer.committed``, a last delta when the final extends what was sent, and
``...transcription.completed`` with the final (redacted) transcript, ``usage`` in seconds and, when
asked, ``logprobs`` (one entry per word: the decoder's word probability as a log). ``ErrorMessage`` ->
``error`` (the gateway then closes with the error's close code).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from typing import ClassVar

from protocol.adapters.base import WebSocketAdapter, decode_base64, split_audio
from protocol.compat._consent import entry_consent
from protocol.compat._text import stable_delta
from protocol.compat.deepgram import FLUSH_SLACK_S
from protocol.compat.openai_session import SessionUpdateError, TranscriptionSession, VadShape
from protocol.errors import BadMessage, ProtocolError
from protocol.messages import ErrorMessage, Final, Finalize, Partial, ServerMessage, SpeechStarted, Start

__all__ = ["OpenAiRealtimeAdapter", "OpenAiRealtimeError"]


class OpenAiRealtimeError(BadMessage):
    """A client event the session cannot take at all: close 1008 (most are answered by ``error``)."""

    code: ClassVar[str] = "invalid_request_error"
    close_code: int = 1008


class OpenAiRealtimeAdapter(WebSocketAdapter):
    """One Realtime transcription session (see the module docstring)."""

    SUBPROTOCOLS: ClassVar[tuple[str, ...]] = ("realtime",)
    error: ClassVar[type[ProtocolError]] = OpenAiRealtimeError

    def __init__(self, params: Mapping[str, str] | None = None) -> None:
        super().__init__(params)
        self.beta = self._params.get("dialect") == "beta"
        self.session = TranscriptionSession()
        self.vad = VadShape.from_params(self._params)
        self.session_id = f"sess_{uuid.uuid4().hex[:20]}"
        self._events_sent = 0
        self._carry = b""
        self._samples = 0
        self._uncommitted = False
        self._open: set[str] = set()  # utterances the VAD opened that have no final yet
        self._cleared: dict[str, float] = {}  # utterance open at a clear -> that clear's audio time
        self._sent: dict[str, str] = {}
        self._previous_item: str | None = None
        prefix = "transcription_session" if self.beta else "session"
        self._send({"type": f"{prefix}.created", "session": self._shape()})

    @property
    def now(self) -> float:
        return self._samples / self.session.audio.sample_rate

    # -- client -> gateway --------------------------------------------------------------------------

    def receive_text(self, text: str) -> None:
        """Feed one TEXT message: one client event."""
        if not self._check_open():
            return
        try:
            event = json.loads(text)
        except (ValueError, RecursionError):
            event = None
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            self._error("invalid_json", "expected a JSON object with a type", None)
            return
        kind, event_id = event["type"], event.get("event_id")
        handler = _HANDLERS.get(kind)
        if handler is None:
            self._error("unknown_event", f"unsupported client event type {kind[:64]!r}", event_id)
            return
        handler(self, event, event_id)

    def receive_binary(self, data: bytes) -> None:
        """BINARY frames are no part of this API: answered by an ``error`` event."""
        if self._check_open():
            self._error("invalid_frame", "audio goes in input_audio_buffer.append (base64)", None)

    def _update(self, event: dict[str, object], event_id: object) -> None:
        session = event.get("session")
        if not isinstance(session, dict):
            self._error("invalid_value", "session: expected an object", event_id, "session")
            return
        beta_shape = event.get("type") == "transcription_session.update" or "input_audio_format" in session
        try:
            new = self.session.apply_beta(session) if beta_shape else self.session.apply_ga(session)
        except SessionUpdateError as exc:
            self._error("invalid_value", exc.message, event_id, exc.param)
            return
        fixed = (new.audio_format, new.language, new.silence_ms)
        if self.started and fixed != (self.session.audio_format, self.session.language, self.session.silence_ms):
            self._error(
                "invalid_value", "the audio format and language cannot change once audio arrived", event_id, "session"
            )
            return
        self.session = new
        kind = str(event["type"])
        prefix = "transcription_session" if self.beta or kind.startswith("transcription") else "session"
        self._send({"type": f"{prefix}.updated", "session": self._shape()})

    def _append(self, event: dict[str, object], event_id: object) -> None:
        try:
            data = decode_base64(event.get("audio"), "audio", OpenAiRealtimeError)
        except OpenAiRealtimeError as exc:
            self._error("invalid_value", exc.message, event_id, "audio")
            return
        if not self.started:
            consent, then = entry_consent(self._params)
            self._emit_start(
                Start(
                    call_id=self._params.get("call_id") or f"oai-{self.session_id}",
                    audio=self.session.audio,
                    legs=("caller",),
                    language=self.session.language or "auto",
                    consent=consent,
                    vad_events=True,
                    # exactly the silence `session.updated` reported (the deployment's one when the client
                    # set none): OpenAI's server_vad has one endpoint, not a longer one inside a turn
                    endpoint_ms=self.session.silence_ms or self.vad.silence_duration_ms,
                )
            )
            self._events.extend(then)
        fmt = self.session.audio
        data = self._carry + data
        whole = len(data) - len(data) % fmt.frame_bytes
        self._carry = data[whole:]
        if whole:
            self._samples += whole // fmt.frame_bytes
            self._uncommitted = True
            self._events.extend(split_audio(data[:whole], fmt))

    def _commit(self, event: dict[str, object], event_id: object) -> None:
        del event
        if not self._uncommitted:
            self._error("input_audio_buffer_commit_empty", "the buffer holds no audio since the last commit", event_id)
            return
        self._uncommitted = False
        self._events.append(Finalize())

    def _clear(self, event: dict[str, object], event_id: object) -> None:
        del event, event_id
        self._uncommitted = False
        self._cleared |= dict.fromkeys(self._open, self.now)
        self._send({"type": "input_audio_buffer.cleared"})

    # -- gateway -> client --------------------------------------------------------------------------

    def server_frames(self, message: ServerMessage) -> list[str | bytes] | None:
        """The Realtime events of one server message of the call."""
        if isinstance(message, SpeechStarted):
            return self._speech_started(message)
        if isinstance(message, Partial | Final) and self._hidden(message):
            return []
        if isinstance(message, Partial):
            return self._partial(message)
        if isinstance(message, Final):
            return self._final(message)
        if isinstance(message, ErrorMessage):
            kind = "server_error" if message.code == "internal" else "invalid_request_error"
            return [
                self._event(
                    {
                        "type": "error",
                        "error": {"type": kind, "code": message.code, "message": message.message, "param": None},
                    }
                )
            ]
        return []

    def _hidden(self, message: Partial | Final) -> bool:
        """Whether an ``input_audio_buffer.clear`` discarded the utterance: it was open at the clear and had
        not ended on silence before it (a final that ends ``FLUSH_SLACK_S`` before the clear had)."""
        at = self._cleared.get(message.utterance_id)
        if isinstance(message, Final):
            self._open.discard(message.utterance_id)
            self._cleared.pop(message.utterance_id, None)
            return at is not None and message.end >= at - FLUSH_SLACK_S
        return at is not None

    def _partial(self, p: Partial) -> list[str | bytes]:
        item = f"item_{p.utterance_id}"
        frames: list[str | bytes] = []
        sent = self._sent.setdefault(p.utterance_id, "")
        delta = stable_delta(sent, p.text, p.stable_chars)
        if delta:
            self._sent[p.utterance_id] = sent + delta
            frames.append(self._delta(item, delta))
        return frames

    def _final(self, f: Final) -> list[str | bytes]:
        item = f"item_{f.utterance_id}"
        frames: list[str | bytes] = []
        if self.session.server_vad:
            frames.append(
                self._event(
                    {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": round(f.end * 1000), "item_id": item}
                )
            )
        frames.append(
            self._event(
                {"type": "input_audio_buffer.committed", "item_id": item, "previous_item_id": self._previous_item}
            )
        )
        self._previous_item = item
        sent = self._sent.pop(f.utterance_id, "")
        if f.text.startswith(sent) and len(f.text) > len(sent):
            frames.append(self._delta(item, f.text[len(sent) :]))
        logprobs = (
            [
                {
                    "token": w.word,
                    "logprob": round(math.log(max(w.probability, 1e-6)), 4),
                    "bytes": list(w.word.encode()),
                }
                for w in f.words
            ]
            if self.session.logprobs
            else None
        )
        frames.append(
            self._event(
                {
                    "type": "conversation.item.input_audio_transcription.completed",
                    "item_id": item,
                    "content_index": 0,
                    "transcript": f.text,
                    "logprobs": logprobs,
                    "usage": {"type": "duration", "seconds": round(f.end - f.start, 3)},
                }
            )
        )
        return frames

    def _speech_started(self, s: SpeechStarted) -> list[str | bytes]:
        self._open.add(s.utterance_id)
        if not self.session.server_vad:
            return []
        item = f"item_{s.utterance_id}"
        return [
            self._event(
                {"type": "input_audio_buffer.speech_started", "audio_start_ms": round(s.at * 1000), "item_id": item}
            )
        ]

    def _delta(self, item: str, delta: str) -> str:
        return self._event(
            {
                "type": "conversation.item.input_audio_transcription.delta",
                "item_id": item,
                "content_index": 0,
                "delta": delta,
                "logprobs": None,
            }
        )

    def _shape(self) -> dict[str, object]:
        if self.beta:
            return self.session.beta_shape(self.session_id, self.vad)
        return self.session.ga_shape(self.session_id, self.vad)

    def _error(self, code: str, message: str, event_id: object, param: str | None = None) -> None:
        self._send(
            {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "code": code,
                    "message": message,
                    "param": param,
                    "event_id": event_id if isinstance(event_id, str) else None,
                },
            }
        )

    def _event(self, body: dict[str, object]) -> str:
        self._events_sent += 1
        return json.dumps({"event_id": f"event_{self._events_sent:06d}", **body})

    def _send(self, body: dict[str, object]) -> None:
        self._outgoing.append(self._event(body))


_HANDLERS = {
    "session.update": OpenAiRealtimeAdapter._update,
    "transcription_session.update": OpenAiRealtimeAdapter._update,
    "input_audio_buffer.append": OpenAiRealtimeAdapter._append,
    "input_audio_buffer.commit": OpenAiRealtimeAdapter._commit,
    "input_audio_buffer.clear": OpenAiRealtimeAdapter._clear,
}
