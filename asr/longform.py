"""Long-form (file) transcription in Whisper's own 30 s windows, one window per step.

Theory of operation: offline faster-whisper transcribes a long recording by sliding Whisper's 30 s window
over it, each window conditioned on the text of the previous ones, seeking to the last timestamp token (or
last word) the model emitted. `WhisperModel.transcribe()` computes the features and the language, then
returns a lazy generator that decodes a window only when the next segment is asked for. `LongformDecode`
keeps that generator and advances it by one segment per `step()`, so each step costs at most one window's
decode (with faster-whisper's temperature fallback). The scheduler runs each step as one "file" job at the
lowest priority (`Scheduler.submit_file`), so a live final waits behind at most one step.

The decoding options are faster-whisper's defaults (those of `WhisperEngine.transcribe_offline`, the
accuracy baseline), so the text is the offline text. Word timestamps are not asked of the generator:
with them faster-whisper seeks to the last word instead of the last timestamp token, which changed the
text (measured: WER 15.8 % against 14.5 % offline on the English clips). Instead the segments of each
window are held until the window is complete and then aligned with faster-whisper's own
`add_word_timestamps` on that window (one more encoder pass per window).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from asr.types import SAMPLE_RATE, Audio, WordTiming

_HOP = 160
_WINDOW_FRAMES = 3000


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
    """What one step produced: the segments of a finished window (often none) and how far decoding is."""

    segments: tuple[Segment, ...]
    position_s: float
    language: str
    done: bool


def _words(words: list[dict[str, Any]]) -> tuple[WordTiming, ...]:
    out = []
    for w in words:
        text = str(w["word"]).strip()
        if text:
            out.append(
                WordTiming(text, round(float(w["start"]), 3), round(float(w["end"]), 3), float(w["probability"]))
            )
    return tuple(out)


def _segment(seg: Any, aligned: dict[str, Any] | None) -> Segment:
    start, end = (seg.start, seg.end) if aligned is None else (aligned["start"], aligned["end"])
    words = _words(aligned.get("words", [])) if aligned is not None else ()
    return Segment(
        int(seg.id),
        round(float(start), 3),
        round(float(end), 3),
        str(seg.text).strip(),
        words,
        int(seg.seek),
        tuple(int(t) for t in seg.tokens),
        float(seg.temperature),
        float(seg.avg_logprob),
        float(seg.compression_ratio),
        float(seg.no_speech_prob),
    )


def _punctuation() -> tuple[str, str]:
    """faster-whisper's own defaults for merging punctuation into words (prepend, append)."""
    import inspect

    from faster_whisper import WhisperModel

    params = inspect.signature(WhisperModel.transcribe).parameters
    return params["prepend_punctuations"].default, params["append_punctuations"].default


class LongformDecode:
    """Stepwise offline transcription of one mono 16 kHz array (blocking steps: run them on the engine thread).

    `language` is an ISO code or "auto"; `prompt` conditions the first window (Whisper's initial prompt);
    `word_timestamps` aligns each finished window's words.
    """

    def __init__(
        self, audio: Audio, language: str = "auto", prompt: str = "", beam_size: int = 5, word_timestamps: bool = True
    ) -> None:
        if audio.ndim != 1 or audio.dtype != np.float32:
            raise ValueError("audio must be 1-D float32")
        self.audio = audio
        self.duration = len(audio) / SAMPLE_RATE
        self.language = language
        self._prompt = prompt.strip() or None
        self._beam_size = beam_size
        self._word_timestamps = word_timestamps
        self._segments: Iterator[Any] | None = None
        self._held: list[Any] = []  # segments of the window being decoded
        self._last_speech = 0.0
        self.done = False

    def step(self, engine: HasFasterWhisper) -> Step:
        """Decode until the next segment (at most one 30 s window, plus aligning the window before it)."""
        if self.done:
            return Step((), self.duration, self.language, True)
        if self._segments is None:
            return self._open(engine)
        seg = next(self._segments, None)
        if seg is None:
            out = self._flush(engine)
            self.done = True
            self.audio = np.zeros(0, np.float32)  # the audio is no longer needed: free it early
            return Step(out, self.duration, self.language, True)
        out = self._flush(engine) if self._held and self._held[0].seek != seg.seek else ()
        self._held.append(seg)
        return Step(out, min(float(seg.end), self.duration), self.language, False)

    def _open(self, engine: HasFasterWhisper) -> Step:
        if len(self.audio) == 0:
            self.done = True
            return Step((), 0.0, "en" if self.language == "auto" else self.language, True)
        lang = None if self.language == "auto" else self.language
        segments, info = engine.faster_whisper.transcribe(
            self.audio, language=lang, beam_size=self._beam_size, initial_prompt=self._prompt
        )
        self.language = str(info.language)
        self._segments = iter(segments)
        return Step((), 0.0, self.language, False)

    def _flush(self, engine: HasFasterWhisper) -> tuple[Segment, ...]:
        """The held window's segments, with words aligned on that window when asked for."""
        held, self._held = self._held, []
        if not held or not self._word_timestamps:
            return tuple(_segment(seg, None) for seg in held)
        dicts = [{"seek": seg.seek, "start": seg.start, "end": seg.end, "tokens": list(seg.tokens)} for seg in held]
        self._align(engine.faster_whisper, dicts, held[0].seek)
        return tuple(_segment(seg, d) for seg, d in zip(held, dicts, strict=True))

    def _align(self, fw: Any, dicts: list[dict[str, Any]], seek: int) -> None:
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer

        window = self.audio[seek * _HOP : (seek + _WINDOW_FRAMES) * _HOP]
        frames = min(_WINDOW_FRAMES, len(window) // _HOP)
        features = fw.feature_extractor(window, padding=0)[:, :frames]
        encoded = fw.encode(pad_or_trim(features))
        tokenizer = Tokenizer(fw.hf_tokenizer, fw.model.is_multilingual, task="transcribe", language=self.language)
        self._last_speech = fw.add_word_timestamps(
            [dicts], tokenizer, encoded, frames, *_punctuation(), self._last_speech
        )
