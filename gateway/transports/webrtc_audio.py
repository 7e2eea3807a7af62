"""WebRTC audio frames to the native stream's interleaved 48 kHz s16le chunks.

Theory of operation: aiortc hands each incoming track's Opus audio to us as decoded `av.AudioFrame`s
(48 kHz, usually 20 ms of interleaved stereo s16). A `FramePcm` per track turns every frame into mono
48 kHz int16 samples, inserting silence where the frame timestamps (RTP clock) jump over lost packets so
that transcript times stay on the sample clock. A `LegInterleaver` holds the samples of every leg and
releases the part that all live legs have in common, interleaved in leg order, as one chunk of at most
`max_chunk_s`. Browsers send continuously, but a leg may stall (a muted sender using DTX) or end
early: when one leg runs more than `max_skew_s` ahead, the lagging leg is padded with silence, and an
ended leg is padded from then on. The interleaver is pure (no I/O, no clock); `FramePcm` only needs
PyAV, which aiortc already depends on.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import numpy.typing as npt

RATE = 48000
"""The sample rate of every chunk (Opus always decodes to 48 kHz)."""

Samples = npt.NDArray[np.int16]


class FramePcm:
    """Converts one track's `av.AudioFrame`s into mono 48 kHz int16 samples, filling timestamp gaps."""

    def __init__(self, max_gap_s: float = 1.0) -> None:
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        self._max_gap = int(max_gap_s * RATE)
        self._next: int | None = None  # expected start of the next frame, in samples at RATE

    def convert(self, frame: av.AudioFrame) -> Samples:
        """The frame's samples (mono), preceded by silence for any packets lost before it."""
        gap = self._gap_before(frame)
        parts = [np.zeros(gap, dtype=np.int16)] if gap else []
        for out in self._resampler.resample(frame):
            parts.append(np.ascontiguousarray(out.to_ndarray().reshape(-1), dtype=np.int16))
        samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        if self._next is not None:
            self._next += frame.samples * RATE // max(frame.sample_rate, 1) + gap
        return samples

    def _gap_before(self, frame: av.AudioFrame) -> int:
        if frame.pts is None or frame.time_base is None:
            return 0
        start = int(frame.pts * Fraction(frame.time_base) * RATE)
        if self._next is None:
            self._next = start
            return 0
        gap = start - self._next
        return gap if 0 < gap <= self._max_gap else 0


class LegInterleaver:
    """Aligns the legs' sample streams and interleaves them into chunks (pure; see the module doc)."""

    def __init__(self, legs: int, *, max_skew_s: float = 0.25, max_chunk_s: float = 1.0) -> None:
        if legs not in (1, 2):
            raise ValueError("legs must be 1 or 2")
        self._bufs: list[list[Samples]] = [[] for _ in range(legs)]
        self._sizes = [0] * legs
        self._ended = [False] * legs
        self._max_skew = int(max_skew_s * RATE)
        self._max_chunk = int(max_chunk_s * RATE)

    @property
    def legs(self) -> int:
        return len(self._bufs)

    @property
    def all_ended(self) -> bool:
        """True once every leg has ended."""
        return all(self._ended)

    def push(self, leg: int, samples: Samples) -> None:
        """Append mono int16 samples to a leg (ignored once the leg has ended)."""
        if not self._ended[leg] and samples.size:
            self._bufs[leg].append(samples)
            self._sizes[leg] += int(samples.size)

    def end(self, leg: int) -> None:
        """The leg's track ended: from now on it reads as silence."""
        self._ended[leg] = True

    def pop(self) -> bytes | None:
        """The next interleaved s16le chunk (at most `max_chunk_s`), or None when nothing is ready."""
        self._pad_lagging()
        live = [size for size, ended in zip(self._sizes, self._ended, strict=True) if not ended]
        ready = min(live) if live else max(self._sizes)
        n = min(ready, self._max_chunk)
        if n <= 0:
            return None
        columns = [self._take(leg, n) for leg in range(self.legs)]
        return np.stack(columns, axis=1).astype("<i2").tobytes()

    def _pad_lagging(self) -> None:
        ahead = max(self._sizes)
        for leg, size in enumerate(self._sizes):
            if ahead - size > (0 if self._ended[leg] else self._max_skew):
                self.push_silence(leg, ahead - size)

    def push_silence(self, leg: int, n: int) -> None:
        """Append `n` samples of silence to a leg, even an ended one (keeps the legs in step)."""
        self._bufs[leg].append(np.zeros(n, dtype=np.int16))
        self._sizes[leg] += n

    def _take(self, leg: int, n: int) -> Samples:
        if self._sizes[leg] < n:  # an ended leg with nothing left: silence
            self.push_silence(leg, n - self._sizes[leg])
        joined = np.concatenate(self._bufs[leg]) if len(self._bufs[leg]) > 1 else self._bufs[leg][0]
        head, rest = joined[:n], joined[n:]
        self._bufs[leg] = [rest] if rest.size else []
        self._sizes[leg] = int(rest.size)
        return head
