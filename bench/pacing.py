"""Real-time replay: audio cut into 20 ms frames and sent on the monotonic clock, with send jitter measured.

Theory of operation: frame k of a stream is due at t0 + k * frame_s, t0 being the moment the first frame is
handed over. The sender sleeps until each frame is due (never catching up by bunching: a late frame is sent
at once and the next is still due on the original grid), sends it, and records the time the send returned
against the audio sent so far. That record is what every latency is measured from, and `actual - due` is
the send jitter the report shows next to the latencies, so a loaded client machine is visible rather than
silently inflating the numbers. After the clip, `tail_s` of silence follows at the same pace, so systems
that finalise on trailing silence get the same chance as ones that flush on end-of-stream.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soxr

from bench.trace import LegTrace

Frame = tuple[bytes, float]
"""A payload and the audio seconds sent once it is through (stream time, tail included)."""


@dataclass(frozen=True, slots=True)
class Pacing:
    """How audio is replayed."""

    frame_ms: int = 20
    """Frame length; 20 ms is what media servers send."""
    tail_s: float = 3.0
    """Silence streamed after the clip before end-of-stream. Must exceed every system's endpoint silence."""
    pace: float = 1.0
    """1 = real time; 2 = twice as fast. The latency definitions assume real time."""

    def __post_init__(self) -> None:
        if not 5 <= self.frame_ms <= 1000 or self.tail_s < 0 or self.pace <= 0:
            raise ValueError("frame_ms must be 5..1000, tail_s >= 0 and pace > 0")


def pcm_frames(samples: npt.NDArray[np.int16], rate: int, pacing: Pacing) -> list[Frame]:
    """Interleaved little-endian PCM16 frames of (frames, channels) samples, then the silent tail."""
    channels = samples.shape[1]
    tail = np.zeros((round(pacing.tail_s * rate), channels), dtype=np.int16)
    audio = np.concatenate([samples, tail])
    step = max(1, rate * pacing.frame_ms // 1000)
    return [
        (np.ascontiguousarray(audio[i : i + step]).astype("<i2").tobytes(), min(len(audio), i + step) / rate)
        for i in range(0, len(audio), step)
    ]


def mono_16k(samples: npt.NDArray[np.int16], rate: int, channel: int) -> npt.NDArray[np.int16]:
    """One channel as 16 kHz int16 (what the peers take)."""
    audio = samples[:, channel].astype(np.float32) / 32768.0
    if rate != 16000:
        audio = soxr.resample(audio, rate, 16000).astype(np.float32)
    return np.clip(np.round(audio * 32768.0), -32768, 32767).astype(np.int16)


async def replay(
    frames: Sequence[Frame],
    send: Callable[[bytes], Awaitable[None]],
    traces: Sequence[LegTrace],
    pacing: Pacing,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Send `frames` at the pace, recording each send in every trace of `traces` (the legs it carries).

    The send jitter is recorded once per stream, in the first trace."""
    frame_s = pacing.frame_ms / 1000 / pacing.pace
    t0 = clock()
    for k, (payload, audio_s) in enumerate(frames):
        due = t0 + k * frame_s
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(payload)
        now = clock()
        for i, trace in enumerate(traces):
            trace.record_send(audio_s, now, due if i == 0 else None)
