"""One leg's VAD: silero stream + segmenter + the audio of the open utterance.

Theory of operation
-------------------
A leg's audio arrives as 16 kHz float32 chunks, each stamped with the position of its first sample on
the leg's clock. Consecutive chunks form a *run*; within a run the stream scores windows of 512 samples
counted from the run's first sample, and the segmenter works in run-relative samples that are shifted
by the run's base when reported.

A chunk that starts later than the previous one ended (a gap: consent paused, so audio was counted
and dropped before it reached us) ends the run: any open utterance is closed with reason "flush", the
model state and the buffer are reset, and a new run begins at the new position. A chunk that starts
earlier is a caller bug (`TimelineError`, a ValueError).

The buffer holds the run's samples from `Segmenter.retain_from()` on: the open utterance's start, or
just the pre-roll while nobody speaks, so a silent leg costs a few kilobytes however long the call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vad.config import VadConfig
from vad.errors import TimelineError
from vad.segmenter import EndReason, Segmenter, SegmentEvent, SpeechPause, SpeechStart
from vad.silero import WINDOW, Audio, SileroModel


@dataclass(frozen=True, slots=True)
class UtteranceStarted:
    """Utterance `index` (0, 1, ... per leg) began at sample `start` of the leg's 16 kHz clock."""

    index: int
    start: int


@dataclass(frozen=True, slots=True, eq=False)
class UtteranceEnded:
    """Utterance `index` ended; `audio` is its float32 16 kHz samples [start, end), rolls included."""

    index: int
    start: int
    end: int
    audio: Audio
    reason: EndReason

    def __post_init__(self) -> None:
        if self.audio.ndim != 1 or self.audio.dtype != np.float32:
            raise ValueError("audio must be 1-D float32")
        if len(self.audio) != self.end - self.start:
            raise ValueError("audio length must equal end - start")


@dataclass(frozen=True, slots=True, eq=False)
class UtterancePaused:
    """Utterance `index` has paused: should it end with no more speech, its `UtteranceEnded` will hold
    exactly this [start, end) and `audio` (see `Segmenter`'s `SpeechPause`)."""

    index: int
    start: int
    end: int
    audio: Audio


VadEvent = UtteranceStarted | UtteranceEnded | UtterancePaused


_INITIAL_CAPACITY = WINDOW * 32  # ~1 s at 16 kHz


class _AudioBuffer:
    """Samples [start, end) of one run on the leg clock, growing at the end, dropped from the front."""

    def __init__(self, start: int) -> None:
        self.start = start
        self._data: Audio = np.zeros(_INITIAL_CAPACITY, dtype=np.float32)
        self._offset = 0  # index of `start` in _data
        self._length = 0

    @property
    def end(self) -> int:
        return self.start + self._length

    def append(self, samples: Audio) -> None:
        if self._offset + self._length + len(samples) > len(self._data):
            live = self._data[self._offset : self._offset + self._length]
            if self._length + len(samples) > len(self._data):
                grown = np.zeros(max(2 * len(self._data), self._length + len(samples)), np.float32)
                grown[: self._length] = live
                self._data = grown
            else:
                self._data[: self._length] = live.copy()
            self._offset = 0
        tail = self._offset + self._length
        self._data[tail : tail + len(samples)] = samples
        self._length += len(samples)

    def drop_before(self, sample: int) -> None:
        count = min(max(sample - self.start, 0), self._length)
        self._offset += count
        self._length -= count
        self.start += count
        if len(self._data) > _INITIAL_CAPACITY and self._length * 4 <= _INITIAL_CAPACITY:
            # a long utterance just ended: give its memory back (a silent leg needs only the pre-roll)
            small = np.zeros(_INITIAL_CAPACITY, dtype=np.float32)
            small[: self._length] = self._data[self._offset : self._offset + self._length]
            self._data, self._offset = small, 0

    def slice(self, start: int, end: int) -> Audio:
        if not self.start <= start <= end <= self.end:
            raise AssertionError(f"[{start}, {end}) is not buffered ([{self.start}, {self.end}))")
        first = self._offset + start - self.start
        return self._data[first : first + end - start].copy()


