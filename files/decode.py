"""Decoding an uploaded file, in memory, to 16 kHz float32 legs (one per channel) with PyAV (FFmpeg).

Why PyAV: it bundles FFmpeg (already installed for aiortc), so WAV, MP3, OGG/Opus, FLAC, M4A/AAC and WebM
all decode from one well-kept library, from a `BytesIO` (the upload never touches the disk), with FFmpeg's
resampler to 16 kHz, the same path faster-whisper's own `decode_audio` takes. soundfile (libsndfile) has
no AAC/M4A. Raw G.711 has no container to probe: it is declared (extension `.ul`/`.al` or the form field
`encoding`) and expanded with `protocol.g711`.

The container format is chosen from the content's magic bytes among a fixed list of demuxers; FFmpeg's
own probing (which would also accept playlists and other formats that open further URLs) is never used.
The extension only has to name a supported format: the content decides how it is read.
"""

from __future__ import annotations

import contextlib
import io
import wave
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import av
import numpy as np

from asr.types import SAMPLE_RATE, Audio
from files.errors import CorruptAudio, EmptyFile, NoAudio, TooLong, TruncatedAudio, UnsupportedFormat
from protocol.g711 import alaw_decode, ulaw_decode

EXTENSIONS = frozenset(
    {
        "wav",
        "mp3",
        "mpga",
        "mpeg",
        "ogg",
        "oga",
        "opus",
        "flac",
        "m4a",
        "mp4",
        "aac",
        "webm",
        "ul",
        "ulaw",
        "mulaw",
        "al",
        "alaw",
    }
)
RAW_EXTENSIONS = {"ul": "mulaw", "ulaw": "mulaw", "mulaw": "mulaw", "al": "alaw", "alaw": "alaw"}
RAW_ENCODINGS = ("mulaw", "alaw")
_HEADER_DURATION = frozenset({"flac", "mov,mp4,m4a,3gp,3g2,mj2"})
"""Containers whose header states the length FFmpeg reports, so a shortfall means the file was cut off (for
WAV FFmpeg trusts the file size; its header is read with the standard library's `wave`)."""


@dataclass(frozen=True, slots=True)
class RawFormat:
    """A declared headerless format: G.711 `mulaw` or `alaw`, its sample rate and interleaved channels."""

    encoding: str
    sample_rate: int = 8000
    channels: int = 1


@dataclass(frozen=True, slots=True)
class DecodedAudio:
    """The decoded legs (16 kHz float32 mono each, one per source channel) and what the source was."""

    legs: tuple[Audio, ...]
    source_format: str
    source_rate: int

    @property
    def duration(self) -> float:
        return max((len(leg) for leg in self.legs), default=0) / SAMPLE_RATE


def extension(filename: str | None) -> str:
    return PurePath(filename or "").suffix.lower().lstrip(".")


def check_extension(filename: str | None) -> None:
    """415 unless the file name has no extension or a supported one (checked before reading the body)."""
    ext = extension(filename)
    if ext and ext not in EXTENSIONS:
        raise UnsupportedFormat(f"file: .{ext} is not a supported format; use one of {', '.join(sorted(EXTENSIONS))}")


