"""Readers of the peers' result messages, turning them into `Hyp` events (pure: no I/O, time passed in).

WhisperLive (collabora/WhisperLive, `whisper_live/server.py` + `backend/base.py`): after the options JSON
the server answers `{"uid", "message": "SERVER_READY"}` (or `"status": "WAIT"` when full), then repeatedly
`{"uid", "segments": [{"start": "1.000", "end": "2.500", "text": "...", "completed": bool}, ...]}` holding
the last few segments: completed ones are final, the trailing incomplete one is the live partial. The same
completed segment is re-sent many times; it counts once, when first seen.

WhisperLiveKit (`whisperlivekit/basic_server.py`, `/asr`): a `{"type": "config"}` message, then the full
state after every step: `lines` (committed text, grouped in lines with `start`/`end` as `H:MM:SS.cc`),
`buffer_transcription` (the uncommitted tail) and `remaining_time_transcription` (audio seconds it is
behind), and `{"type": "ready_to_stop"}` once it has processed everything. Committed text only grows:
each newly committed run of words counts as a final for [previous committed end, its line's end]; the
buffer counts as a partial whose end is the audio sent minus the lag the server reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.trace import Hyp


def parse_clock(value: str) -> float:
    """`H:MM:SS.cc` (WhisperLiveKit) or plain seconds, as seconds."""
    seconds = 0.0
    for part in str(value).split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


@dataclass(slots=True)
class WhisperLiveReader:
    """Hypotheses from one WhisperLive connection (one leg).

    WhisperLive never completes the segment still open when the stream ends; its own client appends that
    last partial to the transcript at the end (`write_srt_file`). `flush()` does the same, as a final that
    arrives when the stream ended.
    """

    leg: str
    _seen: set[tuple[str, str]] = field(default_factory=set)
    _partial: tuple[str, str, str] | None = None
    _pending: bool = False

    def feed(self, msg: dict[str, Any], at: float) -> list[Hyp]:
        """The new hypotheses in one server message received at `at`."""
        out = []
        segments = msg.get("segments") or []
        for seg in segments:
            start, end, text = str(seg["start"]), str(seg["end"]), str(seg["text"])
            if seg.get("completed"):
                if (start, text) not in self._seen:
                    self._seen.add((start, text))
                    out.append(Hyp("final", at, self.leg, text.strip(), float(start), float(end)))
            elif (start, end, text) != self._partial and text.strip():
                self._partial = (start, end, text)
                out.append(Hyp("partial", at, self.leg, text.strip(), float(start), float(end)))
        if segments:
            self._pending = not segments[-1].get("completed") and bool(str(segments[-1]["text"]).strip())
        return out

    def flush(self, at: float) -> list[Hyp]:
        """The segment still open at the end of the stream, as a final received at `at`."""
        if not self._pending or self._partial is None:
            return []
        self._pending = False
        start, end, text = self._partial
        return [Hyp("final", at, self.leg, text.strip(), float(start), float(end))]


@dataclass(slots=True)
class WhisperLiveKitReader:
    """Hypotheses from one WhisperLiveKit connection (one leg)."""

    leg: str
    _words: list[str] = field(default_factory=list)
    _line_of_last: int = -1
    _committed_end: float = 0.0
    _partial: str = ""

    def feed(self, msg: dict[str, Any], at: float, audio_sent: float) -> list[Hyp]:
        """The new hypotheses in one state message received at `at`, when `audio_sent` s had been sent."""
        if "lines" not in msg:
            return []
        out = []
        words: list[str] = []
        line_of: list[int] = []
        lines = [ln for ln in msg["lines"] if str(ln.get("text", "")).strip()]
        for i, line in enumerate(lines):
            for w in str(line["text"]).split():
                words.append(w)
                line_of.append(i)
        keep = 0
        while keep < min(len(words), len(self._words)) and words[keep] == self._words[keep]:
            keep += 1
        if len(words) > keep:
            first_line = line_of[keep]
            start = self._committed_end if first_line == self._line_of_last else parse_clock(lines[first_line]["start"])
            end = max(start, parse_clock(lines[line_of[-1]]["end"]))
            out.append(Hyp("final", at, self.leg, " ".join(words[keep:]), start, end))
            self._committed_end, self._line_of_last = end, line_of[-1]
        self._words = words
        buffer = str(msg.get("buffer_transcription", "")).strip()
        if buffer and buffer != self._partial:
            lag = float(msg.get("remaining_time_transcription") or 0.0)
            end = max(self._committed_end, audio_sent - lag)
            out.append(Hyp("partial", at, self.leg, buffer, self._committed_end, end))
        self._partial = buffer
        return out
