"""The configuration of an OpenAI Realtime transcription session: both update shapes, both echoes.

Facts relied on: ``../shared/reference/compat-apis.md`` section 2 (openai 3.57.0:
``types/realtime/realtime_transcription_session_create_request.py`` for GA, and
``types/beta/realtime/transcription_session_update.py`` for beta, as sent by the SDK):

* GA ``session.update``: ``session.type`` must be ``transcription``; ``session.audio.input`` holds
  ``format`` (``{"type": "audio/pcm", "rate": 24000}``, ``audio/pcmu``, ``audio/pcma``),
  ``transcription`` (``model``, ``language``, ``prompt``), ``turn_detection`` and ``noise_reduction``;
  ``session.include`` may ask for ``item.input_audio_transcription.logprobs``.
* beta ``transcription_session.update``: flat ``input_audio_format`` (``pcm16``, ``g711_ulaw``,
  ``g711_alaw``), ``input_audio_transcription``, ``turn_detection``, ``input_audio_noise_reduction``,
  ``include``.

Mapping: the format and language reach ``Start`` (so they cannot change once audio has arrived);
``turn_detection`` ``server_vad`` (the default) or ``null`` (commit-driven) chooses which buffer events
the client gets; its ``silence_duration_ms`` becomes the call's endpoint silence (kept within 300..5000
ms, fixed once audio arrived), while ``threshold`` and ``prefix_padding_ms`` are the deployment's VAD
values; ``session.updated`` always shows the effective values;
``semantic_vad`` is refused. ``model``, ``prompt`` and ``noise_reduction`` are accepted and echoed
without effect (the gateway routes the model by language and does no noise reduction).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

from protocol.compat._endpoint import endpoint_ms
from protocol.messages import AudioFormat

__all__ = ["FORMATS", "SessionUpdateError", "TranscriptionSession", "VadShape"]

FORMATS: dict[str, AudioFormat] = {
    "pcm16": AudioFormat("pcm_s16le", 24000, 1),
    "g711_ulaw": AudioFormat("mulaw", 8000, 1),
    "g711_alaw": AudioFormat("alaw", 8000, 1),
}
_GA_FORMATS = {"audio/pcm": "pcm16", "audio/pcmu": "g711_ulaw", "audio/pcma": "g711_alaw"}
_GA_NAMES = {v: k for k, v in _GA_FORMATS.items()}
_LOGPROBS = "item.input_audio_transcription.logprobs"
_LANGUAGE = re.compile(r"[a-z]{2,3}")


class SessionUpdateError(Exception):
    """A session update the gateway cannot apply; the session keeps its configuration."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


@dataclass(frozen=True, slots=True)
class VadShape:
    """The gateway's effective VAD, as ``server_vad`` fields."""

    threshold: float = 0.5
    prefix_padding_ms: int = 200
    silence_duration_ms: int = 400

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> VadShape:
        return cls(
            float(params.get("vad_threshold", 0.5)),
            int(params.get("vad_prefix_padding_ms", 200)),
            int(params.get("vad_silence_duration_ms", 400)),
        )

    def as_dict(self, silence_ms: int | None = None) -> dict[str, object]:
        """The ``server_vad`` object, with the call's own endpoint silence where it set one."""
        return {
            "type": "server_vad",
            "threshold": self.threshold,
            "prefix_padding_ms": self.prefix_padding_ms,
            "silence_duration_ms": silence_ms or self.silence_duration_ms,
        }