def sniff(head: bytes | bytearray) -> str:
    """The FFmpeg demuxer for content starting with `head`; 415 for anything else."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"fLaC":
        return "flac"
    if head[4:8] == b"ftyp":
        return "mov"
    if head[:4] == b"\x1aE\xdf\xa3":
        return "matroska"
    if head[:3] == b"ID3":
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "aac"  # ADTS
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return "mp3"  # an MPEG audio frame header (layer bits set)
    raise UnsupportedFormat("file: the content is not WAV, MP3, OGG/Opus, FLAC, M4A/AAC or WebM audio")


def decode(
    data: bytes | bytearray,
    filename: str | None = None,
    raw: RawFormat | None = None,
    max_seconds: float = 4 * 3600.0,
    mono: bool = False,
) -> DecodedAudio:
    """Decode `data` (blocking, CPU-bound: run it in a thread). `mono` mixes every channel into one leg."""
    check_extension(filename)
    if not data:
        raise EmptyFile("file: the upload is empty")
    if raw is None and extension(filename) in RAW_EXTENSIONS:
        raw = RawFormat(RAW_EXTENSIONS[extension(filename)])
    if raw is not None:
        return _decode_g711(data, raw, max_seconds, mono)
    return _decode_container(data, sniff(data[:16]), max_seconds, mono)


def _decode_g711(data: bytes | bytearray, raw: RawFormat, max_seconds: float, mono: bool) -> DecodedAudio:
    if raw.encoding not in RAW_ENCODINGS or raw.channels not in (1, 2) or not 4000 <= raw.sample_rate <= 48000:
        raise UnsupportedFormat("encoding: raw audio must be mulaw or alaw, 1 or 2 channels, 4-48 kHz")
    codes = np.frombuffer(data[: len(data) - len(data) % raw.channels], dtype=np.uint8)
    if len(codes) // raw.channels > max_seconds * raw.sample_rate:
        raise TooLong(f"file: longer than {max_seconds:.0f} s")
    pcm = (ulaw_decode if raw.encoding == "mulaw" else alaw_decode)(codes)
    frames = pcm.reshape(-1, raw.channels).T.astype(np.float32) / 32768.0
    if mono:
        frames = frames.mean(axis=0, keepdims=True)
    legs = tuple(_resample_raw(ch, raw.sample_rate) for ch in frames)
    return DecodedAudio(legs, raw.encoding, raw.sample_rate)


def _resample_raw(channel: np.ndarray, rate: int) -> Audio:
    if rate == SAMPLE_RATE:
        return np.ascontiguousarray(channel, dtype=np.float32)
    import soxr

    return np.asarray(soxr.resample(channel, rate, SAMPLE_RATE), dtype=np.float32)


def _decode_container(data: bytes | bytearray, demuxer: str, max_seconds: float, mono: bool) -> DecodedAudio:
    try:
        container = av.open(io.BytesIO(data), mode="r", format=demuxer)
    except av.FFmpegError as exc:
        raise CorruptAudio(f"file: not a readable {demuxer} file ({type(exc).__name__})") from None
    with container:
        if not container.streams.audio:
            raise NoAudio("file: no audio stream")
        stream = container.streams.audio[0]
        channels = stream.codec_context.layout.nb_channels or 1
        legs = 1 if mono or channels > 2 else channels
        pcm = _read(container, stream, legs, max_seconds)
        declared = _wav_seconds(data) if demuxer == "wav" else _declared_seconds(container, stream)
        fmt, rate = container.format.name, int(stream.codec_context.sample_rate or 0)
    if pcm.shape[1] == 0:
        raise NoAudio("file: the audio stream holds no samples")
    decoded = pcm.shape[1] / SAMPLE_RATE
    if (fmt in _HEADER_DURATION or fmt == "wav") and declared is not None and decoded < declared * 0.98 - 0.25:
        raise TruncatedAudio(f"file: {decoded:.1f} s of audio where the header declares {declared:.1f} s")
    return DecodedAudio(tuple(np.ascontiguousarray(ch) for ch in pcm), fmt, rate)


def _read(container: Any, stream: Any, legs: int, max_seconds: float) -> np.ndarray:
    """Every frame resampled to 16 kHz, stopping (413) as soon as it is too long; float32 (legs, n).

    The resampler converts to interleaved 16-bit, exactly as faster-whisper's `decode_audio` does, so that a
    file's samples are those of the offline baseline (float output differed by up to 2 % full scale).
    """
    resampler = av.AudioResampler(format="s16", layout="mono" if legs == 1 else "stereo", rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    total, limit = 0, int(max_seconds * SAMPLE_RATE)
    try:
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
                total += out.samples
            if total > limit:
                raise TooLong(f"file: longer than {max_seconds:.0f} s")
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    except av.FFmpegError as exc:
        raise CorruptAudio(f"file: the audio could not be decoded ({type(exc).__name__})") from None
    pcm = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    pcm = pcm[: len(pcm) - len(pcm) % legs]
    return pcm.reshape(-1, legs).T.astype(np.float32) / 32768.0


def _declared_seconds(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / av.time_base
    return None


def _wav_seconds(data: bytes | bytearray) -> float | None:
    """The length a PCM WAV header declares (its data chunk size); None where `wave` cannot read it."""
    with contextlib.suppress(wave.Error, EOFError, ValueError), wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate() if w.getframerate() else None
    return None
