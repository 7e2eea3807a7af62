"""kill -9 mid-call, restart on the same data dir, resume: numbering continues and new finals are stored
(finding 2)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.audio import read_wav
from tests.conftest import AUDIO
from tests.reliability.process import ADMIN, TOKEN, GatewayProcess, start_process

CALL = "crash-call"


def _start(clip_rate: int, resume_from: int | None = None) -> str:
    return json.dumps(
        {
            "type": "start",
            "call_id": CALL,
            "consent": "granted",
            "language": "en",
            "purposes": ["quality"],
            "resume_from": resume_from,
            "audio": {"encoding": "pcm_s16le", "sample_rate": clip_rate, "channels": 1},
        }
    )


async def _stored(gw: GatewayProcess) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=gw.http) as http:
        r = await http.get(
            f"/v1/admin/calls/{CALL}/transcript",
            params={"purpose": "quality"},
            headers={"Authorization": f"Bearer {ADMIN}"},
        )
    return list(r.json()["transcript"]) if r.status_code == 200 else []


async def _first_connection(gw: GatewayProcess) -> list[int]:
    """Stream jfk.wav, ask for its finals (`finalize`), and wait until the store has them; never stops."""
    clip = read_wav(AUDIO / "real" / "jfk.wav")
    pcm, step = clip.samples.tobytes(), clip.rate * 2 // 10
    ws = await websockets.connect(f"{gw.url}/v1/stream", additional_headers={"Authorization": f"Bearer {TOKEN}"})
    await ws.send(_start(clip.rate))
    for i in range(0, len(pcm), step):
        await ws.send(pcm[i : i + step])
    await ws.send(json.dumps({"type": "finalize"}))
    seqs: list[int] = []
    for _ in range(400):
        seqs = [f["seq"] for f in await _stored(gw)]
        if seqs:
            break
        await asyncio.sleep(0.1)
    assert seqs, "the first connection's finals were never stored"
    await asyncio.sleep(1.0)  # the finalize's last finals
    return [f["seq"] for f in await _stored(gw)]


async def _resumed_connection(gw: GatewayProcess, resume_from: int) -> list[int]:
    clip = read_wav(AUDIO / "real" / "cmu_arctic_us_aew_a0001.wav")
    pcm, step = clip.samples.tobytes(), clip.rate * 2 // 10
    seqs = []
    async with websockets.connect(f"{gw.url}/v1/stream", additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.send(_start(clip.rate, resume_from))
        for i in range(0, len(pcm), step):
            await ws.send(pcm[i : i + step])
        await ws.send(json.dumps({"type": "stop"}))
        async for frame in ws:
            msg = json.loads(frame)
            if msg["type"] == "final":
                seqs.append(msg["seq"])
    return seqs


async def test_resume_after_kill_9_continues_the_stored_sequence(tmp_path: Path) -> None:
    """After kill -9 and a restart on the same data directory, a `resume_from` reconnect numbers its finals
    after the highest stored seq, and every new final is stored next to the old ones (no duplicate seqs)."""
    gw = await asyncio.to_thread(start_process, tmp_path, "first.log")
    try:
        before = await _first_connection(gw)
    finally:
        await asyncio.to_thread(gw.kill9)
    gw = await asyncio.to_thread(start_process, tmp_path, "second.log")
    try:
        new = await _resumed_connection(gw, max(before))
        await asyncio.sleep(0.5)
        stored = [f["seq"] for f in await _stored(gw)]
    finally:
        await asyncio.to_thread(gw.stop)
    assert new and min(new) == max(before) + 1
    assert stored == sorted(set(before) | set(new)) and len(stored) == len(before) + len(new)
