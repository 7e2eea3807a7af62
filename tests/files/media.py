"""Test media: the shared WAV clips re-encoded with PyAV (FFmpeg's own encoders) at test time."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np

CODECS = {
    "wav": ("wav", "pcm_s16le"),
    "mp3": ("mp3", "libmp3lame"),
    "ogg": ("ogg", "libopus"),
    "flac": ("flac", "flac"),
    "m4a": ("ipod", "aac"),
}
"""extension -> (FFmpeg muxer, encoder). OGG holds Opus (48 kHz), M4A holds AAC."""


def read_pcm(path: Path) -> tuple[np.ndarray, int]:
    """(int16 samples shaped (channels, n), rate) of a WAV file, read with PyAV."""
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        frames = [f.to_ndarray() for f in c.decode(s)]
        rate = s.codec_context.sample_rate
    pcm = np.concatenate(frames, axis=1)
    channels = len(s.codec_context.layout.channels)
    return (pcm.reshape(-1, channels).T if pcm.shape[0] == 1 and channels > 1 else pcm), rate


def encode(pcm: np.ndarray, rate: int, ext: str) -> bytes:
    """`pcm` (int16, (channels, n)) encoded as `ext` in memory."""
    muxer, codec = CODECS[ext]
    out_rate = 48000 if codec == "libopus" else rate
    buf = io.BytesIO()
    layout = "mono" if pcm.shape[0] == 1 else "stereo"
    with av.open(buf, mode="w", format=muxer) as c:
        stream = c.add_stream(codec, rate=out_rate, layout=layout)
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout=layout, rate=out_rate)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm.T.reshape(1, -1)), format="s16", layout=layout)
        frame.sample_rate = rate
        for f in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(f):
                c.mux(packet)
        for packet in stream.encode(None):
            c.mux(packet)
    return buf.getvalue()


def encode_file(path: Path, ext: str) -> bytes:
    pcm, rate = read_pcm(path)
    return encode(pcm, rate, ext)
