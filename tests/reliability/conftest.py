"""A real gateway (real models, real VAD) with the embedded store on a loopback port, and a raw client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from asr.types import Transcriber
from bench.audio import read_wav
from store import MasterKey, StoreConfig
from store.keys import write_key_file
from tests.conftest import AUDIO, TOKEN, Gateway, make_config, start_gateway
from vad.silero import SileroModel

ADMIN = "admin-token-tenant-a-0123456789"
JFK = AUDIO / "real" / "jfk.wav"
SHORT = AUDIO / "real" / "cmu_arctic_us_aew_a0001.wav"


def store_config(tmp_path: Path, **overrides: object) -> Any:
    key_file = tmp_path / "master.key"
    write_key_file(key_file, MasterKey.generate())
    return make_config(
        store_dsn=f"sqlite:///{tmp_path}/store.db",
        store=StoreConfig(master_key_file=str(key_file)),
        admin_tokens={ADMIN: "tenant-a"},
        resume_ttl_s=60.0,
        **overrides,
    )


@pytest.fixture
async def stored_gw(tmp_path: Path, engines: dict[str, Transcriber], vad_model: SileroModel) -> AsyncIterator[Gateway]:
    gw, task = await start_gateway(store_config(tmp_path), engines, vad_model)
    yield gw
    gw.server.should_exit = True
    await task


@dataclass
class Client:
    """One native connection driven by hand: frames received so far, in order."""

    ws: Any
    frames: list[dict[str, Any]] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] == kind]

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                self.frames.append(json.loads(frame))
        except websockets.ConnectionClosed:
            pass

    async def until(self, kind: str, count: int = 1, within_s: float = 60.0) -> None:
        for _ in range(int(within_s / 0.05)):
            if len(self.of_type(kind)) >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {count} {kind} frames within {within_s} s: {[f['type'] for f in self.frames]}")

    async def send_clip(self, path: Path, seconds: float | None = None) -> None:
        clip = read_wav(path)
        pcm, step = clip.samples.tobytes(), clip.rate * 2 // 10
        end = len(pcm) if seconds is None else int(seconds * clip.rate) * 2
        for i in range(0, end, step):
            await self.ws.send(pcm[i : min(i + step, end)])

    async def closed(self) -> None:
        assert self.reader is not None
        await asyncio.wait_for(self.reader, 60)


async def connect(
    gw: Gateway,
    call_id: str,
    resume_from: int | None = None,
    token: str = TOKEN,
    purposes: tuple[str, ...] = ("quality",),
) -> Client:
    """Open a native stream and send `start` (16 kHz mono PCM, consent granted)."""
    ws = await websockets.connect(gw.url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None)
    client = Client(ws)
    client.reader = asyncio.create_task(client._read())
    await ws.send(
        json.dumps(
            {
                "type": "start",
                "call_id": call_id,
                "consent": "granted",
                "language": "en",
                "purposes": list(purposes),
                "resume_from": resume_from,
                "audio": {"encoding": "pcm_s16le", "sample_rate": 16000, "channels": 1},
            }
        )
    )
    return client


async def stored(gw: Gateway, call_id: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=gw.http) as http:
        return await http.get(
            f"/v1/admin/calls/{call_id}/transcript",
            params={"purpose": "quality"},
            headers={"Authorization": f"Bearer {ADMIN}"},
        )


async def until_dropped(gw: Gateway, tenant: str, call_id: str) -> None:
    """Wait (bounded) until the call's connection is gone and the call awaits a resume."""
    for _ in range(1200):
        record = gw.runtime.registry.get(tenant, call_id)
        if record is not None and record.phase == "dropped":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{call_id} never dropped")
