"""Reading WAV files and turning samples into wire audio (PCM16, mu-law, A-law)."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from protocol.g711 import alaw_encode, ulaw_encode


@dataclass(frozen=True, slots=True, eq=False)
class Clip:
    """Interleaved int16 samples, shape (frames, channels)."""

    samples: npt.NDArray[np.int16]
    rate: int

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


def read_wav(path: str | Path) -> Clip:
    """A 16-bit PCM WAV file (any rate, 1 or 2 channels)."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV files are supported")
        raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return Clip(raw.reshape(-1, w.getnchannels()).astype(np.int16), w.getframerate())


def encode(samples: npt.NDArray[np.int16], encoding: str) -> bytes:
    """Interleave and encode (frames, channels) int16 samples for the wire."""
    flat = np.ascontiguousarray(samples).reshape(-1)
    if encoding == "pcm_s16le":
        return flat.astype("<i2").tobytes()
    if encoding == "mulaw":
        return ulaw_encode(flat)
    if encoding == "alaw":
        return alaw_encode(flat)
    raise ValueError(f"unknown encoding {encoding!r}")


def silence(seconds: float, rate: int, channels: int) -> Clip:
    return Clip(np.zeros((int(seconds * rate), channels), dtype=np.int16), rate)


def concat(*clips: Clip) -> Clip:
    return Clip(np.concatenate([c.samples for c in clips]), clips[0].rate)
