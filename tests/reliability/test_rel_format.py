"""A declared format that does not fit the audio gets a `warning` (format_mismatch) instead of silence
(finding 9)."""

from __future__ import annotations

import asyncio
import json

import websockets

from bench.audio import read_wav
from gateway.core.format_check import FormatCheck, first_channel
from protocol.g711 import ulaw_encode
from tests.conftest import AUDIO, TOKEN, Gateway
from tests.reliability.conftest import JFK

JFK8K = AUDIO / "real" / "jfk_tel8k.wav"


async def _warnings(
    gw: Gateway, audio: dict[str, object], data: bytes, frame: int, pace_s: float
) -> list[dict[str, object]]:
    """Stream `data` in frames of `frame` bytes, one every `pace_s` seconds; the call's warnings."""
    got: list[dict[str, object]] = []
    async with websockets.connect(gw.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.send(
            json.dumps({"type": "start", "call_id": "fmt", "language": "en", "consent": "granted", "audio": audio})
        )
        for i in range(0, len(data), frame):
            await ws.send(data[i : i + frame])
            if pace_s:
                await asyncio.sleep(pace_s)
        await ws.send(json.dumps({"type": "stop"}))
        async for text in ws:
            msg = json.loads(text)
            if msg["type"] == "warning":
                got.append(msg)
    return got


async def test_8khz_audio_declared_as_16khz_is_reported(gateway: Gateway) -> None:
    """8 kHz speech streamed in real time but declared 16 kHz arrives at 0.5x real time: one warning
    `format_mismatch` names 8000 Hz as the likely rate."""
    clip = read_wav(JFK8K)
    data = clip.samples.tobytes()[: 8000 * 2 * 7]  # 7 s of audio, 20 ms frames sent every 20 ms
    warnings = await _warnings(gateway, {"encoding": "pcm_s16le", "sample_rate": 16000, "channels": 1}, data, 320, 0.02)
    assert [w["code"] for w in warnings] == ["format_mismatch"]
    assert "8000 Hz" in str(warnings[0]["message"])


async def test_pcm_declared_as_mulaw_is_reported(gateway: Gateway) -> None:
    """PCM16 speech declared as mu-law decodes to noise: one warning about the encoding."""
    data = read_wav(JFK).samples.tobytes()
    warnings = await _warnings(gateway, {"encoding": "mulaw", "sample_rate": 16000, "channels": 1}, data, 3200, 0)
    assert [w["code"] for w in warnings] == ["format_mismatch"] and "encoding" in str(warnings[0]["message"])


def test_correct_formats_raise_no_warning() -> None:
    """Correctly declared speech (PCM at 16 kHz, mu-law at 8 kHz) fed in real time raises no warning."""
    for path, encoding in ((JFK, "pcm_s16le"), (JFK8K, "mulaw")):
        clip = read_wav(path)
        data = clip.samples.tobytes() if encoding == "pcm_s16le" else ulaw_encode(clip.samples[:, 0])
        width = 2 if encoding == "pcm_s16le" else 1
        check, frame = FormatCheck(clip.rate, encoding), clip.rate // 50 * width
        warnings = []
        for k, i in enumerate(range(0, len(data), frame)):
            samples = first_channel(encoding, 1, data[i : i + frame])
            warnings += check.feed(samples, len(samples) / clip.rate, k * 0.02)
        assert warnings == [], path
