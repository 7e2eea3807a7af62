"""Helpers of the JSON media-stream adapters: a track interleaver and a reorder buffer.

Theory of operation (``TrackMixer``). Twilio and Telnyx send one ``media`` event per track;
when both tracks stream, the gateway wants one 2-channel stream. Each event carries a
``timestamp`` (milliseconds since the stream started), which places its samples on a shared
sample timeline: ``position = timestamp * rate / 1000``. Each track keeps the samples it has
received beyond the emitted point ``E`` (both tracks are emitted up to sample ``E``):

* a chunk that starts where the track's buffered audio ends (within ``tolerance_ms``, the
  jitter of millisecond timestamps) is appended as is;
* a chunk that starts later is preceded by silence filling the gap (a lost packet);
* a chunk that starts earlier has its overlapping head dropped (a duplicate or late packet);
* a jump of more than ``max_jump_s`` either way is taken as a timestamp discontinuity: the
  track is re-based so that the chunk follows on directly.

After every push, the samples both tracks have are interleaved and returned. If one track
stalls (no packets while the other streams), once the other is ``max_skew_s`` ahead the
stalled track is filled with silence, so buffering stays bounded and the lag stays small;
its late packets are then trimmed as overlap. ``flush()`` pads the shorter track and returns
the rest. A push without a timestamp is appended as is.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

__all__ = ["ReorderBuffer", "TrackMixer"]

T = TypeVar("T")


@dataclass
class _Track:
    pending: bytearray = field(default_factory=bytearray)
    shift: int = 0  # samples subtracted from timestamp positions after a discontinuity


class TrackMixer:
    """Interleave two mono tracks into one 2-channel stream aligned by their timestamps."""

    def __init__(
        self,
        tracks: tuple[str, str],
        *,
        sample_rate: int,
        silence: bytes,
        tolerance_ms: int = 4,
        max_skew_s: float = 0.5,
        max_jump_s: float = 2.0,
    ) -> None:
        self._tracks = {name: _Track() for name in tracks}
        self._order = tracks
        self._rate = sample_rate
        self._silence = silence  # one sample of silence; its length is the sample width
        self._width = len(silence)
        self._tolerance = sample_rate * tolerance_ms // 1000
        self._max_skew = int(sample_rate * max_skew_s)
        self._max_jump = int(sample_rate * max_jump_s)
        self._emitted = 0

    def push(self, track: str, timestamp_ms: int | None, data: bytes) -> bytes:
        """Add ``data`` (whole samples) of ``track``; return interleaved frames now complete."""
        state = self._tracks[track]
        samples = len(data) // self._width
        if timestamp_ms is not None:
            end = self._emitted + len(state.pending) // self._width
            offset = timestamp_ms * self._rate // 1000 - state.shift - end
            if abs(offset) > self._max_jump:
                state.shift += offset
            elif offset > self._tolerance:
                state.pending += self._silence * offset
            elif offset < -self._tolerance:
                cut = min(-offset, samples)
                data, samples = data[cut * self._width :], samples - cut
        state.pending += data
        return self._drain()

    def flush(self) -> bytes:
        """Pad the shorter track with silence and return everything still buffered."""
        longest = max(len(t.pending) for t in self._tracks.values()) // self._width
        return self._take(longest)

    def _drain(self) -> bytes:
        first, second = (len(self._tracks[n].pending) // self._width for n in self._order)
        ready = min(first, second)
        ready = max(ready, max(first, second) - self._max_skew)
        return self._take(ready) if ready > 0 else b""

    def _take(self, count: int) -> bytes:
        """Interleave ``count`` samples of each track, padding a short one with silence."""
        nbytes = count * self._width
        columns = []
        for name in self._order:
            state = self._tracks[name]
            chunk = bytes(state.pending[:nbytes])
            del state.pending[:nbytes]
            chunk += self._silence * (count - len(chunk) // self._width)
            columns.append(np.frombuffer(chunk, dtype=np.uint8).reshape(count, self._width))
        self._emitted += count
        return np.hstack(columns).tobytes()


class ReorderBuffer(Generic[T]):
    """Release items in sequence-number order, waiting at most ``window`` items for a gap.

    Items older than the next expected number (after a gap was given up) are dropped and
    counted in ``dropped``; duplicates too.
    """

    def __init__(self, window: int, *, first: int = 1) -> None:
        self._window = window
        self._next = first
        self._heap: list[tuple[int, int, T]] = []
        self._seen: set[int] = set()
        self._counter = 0
        self.dropped = 0

    def push(self, seq: int, item: T) -> list[T]:
        """Add ``item`` numbered ``seq``; return the items now releasable, in order."""
        if seq < self._next or seq in self._seen:
            self.dropped += 1
            return []
        self._seen.add(seq)
        self._counter += 1
        heapq.heappush(self._heap, (seq, self._counter, item))
        out: list[T] = []
        while self._heap and (self._heap[0][0] == self._next or len(self._heap) > self._window):
            out.append(self._pop())
        return out

    def flush(self) -> list[T]:
        """Release everything buffered, in order, skipping gaps."""
        return [self._pop() for _ in range(len(self._heap))]

    def _pop(self) -> T:
        seq, _, item = heapq.heappop(self._heap)
        self._seen.discard(seq)
        self._next = seq + 1
        return item
