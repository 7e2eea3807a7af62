"""Helpers for end-to-end tests: stream clips through a real gateway and score them."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

import numpy as np
import soxr

from asr.types import Transcriber
from bench.audio import Clip, read_wav
from bench.client import CallRun, StreamOptions, stream_call
from tests.conftest import TOKEN, Gateway, ManifestRow


def final_text(run: CallRun, leg: str | None = None) -> str:
    return " ".join(f["text"] for f in run.finals if leg is None or f["leg"] == leg)


def as_float16k(clip: Clip, channel: int = 0) -> np.ndarray:
    audio = clip.samples[:, channel].astype(np.float32) / 32768.0
    if clip.rate != 16000:
        audio = soxr.resample(audio, clip.rate, 16000).astype(np.float32)
    return audio


async def stream_rows(gw: Gateway, rows: Sequence[ManifestRow], options: StreamOptions) -> list[CallRun]:
    """Stream each clip as its own call, all at once; 8 kHz clips as mu-law (as a PBX sends them)."""

    async def one(i: int, row: ManifestRow) -> CallRun:
        clip = read_wav(row.path)
        encoding = "mulaw" if clip.rate == 8000 else options.encoding
        opts = dataclasses.replace(options, call_id=f"clip-{i}", encoding=encoding, language=row.lang)
        return await stream_call(gw.url, TOKEN, clip, opts)

    return list(await asyncio.gather(*(one(i, r) for i, r in enumerate(rows))))


def offline_texts(engine: Transcriber, rows: Sequence[ManifestRow]) -> list[str]:
    from asr.whisper import WhisperEngine

    assert isinstance(engine, WhisperEngine)
    return [engine.transcribe_offline(as_float16k(read_wav(r.path)), r.lang) for r in rows]
