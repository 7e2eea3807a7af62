"""No log line of a running gateway process carries a token or a query string (finding 3)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest
import websockets

from bench.audio import read_wav
from tests.conftest import AUDIO
from tests.reliability.process import TOKEN, start_process

CLIP = AUDIO / "real" / "cmu_arctic_us_aew_a0001.wav"


async def _stream_with_query_token(url: str, call_id: str) -> int:
    """One call authenticated with `?token=` (as browsers, Asterisk and Twilio do); returns its finals."""
    clip = read_wav(CLIP)
    pcm = clip.samples.tobytes()
    start = {
        "type": "start",
        "call_id": call_id,
        "consent": "granted",
        "language": "en",
        "audio": {"encoding": "pcm_s16le", "sample_rate": clip.rate, "channels": clip.channels},
    }
    finals = 0
    async with websockets.connect(f"{url}/v1/stream?token={TOKEN}&x=1") as ws:
        await ws.send(json.dumps(start))
        step = clip.rate * 2 // 10
        for i in range(0, len(pcm), step):
            await ws.send(pcm[i : i + step])
        await ws.send(json.dumps({"type": "stop"}))
        async for frame in ws:
            finals += json.loads(frame)["type"] == "final"
    return finals


async def test_query_string_tokens_never_reach_the_log(tmp_path: Path) -> None:
    """Streams, caption views and HTTP reads authenticated by `?token=` leave uvicorn's accept lines in the
    log, but none of the process's stderr lines carries the token, `token=` or any query string."""
    gw = await asyncio.to_thread(start_process, tmp_path)
    try:
        viewer = websockets.connect(f"{gw.url}/v1/calls/logged-call/captions?wait=1&token={TOKEN}")
        async with viewer as view:
            finals = await _stream_with_query_token(gw.url, "logged-call")
            async for _ in view:  # the viewer is closed when the call ends
                pass
        assert finals >= 1
        async with httpx.AsyncClient(base_url=gw.http) as http:
            assert (await http.get(f"/v1/calls?token={TOKEN}")).status_code == 200
            assert (await http.get("/v1/calls?token=wrong-token-value")).status_code == 401
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(f"{gw.url}/v1/stream?token=wrong-token-value"):
                pass
        assert refused.value.response.status_code == 401
    finally:
        await asyncio.to_thread(gw.stop)
    log = gw.log()
    assert TOKEN not in log and "wrong-token-value" not in log
    assert '"WebSocket /v1/stream" [accepted]' in log  # the lines are there, only without their query
    assert "token=" not in log.lower()
    assert not re.search(r"/v1/[^\s\"]*\?", log), "a request target with a query string was logged"
