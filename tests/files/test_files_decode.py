"""Decoding uploads with PyAV: every supported format to 16 kHz legs, and a typed error for every bad file."""

from __future__ import annotations

import numpy as np
import pytest

from files.decode import RawFormat, decode, sniff
from files.errors import CorruptAudio, EmptyFile, FileError, NoAudio, TooLong, TruncatedAudio, UnsupportedFormat
from protocol.g711 import alaw_encode, ulaw_encode
from tests.conftest import AUDIO
from tests.files.media import encode, read_pcm

JFK = AUDIO / "real" / "jfk.wav"
STEREO = AUDIO / "synthetic" / "synthetic_call_en.wav"


@pytest.fixture(scope="module")
def jfk() -> tuple[np.ndarray, int]:
    return read_pcm(JFK)


@pytest.mark.parametrize("ext", ["wav", "mp3", "ogg", "flac", "m4a"])
def test_formats_decode_to_16k(jfk: tuple[np.ndarray, int], ext: str) -> None:
    """WAV, MP3, OGG/Opus, FLAC and M4A/AAC of the 11 s clip decode to one 16 kHz leg of about 11 s."""
    audio = decode(encode(*jfk, ext), f"clip.{ext}")
    assert len(audio.legs) == 1 and audio.legs[0].dtype == np.float32
    assert abs(audio.duration - 11.0) < 0.1
    assert 0.05 < float(np.abs(audio.legs[0]).max()) <= 1.0


def test_wav_decodes_to_the_original_samples(jfk: tuple[np.ndarray, int]) -> None:
    """A 16 kHz WAV decodes to exactly its samples (scaled to float), so the model hears the file itself."""
    audio = decode(JFK.read_bytes(), "jfk.wav")
    np.testing.assert_array_equal(audio.legs[0], jfk[0][0].astype(np.float32) / 32768.0)


def test_stereo_gives_two_legs_unless_mono_is_asked() -> None:
    """A stereo 8 kHz call recording decodes to two 16 kHz legs, or one mixed leg with `mono`."""
    data = STEREO.read_bytes()
    two = decode(data, "call.wav")
    assert len(two.legs) == 2 and two.source_rate == 8000 and abs(two.duration - 25.93) < 0.01
    assert not np.allclose(two.legs[0], two.legs[1])
    assert len(decode(data, "call.wav", mono=True).legs) == 1


@pytest.mark.parametrize(("encoding", "encoder"), [("mulaw", ulaw_encode), ("alaw", alaw_encode)])
def test_raw_g711_by_declaration_or_extension(jfk: tuple[np.ndarray, int], encoding: str, encoder: object) -> None:
    """Headerless G.711 decodes when declared (form field) or named by its extension (.ul/.al), at 8 kHz."""
    import soxr

    pcm8k = soxr.resample(jfk[0][0].astype(np.float32) / 32768, 16000, 8000)
    codes = encoder((pcm8k * 32767).astype(np.int16))  # type: ignore[operator]
    declared = decode(codes, "voicemail", RawFormat(encoding, 8000, 1))
    by_ext = decode(codes, "voicemail." + ("ul" if encoding == "mulaw" else "al"))
    assert abs(declared.duration - 11.0) < 0.01 and np.array_equal(declared.legs[0], by_ext.legs[0])


def test_content_decides_not_the_extension() -> None:
    """A WAV named .mp3 decodes as the WAV it is (the extension only has to be a supported one)."""
    assert decode(JFK.read_bytes(), "clip.mp3").source_format == "wav"


BAD = {
    "empty": (b"", "a.wav", EmptyFile, 400),
    "header only": (JFK.read_bytes()[:44], "a.wav", NoAudio, 400),
    "truncated": (JFK.read_bytes()[: len(JFK.read_bytes()) // 2], "a.wav", TruncatedAudio, 400),
    "corrupt": (b"RIFF\x00\x00\x00\x00WAVE" + bytes(range(256)) * 20, "a.wav", CorruptAudio, 400),
    "not audio": (b"%PDF-1.4 hello" * 100, "a.wav", UnsupportedFormat, 415),
    "wrong extension": (JFK.read_bytes(), "a.txt", UnsupportedFormat, 415),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_files_raise_typed_errors(case: str) -> None:
    """Empty, header-only, truncated, corrupt, non-audio and wrongly named files each raise their typed error."""
    data, name, error, status = BAD[case]
    with pytest.raises(error) as info:
        decode(data, name)
    assert isinstance(info.value, FileError) and info.value.status == status


def test_a_file_longer_than_the_limit_stops_decoding() -> None:
    """Audio past `max_seconds` raises `too_long` (413) instead of decoding on (a small file can hold hours)."""
    with pytest.raises(TooLong) as info:
        decode(JFK.read_bytes(), "a.wav", max_seconds=5.0)
    assert info.value.status == 413


def test_sniff_never_hands_unknown_content_to_ffmpeg() -> None:
    """Only listed containers are opened (an HLS playlist, which FFmpeg would follow to other URLs, is refused)."""
    with pytest.raises(UnsupportedFormat):
        sniff(b"#EXTM3U\n#EXT-X-VERSION:3\nfile:///etc/passwd\n")
    assert sniff(b"OggS\x00") == "ogg" and sniff(b"fLaC\x00") == "flac" and sniff(b"\x00\x00\x00\x20ftypM4A ") == "mov"
