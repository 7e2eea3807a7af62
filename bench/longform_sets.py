"""Long-form accuracy material: the long clips, pause-stretched copies, concatenations, telephone copies.

Every item is mono int16 at 16 kHz or 8 kHz with one reference text. Derived material is made with numpy
only and is deterministic (seeded):
- `stretch_pauses`: pauses between phrases (found by frame energy) are lengthened to 0.5-1.5 s by tiling
  the pause's own room tone, so a slow talker's mid-sentence pauses exist without re-recording;
- `telephone`: the 8 kHz copy of a 16 kHz clip the way `shared/audio` makes them (300-3400 Hz band,
  G.711 mu-law round trip);
- `concat`: clips joined by short natural pauses (0.6-1.2 s of low noise), one reference.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soxr

from bench.audio import read_wav
from protocol.g711 import ulaw_decode, ulaw_encode

AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"
Int16 = npt.NDArray[np.int16]
_FRAME_S = 0.02


@dataclass(frozen=True, slots=True, eq=False)
class Item:
    """One clip to score: `set` groups items in the report (long, stretched, concat, nl, short)."""

    name: str
    set: str
    lang: str
    rate: int
    samples: Int16
    reference: str

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    @property
    def words(self) -> int:
        return len(self.reference.split())


def rows(manifest: Path) -> list[dict[str, str]]:
    with manifest.open() as f:
        return list(csv.DictReader(f, delimiter="\t"))


def load(row: dict[str, str], set_name: str) -> Item:
    clip = read_wav(AUDIO / row["file"])
    name = Path(row["file"]).stem
    return Item(name, set_name, row["lang"], clip.rate, clip.samples[:, 0].copy(), row["reference_text"])


def pauses(samples: Int16, rate: int, min_pause_s: float = 0.12) -> list[tuple[int, int]]:
    """(start, end) sample spans of inner pauses: frames 30 dB under the loud frames, at least `min_pause_s`."""
    step = int(rate * _FRAME_S)
    n = len(samples) // step
    frames = _band(samples.astype(np.float64), rate)[: n * step].reshape(n, step)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-9)
    quiet = db < np.percentile(db, 95) - 30
    spans: list[tuple[int, int]] = []
    i = 0
    while i < n:
        j = i
        while j < n and quiet[j]:
            j += 1
        if j > i and i > 0 and j < n and (j - i) * _FRAME_S >= min_pause_s:
            spans.append((i * step, j * step))
        i = j + 1 if j == i else j
    return spans


def stretch_pauses(
    samples: Int16,
    rate: int,
    seed: int,
    spans: Sequence[tuple[int, int]] | None = None,
    lo_s: float = 0.5,
    hi_s: float = 1.5,
) -> Int16:
    """Every inner pause lengthened to a random 0.5-1.5 s (never shortened), with its own room tone."""
    rng = np.random.default_rng(seed)
    spans = pauses(samples, rate) if spans is None else spans
    out: list[Int16] = []
    pos = 0
    for start, end in spans:
        out.append(samples[pos:end])
        want = int(rng.uniform(lo_s, hi_s) * rate)
        tone = samples[start:end]
        extra = want - len(tone)
        if extra > 0 and len(tone):
            out.append(np.resize(tone, extra))
        pos = end
    out.append(samples[pos:])
    return np.concatenate(out).astype(np.int16)


def _band(audio: npt.NDArray[np.float64], rate: int) -> npt.NDArray[np.float64]:
    """The 300-3400 Hz band (an FFT brick wall): hum and hiss out, speech in."""
    spectrum = np.fft.rfft(audio)
    freqs = np.fft.rfftfreq(len(audio), 1 / rate)
    spectrum[(freqs < 300) | (freqs > 3400)] = 0
    return np.fft.irfft(spectrum, len(audio))


def telephone(samples16: Int16) -> Int16:
    """An 8 kHz telephone copy of 16 kHz audio: 300-3400 Hz band, G.711 mu-law round trip."""
    audio = soxr.resample(samples16.astype(np.float32) / 32768.0, 16000, 8000)
    band = _band(audio.astype(np.float64), 8000)
    pcm = np.clip(np.round(band * 32768.0), -32768, 32767).astype(np.int16)
    return ulaw_decode(ulaw_encode(pcm))


def concat(items: Sequence[Item], name: str, set_name: str, seed: int) -> Item:
    """Items of one rate and language joined by 0.6-1.2 s pauses of faint noise."""
    rng = np.random.default_rng(seed)
    rate = items[0].rate
    parts: list[Int16] = []
    for k, item in enumerate(items):
        if k:
            gap = int(rng.uniform(0.6, 1.2) * rate)
            parts.append(rng.normal(0, 30, gap).astype(np.int16))
        parts.append(item.samples)
    reference = " ".join(i.reference for i in items)
    return Item(name, set_name, items[0].lang, rate, np.concatenate(parts), reference)
