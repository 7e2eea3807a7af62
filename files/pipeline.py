"""From Whisper segments to the finals that may leave the gateway (pure): redaction, special categories, seq.

Each Whisper segment of a leg becomes one final, redacted by the recording's `CallRedaction` exactly as a
live call's finals are (PII tokens, special-category flags or masks, words overlapping a replaced span
replaced by its token). Segment token ids are dropped here: they decode to the unredacted text. Under the
special-category policy `stop`, the first final that mentions one is masked and transcription of the whole
recording ends there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from asr.longform import Segment
from gateway.core.redaction import CallRedaction
from protocol.messages import Final, Word


@dataclass(frozen=True, slots=True)
class FileFinal:
    """One redacted final of a leg, with the decoding statistics `verbose_json` reports (no tokens)."""

    final: Final
    seek: int
    temperature: float
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float


@dataclass(slots=True)
class LegResult:
    """A leg's finals so far (in time order), and how far decoding got."""

    name: str
    duration: float
    position: float = 0.0
    language: str = ""
    finals: list[FileFinal] = field(default_factory=list)

    @property
    def progress(self) -> float:
        return 1.0 if self.duration <= 0 else min(1.0, self.position / self.duration)


class RecordingPipeline:
    """Redacts the segments of every leg of one recording; `stopped` once policy `stop` has fired."""

    def __init__(self, redaction: CallRedaction) -> None:
        self._redaction = redaction
        self.stopped = False
        self.special: list[str] = []

    def add(self, leg: LegResult, segment: Segment, language: str) -> FileFinal | None:
        """The redacted final of `segment` appended to `leg` (None for an empty segment or once stopped)."""
        if self.stopped or not segment.text.strip():
            return None
        words = tuple(
            Word(w.word, w.start, max(w.end, w.start), min(1.0, max(0.0, w.probability))) for w in segment.words
        )
        filtered = self._redaction.final(segment.text, words)
        self.stopped = filtered.stop
        self.special.extend(c for c in filtered.special if c not in self.special)
        end = max(segment.end, segment.start)
        final = Final(
            len(leg.finals) + 1,
            leg.name,
            f"{leg.name}-{len(leg.finals) + 1}",
            filtered.text,
            segment.start,
            end,
            language,
            filtered.words,
            filtered.redactions,
            filtered.special,
        )
        out = FileFinal(
            final,
            segment.seek,
            segment.temperature,
            segment.avg_logprob,
            segment.compression_ratio,
            segment.no_speech_prob,
        )
        leg.finals.append(out)
        return out


def call_finals(legs: list[LegResult]) -> list[Final]:
    """Every leg's finals merged in time order, numbered 1, 2, 3 ... across the recording (as a live call's)."""
    merged = sorted((f.final for leg in legs for f in leg.finals), key=lambda f: (f.start, f.leg))
    return [
        Final(i, f.leg, f.utterance_id, f.text, f.start, f.end, f.language, f.words, f.redactions, f.special)
        for i, f in enumerate(merged, start=1)
    ]
