"""The encoder's log-mel front end (asr.whisper.padded_mel): the audio's own frames, the padding filled."""

from __future__ import annotations

import numpy as np
import pytest
from faster_whisper.feature_extractor import FeatureExtractor

from asr.whisper import padded_mel
from bench.audio import read_wav
from tests.conftest import AUDIO


@pytest.mark.parametrize(
    ("seconds", "window_s"), [(0.0, 4.0), (0.01, 4.0), (1.3, 4.0), (4.3, 8.0), (7.99, 8.0), (8.0, 8.0), (12.0, 8.0)]
)
def test_padded_mel_equals_whisper_on_the_whole_padded_window(seconds: float, window_s: float) -> None:
    """Real speech of any length against any window (shorter, equal, longer): the same log-mel as
    faster-whisper's extractor run on the audio zero-padded (or cut) to the window."""
    extract = FeatureExtractor(feature_size=80)
    clip = read_wav(AUDIO / "real" / "jfk.wav")  # 16 kHz mono
    speech = clip.samples[:, 0].astype(np.float32) / 32768.0
    audio = np.resize(speech, int(seconds * 16000)).astype(np.float32)
    window = int(window_s * 16000)
    whole = np.zeros(window, dtype=np.float32)
    whole[: min(len(audio), window)] = audio[:window]
    expected = extract(whole, padding=0)[:, : window // 160]
    got = padded_mel(extract, audio, window)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-6)
