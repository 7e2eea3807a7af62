"""Long-form (file) transcription in Whisper's own 30 s windows, one window per step.

Theory of operation: offline faster-whisper transcribes a long recording by sliding Whisper's 30 s window
over it, each window conditioned on the text of the previous ones, seeking to the last timestamp token (or
last word) the model emitted. `WhisperModel.transcribe()` computes the features and the language, then
returns a lazy generator that decodes a window only when the next segment is asked for. `LongformDecode`
keeps that generator and advances it by one segment per `step()`, so each step costs at most one window's
decode (with faster-whisper's temperature fallback). The scheduler runs each step as one "file" job at the
lowest priority (`Scheduler.submit_file`), so a live final waits behind at most one step.

The decoding options are faster-whisper's defaults (those of `WhisperEngine.transcribe_offline`, the
accuracy baseline) plus word timestamps; the output is therefore the offline output.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from asr.types import SAMPLE_RATE, Audio, WordTiming


class HasFasterWhisper(Protocol):
    """An engine that exposes its loaded faster-whisper model (`asr.whisper.WhisperEngine` does)."""

    @property
    def faster_whisper(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class Segment:
    """One Whisper segment of a file; times in seconds from the start of the audio."""

    id: int
    start: float
    end: float
    text: str
    words: tuple[WordTiming, ...]
    seek: int
    tokens: tuple[int, ...]
    temperature: float
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float


@dataclass(frozen=True, slots=True)
class Step:
    """What one step produced: a segment (None at the end) and how far into the audio decoding is."""

    segment: Segment | None
    position_s: float
    language: str
    done: bool


def _words(words: Any) -> tuple[WordTiming, ...]:
    out = []
    for w in words or ():
        text = str(w.word).strip()
        if text:
            out.append(WordTiming(text, round(float(w.start), 3), round(float(w.end), 3), float(w.probability)))
    return tuple(out)


def _segment(seg: Any) -> Segment:
    return Segment(int(seg.id), round(float(seg.start), 3), round(float(seg.end), 3), str(seg.text).strip(),
                   _words(seg.words), int(seg.seek), tuple(int(t) for t in seg.tokens), float(seg.temperature),
                   float(seg.avg_logprob), float(seg.compression_ratio), float(seg.no_speech_prob))


class LongformDecode:
    """Stepwise offline transcription of one mono 16 kHz array (blocking steps: run them on the engine thread).

    `language` is an ISO code or "auto"; `prompt` conditions the first window (Whisper's initial prompt).
    """

    def __init__(self, audio: Audio, language: str = "auto", prompt: str = "", beam_size: int = 5,
                 word_timestamps: bool = True) -> None:
        if audio.ndim != 1 or audio.dtype != np.float32:
            raise ValueError("audio must be 1-D float32")
        self.audio = audio
        self.duration = len(audio) / SAMPLE_RATE
        self.language = language
        self._prompt = prompt.strip() or None
        self._beam_size = beam_size
        self._word_timestamps = word_timestamps
        self._segments: Iterator[Any] | None = None
        self.done = False

    def step(self, engine: HasFasterWhisper) -> Step:
        """Decode until the next segment (at most one 30 s window); the first step also detects the language."""
        if self.done:
            return Step(None, self.duration, self.language, True)
        if self._segments is None:
            return self._open(engine)
        seg = next(self._segments, None)
        if seg is None:
            self.done = True
            self.audio = np.zeros(0, np.float32)  # the audio is no longer needed: free it early
            return Step(None, self.duration, self.language, True)
        segment = _segment(seg)
        return Step(segment, min(segment.end, self.duration), self.language, False)

    def _open(self, engine: HasFasterWhisper) -> Step:
        if len(self.audio) == 0:
            self.done = True
            return Step(None, 0.0, "en" if self.language == "auto" else self.language, True)
        lang = None if self.language == "auto" else self.language
        segments, info = engine.faster_whisper.transcribe(
            self.audio, language=lang, beam_size=self._beam_size, initial_prompt=self._prompt,
            word_timestamps=self._word_timestamps)
        self.language = str(info.language)
        self._segments = iter(segments)
        return Step(None, 0.0, self.language, False)
