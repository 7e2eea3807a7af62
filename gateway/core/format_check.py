"""Does the audio fit its declared format? (pure): a hint for the client instead of zero finals.

Two symptoms, each reported once per connection as a `warning` (`format_mismatch`, docs/protocol-
extensions.md), never as an error (the call goes on: a mismatch is likely, not certain):

* **rate**: a media server streams in real time, so audio time follows wall time. Audio of 8 kHz
  declared as 16 or 48 kHz arrives at 1/2 or 1/6 of real time. After `RATE_AFTER_S` of wall time of
  continuous sending (no gap over `MAX_GAP_S`), a ratio under `SLOW_RATIO` is reported with the rate
  the audio more likely has. (Faster than real time is normal: file uploads, catching up.)
* **encoding**: PCM declared as mu-law (or mu-law/A-law declared as PCM) decodes to loud white-ish noise:
  the spectral flatness of loud speech is far below that of noise (measured on the shared clips: median
  flatness <= 0.02 for correctly declared speech, 0.14-0.5 for PCM as mu-law/A-law and mu-law as PCM).
  When the median over the first `WINDOWS` loud windows exceeds `NOISE_FLATNESS`, it is reported.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from protocol.g711 import alaw_decode, ulaw_decode

RATE_AFTER_S = 5.0
MAX_GAP_S = 1.0
SLOW_RATIO = 0.7
WINDOW = 4096  # samples per spectral window (0.25-0.5 s)
WINDOWS = 10
LOUD_RMS = 0.03  # about -30 dBFS
NOISE_FLATNESS = 0.08
_RATES = (8000, 16000, 24000, 48000)


def spectral_flatness(x: npt.NDArray[np.float32]) -> float:
    """Geometric over arithmetic mean of the power spectrum (white noise ~0.56, voiced speech < 0.1)."""
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2 + 1e-12
    return float(np.exp(np.mean(np.log(power))) / np.mean(power))


class FormatCheck:
    """Feed each audio frame (`feed`); it returns a warning text at most once per symptom."""

    def __init__(self, sample_rate: int, encoding: str) -> None:
        self.sample_rate = sample_rate
        self.encoding = encoding
        self._first: float | None = None
        self._last: float | None = None
        self._audio_s = 0.0
        self._continuous = True
        self._rate_done = False
        self._buffer: list[npt.NDArray[np.float32]] = []
        self._buffered = 0
        self._flatness: list[float] = []
        self._encoding_done = False

    def feed(self, first_leg: npt.NDArray[np.float32], seconds: float, now: float) -> list[str]:
        """One frame: its first channel as float samples at the declared rate, its duration, wall time."""
        return [w for w in (self._rate(seconds, now), self._spectrum(first_leg)) if w]

    def _rate(self, seconds: float, now: float) -> str | None:
        if self._rate_done:
            return None
        if self._first is None:
            self._first = now
        elif self._last is not None and now - self._last > MAX_GAP_S:
            self._continuous = False
        self._last = now
        self._audio_s += seconds
        wall = now - self._first
        if wall < RATE_AFTER_S:
            return None
        self._rate_done = True
        ratio = self._audio_s / wall
        if not self._continuous or ratio >= SLOW_RATIO:
            return None
        likely = min(_RATES, key=lambda r: abs(r - self.sample_rate * ratio))
        return (
            f"audio arrives at {ratio:.2f}x real time: start.audio.sample_rate is {self.sample_rate}, "
            f"the audio is more likely {likely} Hz"
        )

    def _spectrum(self, samples: npt.NDArray[np.float32]) -> str | None:
        if self._encoding_done:
            return None
        self._buffer.append(samples)
        self._buffered += len(samples)
        if self._buffered < WINDOW:
            return None
        window = np.concatenate(self._buffer)[:WINDOW]
        self._buffer, self._buffered = [], 0
        if float(np.sqrt(np.mean(window**2))) < LOUD_RMS:
            return None  # silence or quiet noise says nothing about the encoding
        self._flatness.append(spectral_flatness(window))
        if len(self._flatness) < WINDOWS:
            return None
        self._encoding_done = True
        if float(np.median(self._flatness)) <= NOISE_FLATNESS:
            return None
        return (
            f"the audio sounds like noise when decoded as {self.encoding}: check start.audio.encoding "
            "(pcm_s16le, mulaw or alaw)"
        )


def first_channel(encoding: str, channels: int, data: bytes) -> npt.NDArray[np.float32]:
    """The first channel of one frame as float samples at its own rate (as the declared format says)."""
    if encoding == "mulaw":
        pcm = ulaw_decode(data)
    elif encoding == "alaw":
        pcm = alaw_decode(data)
    else:
        pcm = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2")
    return pcm[::channels].astype(np.float32) / np.float32(32768)
