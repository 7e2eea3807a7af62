"""Audio frames are checked, decoded, de-interleaved and resampled to 16 kHz per leg."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soxr

from protocol.audio import TARGET_RATE, AudioDecoder, frame_count
from protocol.errors import BadAudio
from protocol.g711 import alaw_encode, ulaw_encode
from protocol.messages import AudioFormat
from tests.conftest import AUDIO

JFK_8K = AUDIO / "real" / "jfk_tel8k.wav"


def read_wav(path: Path) -> tuple[npt.NDArray[np.int16], int]:
    """Mono 16-bit samples and sample rate of a WAV file."""
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        frames = wav.readframes(wav.getnframes())
        return np.frombuffer(frames, dtype="<i2").astype(np.int16), wav.getframerate()


@pytest.fixture(scope="module")
def jfk() -> npt.NDArray[np.int16]:
    """The JFK clip at 8 kHz (11 s of telephone-band speech)."""
    samples, rate = read_wav(JFK_8K)
    assert rate == 8000
    return samples


def stream(decoder: AudioDecoder, data: bytes, chunk: int) -> list[npt.NDArray[np.float32]]:
    """Decode ``data`` in ``chunk``-byte frames, flush, and join the output of every leg."""
    parts = [decoder.decode(data[i : i + chunk]) for i in range(0, len(data), chunk)]
    parts.append(decoder.flush())
    return [np.concatenate([p[leg] for p in parts]) for leg in range(decoder.fmt.channels)]


def correlation(a: npt.NDArray[np.floating], b: npt.NDArray[np.floating]) -> float:
    """Pearson correlation of two equally long signals."""
    return float(np.corrcoef(a, b)[0, 1])


@pytest.mark.parametrize(
    ("fmt", "nbytes", "samples"),
    [
        (AudioFormat("pcm_s16le", 8000, 1), 320, 160),
        (AudioFormat("pcm_s16le", 16000, 2), 1280, 320),
        (AudioFormat("mulaw", 8000, 2), 320, 160),
        (AudioFormat("alaw", 8000, 1), 8000, 8000),
        (AudioFormat("pcm_s16le", 48000, 2), 0, 0),
    ],
)
def test_frame_count(fmt: AudioFormat, nbytes: int, samples: int) -> None:
    """Whole sample frames up to one second give the number of samples per channel."""
    assert frame_count(fmt, nbytes) == samples


@pytest.mark.parametrize(
    ("fmt", "nbytes"),
    [
        (AudioFormat("pcm_s16le", 8000, 1), 321),
        (AudioFormat("pcm_s16le", 8000, 2), 322),
        (AudioFormat("mulaw", 8000, 2), 161),
        (AudioFormat("alaw", 8000, 1), 8001),
        (AudioFormat("pcm_s16le", 16000, 1), 32002),
    ],
)
def test_frame_count_rejects_partial_or_long_frames(fmt: AudioFormat, nbytes: int) -> None:
    """Split sample frames and frames over one second are bad_audio with close code 1007."""
    with pytest.raises(BadAudio) as info:
        frame_count(fmt, nbytes)
    assert (info.value.code, info.value.close_code) == ("bad_audio", 1007)


def test_frame_count_max_seconds() -> None:
    """The per-frame limit is configurable."""
    fmt = AudioFormat("mulaw", 8000, 1)
    assert frame_count(fmt, 800, max_seconds=0.1) == 800
    with pytest.raises(BadAudio):
        frame_count(fmt, 801, max_seconds=0.1)


def test_16k_pcm_passes_through_exactly() -> None:
    """16 kHz PCM is only scaled to [-1, 1): no resampler, no delay, nothing held back."""
    samples = np.array([0, 1, -1, 32767, -32768, 1234], dtype=np.int16)
    decoder = AudioDecoder(AudioFormat("pcm_s16le", 16000, 1))
    (leg,) = decoder.decode(samples.astype("<i2").tobytes())
    assert leg.dtype == np.float32
    assert np.array_equal(leg, samples / np.float32(32768))
    assert [len(tail) for tail in decoder.flush()] == [0]


def test_streaming_resampler_matches_one_shot(jfk: npt.NDArray[np.int16]) -> None:
    """Resampling 20 ms frames gives the same signal as resampling the whole clip at once."""
    decoder = AudioDecoder(AudioFormat("pcm_s16le", 8000, 1))
    (streamed,) = stream(decoder, jfk.astype("<i2").tobytes(), chunk=320)
    reference = soxr.resample(jfk.astype(np.float32) / 32768, 8000, TARGET_RATE)
    assert len(streamed) == len(reference) == 2 * len(jfk)
    assert np.max(np.abs(streamed - reference)) < 1e-5


def test_real_mulaw_clip_decodes_to_16k(jfk: npt.NDArray[np.int16]) -> None:
    """A real 8 kHz clip sent as mu-law in 20 ms frames comes out as the 16 kHz original."""
    decoder = AudioDecoder(AudioFormat("mulaw", 8000, 1))
    (decoded,) = stream(decoder, ulaw_encode(jfk), chunk=160)
    reference = soxr.resample(jfk.astype(np.float32) / 32768, 8000, TARGET_RATE)
    assert decoded.dtype == np.float32
    assert len(decoded) == len(reference)
    assert correlation(decoded, reference) > 0.999
    assert np.max(np.abs(decoded)) < 1.0


@pytest.mark.parametrize(("encoding", "encode"), [("mulaw", ulaw_encode), ("alaw", alaw_encode)])
def test_two_channels_are_deinterleaved(jfk: npt.NDArray[np.int16], encoding: str, encode: object) -> None:
    """Channel 0 becomes leg 0 and channel 1 leg 1, each resampled on its own."""
    assert callable(encode)
    other = jfk[::-1].copy()  # same spectrum, different signal
    data = encode(np.stack([jfk, other], axis=1))
    decoder = AudioDecoder(AudioFormat(encoding, 8000, 2))  # type: ignore[arg-type]
    first, second = stream(decoder, data, chunk=320)
    ref_first = soxr.resample(jfk.astype(np.float32) / 32768, 8000, TARGET_RATE)
    ref_second = soxr.resample(other.astype(np.float32) / 32768, 8000, TARGET_RATE)
    assert correlation(first, ref_first) > 0.99
    assert correlation(second, ref_second) > 0.99
    assert abs(correlation(first, ref_second)) < 0.2


@pytest.mark.parametrize("rate", [24000, 48000])
def test_high_rates_resample_to_16k(rate: int) -> None:
    """A 1 kHz tone at 24 or 48 kHz comes out as a 1 kHz tone at 16 kHz of the same length."""
    t = np.arange(rate) / rate
    tone = (0.5 * 32767 * np.sin(2 * np.pi * 1000 * t)).astype("<i2")
    decoder = AudioDecoder(AudioFormat("pcm_s16le", rate, 1))
    (out,) = stream(decoder, tone.tobytes(), chunk=rate // 50 * 2)
    assert len(out) == TARGET_RATE
    spectrum = np.abs(np.fft.rfft(out))
    assert int(np.argmax(spectrum)) == 1000  # one bin per Hz for a 1 s signal


def test_reset_starts_a_fresh_stream(jfk: npt.NDArray[np.int16]) -> None:
    """After reset() the decoder behaves exactly like a new one (old audio does not bleed in)."""
    fmt = AudioFormat("mulaw", 8000, 1)
    data = ulaw_encode(jfk[:8000])
    used = AudioDecoder(fmt)
    used.decode(ulaw_encode(jfk[8000:16000]))
    used.reset()
    assert np.array_equal(stream(used, data, 160)[0], stream(AudioDecoder(fmt), data, 160)[0])


def test_flush_makes_the_decoder_reusable(jfk: npt.NDArray[np.int16]) -> None:
    """flush() returns the held-back tail and the next stretch decodes like a fresh stream."""
    fmt = AudioFormat("pcm_s16le", 8000, 1)
    data = jfk[:4000].astype("<i2").tobytes()
    decoder = AudioDecoder(fmt)
    first = stream(decoder, data, 320)[0]
    second = stream(decoder, data, 320)[0]
    assert len(first) == 8000
    assert np.array_equal(first, second)


def test_bad_frame_leaves_state_untouched(jfk: npt.NDArray[np.int16]) -> None:
    """A rejected frame raises BadAudio and does not disturb the audio around it."""
    fmt = AudioFormat("pcm_s16le", 8000, 1)
    data = jfk[:4000].astype("<i2").tobytes()
    clean = stream(AudioDecoder(fmt), data, 320)[0]
    decoder = AudioDecoder(fmt)
    parts = [decoder.decode(data[:320])]
    with pytest.raises(BadAudio):
        decoder.decode(b"\x00" * 321)
    parts += [decoder.decode(data[i : i + 320]) for i in range(320, len(data), 320)] + [decoder.flush()]
    assert np.array_equal(np.concatenate([p[0] for p in parts]), clean)