class LegEndpointer:
    """VAD and endpointing for one leg; feed it with `push`, read utterances from the events."""

    def __init__(self, model: SileroModel, config: VadConfig) -> None:
        """Create an endpointer for one leg; `model` may be shared by all legs of all calls."""
        self._config = config
        self._stream = model.new_stream()
        self._segmenter = Segmenter(config, window=WINDOW)
        self._buffer = _AudioBuffer(0)
        self._base = 0  # leg sample where the current run began
        self._run_windows = 0  # windows scored in the current run
        self._position: int | None = None  # leg sample expected next
        self._count = 0  # utterances started so far
        self._open: UtteranceStarted | None = None

    @property
    def config(self) -> VadConfig:
        """The endpointing settings this leg runs with (the call's language and endpoint applied)."""
        return self._config

    @property
    def windows(self) -> int:
        """Silero windows run on this leg so far (0 proves no audio reached the model)."""
        return self._stream.windows

    @property
    def position(self) -> int | None:
        """The leg sample the next contiguous `push` starts at (None before the first push)."""
        return self._position

    @property
    def buffered_samples(self) -> int:
        """Samples held in memory: the open utterance so far, or about the pre-roll when silent."""
        return self._buffer.end - self._buffer.start

    @property
    def speech_samples_since_start(self) -> int:
        """Samples pushed since the open utterance's start (pre-roll included); 0 when none is open."""
        if self._open is None or self._position is None:
            return 0
        return self._position - self._open.start

    def push(self, audio16k: npt.ArrayLike, start_sample: int) -> list[VadEvent]:
        """Feed mono float audio whose first sample sits at `start_sample` on the leg's 16 kHz clock."""
        samples = _as_audio(audio16k)
        events = self._begin(samples, start_sample)
        return events + self._consume(self._stream.process(samples))

    def current_audio(self) -> tuple[int, int, Audio] | None:
        """(index, start, audio so far) of the open utterance, for partials; None when none is open."""
        if self._open is None:
            return None
        return self._open.index, self._open.start, self._buffer.slice(self._open.start, self._buffer.end)

    def flush(self) -> list[VadEvent]:
        """End the open utterance now (reason "flush"), e.g. at hang-up."""
        events = self._translate(self._segmenter.flush())
        self._trim()
        return events

    def discard(self) -> None:
        """Drop the open utterance and all buffered audio without an event (consent declined).

        The leg restarts as after a gap, at the current position: nothing pushed before the call can
        reach a later utterance, not even samples still waiting for a complete window.
        """
        self._open = None
        if self._position is not None:
            self._new_run(self._position)

    def _begin(self, samples: Audio, start_sample: int) -> list[VadEvent]:
        """Handle gaps, then buffer `samples` (scoring is up to the caller)."""
        events: list[VadEvent] = []
        if self._position is None:
            self._new_run(start_sample)
        elif start_sample < self._position:
            raise TimelineError(f"audio at {start_sample} overlaps pushed audio (up to {self._position})")
        elif start_sample > self._position:
            events = self.flush()
            self._new_run(start_sample)
        self._buffer.append(samples)
        self._position = start_sample + len(samples)
        return events

    def _new_run(self, start_sample: int) -> None:
        if start_sample < 0:
            raise TimelineError("start_sample must be >= 0")
        self._stream.reset()
        self._segmenter = Segmenter(self._config, window=WINDOW)
        self._buffer = _AudioBuffer(start_sample)
        self._base = start_sample
        self._run_windows = 0

    def _consume(self, probs: Audio) -> list[VadEvent]:
        first, self._run_windows = self._run_windows, self._run_windows + len(probs)
        events = self._translate(self._segmenter.feed(probs.tolist(), first))
        self._trim()
        return events

    def _translate(self, seg_events: list[SegmentEvent]) -> list[VadEvent]:
        events: list[VadEvent] = []
        for event in seg_events:
            if isinstance(event, SpeechStart):
                self._open = UtteranceStarted(self._count, self._base + event.start)
                self._count += 1
                events.append(self._open)
                continue
            index = self._open.index if self._open is not None else self._count - 1
            start, end = self._base + event.start, self._base + event.end
            audio = self._buffer.slice(start, end)
            if isinstance(event, SpeechPause):
                events.append(UtterancePaused(index, start, end, audio))
                continue
            events.append(UtteranceEnded(index, start, end, audio, event.reason))
            self._open = None
        return events

    def _trim(self) -> None:
        keep = self._segmenter.retain_from()
        if keep is not None:
            self._buffer.drop_before(self._base + keep)


def push_many(jobs: Sequence[tuple[LegEndpointer, npt.ArrayLike, int]]) -> list[list[VadEvent]]:
    """`push` for many legs at once, scoring their windows in shared batches (same results as `push`).

    All endpointers must share one `SileroModel` and appear once. Batch 16 costs about half the CPU
    per window of batch 1.
    """
    if not jobs:
        return []
    model = jobs[0][0]._stream.model
    for leg, _, start in jobs:  # check everything before touching any leg
        if leg._stream.model is not model:
            raise ValueError("all endpointers must share one SileroModel")
        if leg._position is not None and start < leg._position:
            raise TimelineError(f"audio at {start} overlaps pushed audio (up to {leg._position})")
    if len({id(leg) for leg, _, _ in jobs}) != len(jobs):
        raise ValueError("an endpointer may appear only once per push_many call")
    prepared = [(leg, _as_audio(audio), start) for leg, audio, start in jobs]
    before = [leg._begin(samples, start) for leg, samples, start in prepared]
    probs = model.run_streams([(leg._stream, samples) for leg, samples, _ in prepared])
    return [b + leg._consume(p) for b, (leg, _, _), p in zip(before, prepared, probs, strict=True)]


def _as_audio(audio: npt.ArrayLike) -> Audio:
    samples = np.asarray(audio)
    if samples.ndim != 1:
        raise ValueError(f"audio must be 1-D mono, got shape {samples.shape}")
    if samples.size and not np.issubdtype(samples.dtype, np.floating):
        raise TypeError(f"audio must be float samples in [-1, 1], got {samples.dtype}")
    return samples.astype(np.float32, copy=False)
