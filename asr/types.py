"""Value types shared by the engines, the scheduler and the gateway."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

Kind = Literal["partial", "final"]
Audio = npt.NDArray[np.float32]
SAMPLE_RATE = 16000


class AsrError(Exception):
    """Root of this package's errors: a model that cannot be found or loaded, a misconfigured engine."""


class ModelNotFound(AsrError):
    """The configured model is neither bundled, a local CTranslate2 directory, nor reachable on a hub."""


@dataclass(frozen=True, slots=True, eq=False)
class DecodeRequest:
    """One utterance (or the open part of one, for a partial) to decode.

    `audio` is float32 mono at 16 kHz. `language` is an ISO code, or "auto" to detect it.
    `prompt` is earlier text of the same leg to condition on ("" for none). `context` is audio that came
    just before `audio` on the leg and `prefix` the words said in it (see `asr.context`): the encoder sees
    both, the decoder continues after `prefix`, and the result holds only the words of `audio`.
    """

    call_id: str
    leg: str
    kind: Kind
    audio: Audio
    language: str
    prompt: str = ""
    context: Audio = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    prefix: str = ""

    def __post_init__(self) -> None:
        if self.audio.ndim != 1 or self.audio.dtype != np.float32:
            raise ValueError("audio must be 1-D float32")
        if self.context.ndim != 1 or self.context.dtype != np.float32:
            raise ValueError("context must be 1-D float32")
        if self.kind not in ("partial", "final"):
            raise ValueError(f"unknown kind {self.kind!r}")

    @property
    def seconds(self) -> float:
        return len(self.audio) / SAMPLE_RATE

    @property
    def context_seconds(self) -> float:
        return len(self.context) / SAMPLE_RATE

    @property
    def encoder_audio(self) -> Audio:
        """What the encoder sees: the context, then the utterance."""
        return np.concatenate([self.context, self.audio]) if len(self.context) else self.audio


@dataclass(frozen=True, slots=True)
class WordTiming:
    """A word with times in seconds relative to the start of the request's audio."""

    word: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """What the engine heard. `rejected` names the hallucination guard that emptied the text, if any."""

    text: str
    language: str
    words: tuple[WordTiming, ...] = ()
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0
    compression_ratio: float = 1.0
    rejected: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


class Transcriber(Protocol):
    """A speech recogniser that decodes a batch of utterances in one call (blocking; run it in a thread)."""

    @property
    def name(self) -> str: ...

    @property
    def languages(self) -> tuple[str, ...]: ...

    def transcribe_batch(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]: ...