@dataclass(frozen=True, slots=True)
class TranscriptionSession:
    """What the client configured (``audio_format`` and ``language`` reach ``Start``)."""

    audio_format: str = "pcm16"
    language: str | None = None
    model: str = "whisper-1"
    prompt: str = ""
    server_vad: bool = True
    silence_ms: int | None = None
    """``turn_detection.silence_duration_ms`` as the call gets it (None: the deployment's)."""
    noise_reduction: object = None
    logprobs: bool = False

    @property
    def audio(self) -> AudioFormat:
        return FORMATS[self.audio_format]

    def apply_ga(self, session: Mapping[str, object]) -> TranscriptionSession:
        """This configuration updated by a GA ``session.update``'s ``session``."""
        if session.get("type", "transcription") != "transcription":
            raise SessionUpdateError(
                "session.type",
                "only transcription sessions are served here "
                '(connect with ?intent=transcription and session.type "transcription")',
            )
        audio = _object(session.get("audio", {}), "session.audio")
        given = _object(audio.get("input", {}), "session.audio.input")
        new = self
        if "format" in given:
            new = dataclasses.replace(new, audio_format=_ga_format(given["format"]))
        new = new._common(given, "session.audio.input", "transcription", "noise_reduction")
        return new._include(session)

    def apply_beta(self, session: Mapping[str, object]) -> TranscriptionSession:
        """This configuration updated by a beta ``transcription_session.update``'s ``session``."""
        new = self
        if "input_audio_format" in session:
            name = session["input_audio_format"]
            if not isinstance(name, str) or name not in FORMATS:
                raise SessionUpdateError("session.input_audio_format", "use pcm16, g711_ulaw or g711_alaw")
            new = dataclasses.replace(new, audio_format=name)
        new = new._common(session, "session", "input_audio_transcription", "input_audio_noise_reduction")
        return new._include(session)

    def _common(
        self, obj: Mapping[str, object], where: str, transcription_key: str, noise_key: str
    ) -> TranscriptionSession:
        new = self
        if transcription_key in obj and obj[transcription_key] is not None:
            t = _object(obj[transcription_key], f"{where}.{transcription_key}")
            language = t.get("language", new.language)
            if language is not None and (not isinstance(language, str) or not _LANGUAGE.fullmatch(language)):
                raise SessionUpdateError(f"{where}.{transcription_key}.language", "expected an ISO-639-1 code")
            new = dataclasses.replace(
                new,
                language=language or None,
                model=str(t.get("model", new.model)),
                prompt=str(t.get("prompt", new.prompt)),
            )
        if "turn_detection" in obj:
            server_vad, silence = _turn_detection(obj["turn_detection"], where)
            new = dataclasses.replace(new, server_vad=server_vad, silence_ms=silence or new.silence_ms)
        if noise_key in obj:
            new = dataclasses.replace(new, noise_reduction=obj[noise_key])
        return new

    def _include(self, session: Mapping[str, object]) -> TranscriptionSession:
        include = session.get("include")
        if include is None:
            return self
        return dataclasses.replace(self, logprobs=isinstance(include, list) and _LOGPROBS in include)

    def ga_shape(self, session_id: str, vad: VadShape) -> dict[str, object]:
        fmt: dict[str, object] = {"type": _GA_NAMES[self.audio_format]}
        if self.audio_format == "pcm16":
            fmt["rate"] = 24000
        return {
            "type": "transcription",
            "id": session_id,
            "object": "realtime.transcription_session",
            "audio": {
                "input": {
                    "format": fmt,
                    "transcription": self._transcription(),
                    "turn_detection": vad.as_dict(self.silence_ms) if self.server_vad else None,
                    "noise_reduction": self.noise_reduction,
                }
            },
            "include": [_LOGPROBS] if self.logprobs else None,
        }

    def beta_shape(self, session_id: str, vad: VadShape) -> dict[str, object]:
        return {
            "id": session_id,
            "object": "realtime.transcription_session",
            "input_audio_format": self.audio_format,
            "input_audio_transcription": self._transcription(),
            "turn_detection": vad.as_dict(self.silence_ms) if self.server_vad else None,
            "input_audio_noise_reduction": self.noise_reduction,
            "include": [_LOGPROBS] if self.logprobs else None,
            "modalities": ["text"],
        }

    def _transcription(self) -> dict[str, object]:
        return {"model": self.model, "language": self.language, "prompt": self.prompt}


def _object(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise SessionUpdateError(where, "expected an object")
    return value


def _ga_format(value: object) -> str:
    fmt = _object(value, "session.audio.input.format")
    name = _GA_FORMATS.get(str(fmt.get("type")))
    if name is None:
        raise SessionUpdateError("session.audio.input.format.type", "use audio/pcm, audio/pcmu or audio/pcma")
    if name == "pcm16" and fmt.get("rate", 24000) != 24000:
        raise SessionUpdateError("session.audio.input.format.rate", "only a 24000 Hz sample rate is supported")
    return name


def _turn_detection(value: object, where: str) -> tuple[bool, int | None]:
    """Whether server VAD is on, and the endpoint silence it asks for."""
    if value is None:
        return False, None
    td = _object(value, f"{where}.turn_detection")
    if td.get("type", "server_vad") != "server_vad":
        raise SessionUpdateError(f"{where}.turn_detection.type", "only server_vad (or null) is supported")
    silence = td.get("silence_duration_ms")
    if silence is None:
        return True, None
    if not isinstance(silence, int) or isinstance(silence, bool) or silence <= 0:
        raise SessionUpdateError(f"{where}.turn_detection.silence_duration_ms", "expected a positive integer")
    return True, endpoint_ms(silence)
