"""The pure audio plumbing of WebRTC ingest: frames to mono PCM, and legs interleaved in step."""

from __future__ import annotations

import fractions

import numpy as np
import pytest
from av import AudioFrame

from gateway.transports.webrtc_audio import RATE, FramePcm, LegInterleaver


def _frame(samples: np.ndarray, pts: int, layout: str = "stereo") -> AudioFrame:
    frame = AudioFrame.from_ndarray(samples.reshape(1, -1).astype(np.int16), format="s16", layout=layout)
    frame.sample_rate = RATE
    frame.pts = pts
    frame.time_base = fractions.Fraction(1, RATE)
    return frame


def _pcm(chunk: bytes, legs: int) -> np.ndarray:
    return np.frombuffer(chunk, "<i2").reshape(-1, legs)


def test_stereo_frames_become_mono_and_lost_packets_become_silence() -> None:
    """A decoded stereo frame turns into one mono sample per frame, and a timestamp jump is filled with silence."""
    pcm = FramePcm()
    tone = np.full(960 * 2, 1000, np.int16)  # interleaved L/R, both 1000
    first = pcm.convert(_frame(tone, pts=0))
    after_loss = pcm.convert(_frame(tone, pts=3 * 960))  # frames 1 and 2 never arrived
    assert first.shape == (960,) and np.all(np.abs(first - 1000) <= 1)
    assert after_loss.shape == (3 * 960,)
    assert not after_loss[:1920].any() and np.all(np.abs(after_loss[1920:] - 1000) <= 1)


def test_one_leg_passes_through_in_chunks_of_at_most_a_second() -> None:
    """A single leg's samples come out unchanged, in order, never more than one second per chunk."""
    mix = LegInterleaver(1)
    samples = np.arange(RATE * 2 + 500, dtype=np.int64).astype(np.int16)
    mix.push(0, samples)
    chunks = []
    while (chunk := mix.pop()) is not None:
        chunks.append(_pcm(chunk, 1)[:, 0])
    assert [len(c) for c in chunks] == [RATE, RATE, 500]
    assert np.array_equal(np.concatenate(chunks), samples)


def test_two_legs_are_interleaved_only_where_both_have_audio() -> None:
    """Two legs come out as interleaved frames (leg 0 first), released only as far as both legs have audio."""
    mix = LegInterleaver(2)
    mix.push(0, np.full(960, 1, np.int16))
    assert mix.pop() is None  # leg 1 has nothing yet (and is within the allowed skew)
    mix.push(1, np.full(480, 2, np.int16))
    out = _pcm(mix.pop() or b"", 2)
    assert out.shape == (480, 2) and np.all(out[:, 0] == 1) and np.all(out[:, 1] == 2)
    mix.push(1, np.full(480, 3, np.int16))
    out = _pcm(mix.pop() or b"", 2)
    assert out.shape == (480, 2) and np.all(out[:, 1] == 3)


def test_a_stalled_or_ended_leg_is_padded_with_silence() -> None:
    """A leg that falls too far behind, or ends, reads as silence so the other leg keeps flowing in step."""
    mix = LegInterleaver(2, max_skew_s=0.1)
    mix.push(0, np.full(RATE // 5, 7, np.int16))  # 200 ms on leg 0, nothing on leg 1
    out = _pcm(mix.pop() or b"", 2)
    assert out.shape == (RATE // 5, 2) and np.all(out[:, 0] == 7) and not out[:, 1].any()
    mix.end(0)
    mix.push(1, np.full(100, 5, np.int16))
    out = _pcm(mix.pop() or b"", 2)
    assert out.shape == (100, 2) and not out[:, 0].any() and np.all(out[:, 1] == 5)
    assert not mix.all_ended
    mix.end(1)
    assert mix.all_ended and mix.pop() is None


def test_only_one_or_two_legs() -> None:
    """The interleaver serves the protocol's channel counts only."""
    with pytest.raises(ValueError, match="legs"):
        LegInterleaver(3)
