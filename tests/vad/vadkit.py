"""Shared helpers for the vad tests: the real model (loaded once) and WAV reading."""

from __future__ import annotations

import functools
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soxr

from tests.conftest import AUDIO
from vad import SileroModel

JFK = AUDIO / "real" / "jfk.wav"
CALL_EN = AUDIO / "synthetic" / "synthetic_call_en.wav"
RATE = 16000

Audio = npt.NDArray[np.float32]


@functools.cache
def model() -> SileroModel:
    """The bundled silero model, loaded once for the whole test session."""
    return SileroModel.load()


def read_wav(path: Path) -> tuple[int, npt.NDArray[np.float32]]:
    """Return (rate, samples [frames, channels]) of a 16-bit PCM WAV as float32 in [-1, 1)."""
    with wave.open(str(path)) as w:
        assert w.getsampwidth() == 2
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return w.getframerate(), frames.reshape(-1, w.getnchannels()).astype(np.float32) / 32768.0


@functools.cache
def jfk() -> Audio:
    """JFK's 11 s inaugural excerpt, mono 16 kHz."""
    rate, samples = read_wav(JFK)
    assert rate == RATE
    return samples[:, 0].copy()


@functools.cache
def call_channel(channel: int) -> Audio:
    """One channel (0 = left = agent, 1 = right = caller) of the synthetic call, resampled to 16 kHz."""
    rate, samples = read_wav(CALL_EN)
    return np.asarray(soxr.resample(samples[:, channel], rate, RATE), dtype=np.float32)


def call_turns(channel: str) -> list[tuple[float, float]]:
    """(start_s, end_s) of the synthetic call's turns spoken on `channel` ("left" or "right")."""
    lines = CALL_EN.with_suffix(".tsv").read_text().splitlines()[1:]
    rows = [line.split("\t") for line in lines if line.strip()]
    return [(float(r[0]), float(r[1])) for r in rows if r[2] == channel]
