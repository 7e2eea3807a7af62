"""Audio frames in the declared format -> 16 kHz float32 mono, one array per leg.

Theory of operation: ``frame_count`` checks a frame's length without touching its samples
(whole multi-channel sample frames, at most ``max_seconds``), so the gateway can count audio it
drops before consent without decoding it. ``AudioDecoder`` then, per frame: maps the bytes to
int16 (G.711 lookup table or little-endian PCM), scales to float32 in [-1, 1), de-interleaves
the channels (channel ``i`` is leg ``i``) and resamples every leg to ``TARGET_RATE`` with its own
streaming ``soxr.ResampleStream``. A stream resampler keeps the filter state between calls,
so 20 ms frames give exactly the output of resampling the whole stream at once: no clicks or
gaps at frame edges.

Resampler delay: soxr compensates its filter delay, so output sample ``k`` of a leg is the
signal at time ``k / 16000`` s (timelines stay exact), but it *holds back* the newest output
until it has seen enough input: about 20-30 ms for 8 kHz input and about 12 ms for 24 and
48 kHz input (HQ quality). ``flush()`` returns that held-back tail at the end of a continuous
stretch of audio; ``reset()`` discards it (after a gap, e.g. a consent pause, where the old and
new audio must not be filtered together). Counting time: use the input samples
(``frame_count``), not the output lengths, which lag by that delay until flushed.
16 kHz input passes straight through without a resampler and without delay.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr

from protocol.errors import BadAudio, InternalError
from protocol.g711 import alaw_decode, ulaw_decode
from protocol.messages import AudioFormat

__all__ = ["TARGET_RATE", "AudioDecoder", "FloatArray", "frame_count"]

TARGET_RATE = 16000
"""Sample rate (Hz) of every decoded leg."""

FloatArray = npt.NDArray[np.float32]


def frame_count(fmt: AudioFormat, nbytes: int, max_seconds: float = 1.0) -> int:
    """Number of samples per channel in a frame of ``nbytes`` bytes of ``fmt`` audio.

    Raises BadAudio if ``nbytes`` is not a whole number of sample frames (all channels) or
    holds more than ``max_seconds`` of audio. Does not look at the samples.
    """
    if nbytes < 0:
        raise InternalError("frame_count: negative byte count")
    samples, remainder = divmod(nbytes, fmt.frame_bytes)
    if remainder:
        raise BadAudio(f"audio frame of {nbytes} bytes is not a whole number of {fmt.frame_bytes}-byte sample frames")
    if samples > max_seconds * fmt.sample_rate:
        raise BadAudio(f"audio frame longer than {max_seconds:g} s")
    return samples


def _to_int16(fmt: AudioFormat, data: bytes) -> npt.NDArray[np.int16]:
    if fmt.encoding == "mulaw":
        return ulaw_decode(data)
    if fmt.encoding == "alaw":
        return alaw_decode(data)
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


class AudioDecoder:
    """Stateful decoder of one stream: bytes of ``fmt`` -> one 16 kHz float32 array per leg.

    ``max_seconds`` bounds a single frame (see ``frame_count``). Not thread-safe; one per call.
    """

    def __init__(self, fmt: AudioFormat, max_seconds: float = 1.0) -> None:
        self.fmt = fmt
        self.max_seconds = max_seconds
        self._resamplers: list[soxr.ResampleStream] | None = None
        if fmt.sample_rate != TARGET_RATE:
            self._resamplers = [
                soxr.ResampleStream(fmt.sample_rate, TARGET_RATE, 1, dtype="float32") for _ in range(fmt.channels)
            ]

    def decode(self, data: bytes) -> list[FloatArray]:
        """Decode one frame; returns one float32 array per leg, in channel order.

        Raises BadAudio (see ``frame_count``); the resampler state is untouched in that case.
        Output lengths lag the input by the resampler delay (see the module docstring).
        """
        samples = frame_count(self.fmt, len(data), self.max_seconds)
        pcm = _to_int16(self.fmt, data).reshape(samples, self.fmt.channels)
        scaled = pcm.astype(np.float32) / np.float32(32768)
        legs = [np.ascontiguousarray(scaled[:, i]) for i in range(self.fmt.channels)]
        if self._resamplers is None:
            return legs
        return [stream.resample_chunk(leg) for stream, leg in zip(self._resamplers, legs, strict=True)]

    def flush(self) -> list[FloatArray]:
        """Return the held-back output of every leg and start a fresh stretch of audio."""
        if self._resamplers is None:
            return [np.zeros(0, dtype=np.float32) for _ in range(self.fmt.channels)]
        empty = np.zeros(0, dtype=np.float32)
        tails = [stream.resample_chunk(empty, last=True) for stream in self._resamplers]
        self.reset()
        return tails

    def reset(self) -> None:
        """Discard the resampler state (and its held-back output), e.g. after a gap in the audio."""
        for stream in self._resamplers or ():
            stream.clear()
