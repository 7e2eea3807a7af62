"""The admin API and the store wired into a real gateway on a loopback port (fake engine, real VAD and audio)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from asr.testing import FakeTranscriber
from bench.audio import read_wav
from store import MasterKey, StoreConfig
from store.__main__ import main as store_cli
from store.keys import write_key_file
from tests.conftest import AUDIO, TOKEN, Gateway, make_config, start_gateway
from tests.store.conftest import CONFIG
from vad.silero import SileroModel

ADMIN_A = "admin-token-tenant-a-0123456789"
ADMIN_B = "admin-token-tenant-b-0123456789"
CLIP = AUDIO / "real" / "cmu_arctic_us_aew_a0001.wav"


@pytest.fixture
async def gw(tmp_path: Path, vad_model: SileroModel) -> AsyncIterator[Gateway]:
    key_file = tmp_path / "master.key"
    write_key_file(key_file, MasterKey.generate())
    config = make_config(
        store_dsn=f"sqlite:///{tmp_path}/store.db",
        store=StoreConfig(
            retention_days=CONFIG.retention_days, recipients=CONFIG.recipients, master_key_file=str(key_file)
        ),
        admin_tokens={ADMIN_A: "tenant-a", ADMIN_B: "tenant-b"},
    )
    engines = {"tiny.en": FakeTranscriber("tiny.en"), "base": FakeTranscriber("base")}
    gateway, task = await start_gateway(config, engines, vad_model)  # type: ignore[arg-type]
    yield gateway
    gateway.server.should_exit = True
    await task


async def stream(
    gw: Gateway, call_id: str, purposes: list[str], decline_at: int | None = None, clip_path: Path = CLIP
) -> list[Any]:
    """Stream a clip as a live call (consent granted) as fast as the gateway takes it; returns its finals."""
    clip = read_wav(clip_path)
    pcm = clip.samples.tobytes()
    step = clip.rate * clip.channels * 2 // 10  # 100 ms of 16-bit audio
    finals = []
    async with websockets.connect(gw.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": "start",
                    "call_id": call_id,
                    "consent": "granted",
                    "language": "en",
                    "purposes": purposes,
                    "audio": {"encoding": "pcm_s16le", "sample_rate": clip.rate, "channels": clip.channels},
                }
            )
        )
        for k, i in enumerate(range(0, len(pcm), step)):
            if k == decline_at:
                await ws.send(json.dumps({"type": "consent", "event": "declined"}))
            await ws.send(pcm[i : i + step])
        await ws.send(json.dumps({"type": "stop"}))
        async for frame in ws:
            msg = json.loads(frame)
            if msg["type"] == "final":
                finals.append(msg)
    return finals


def admin(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_transcripts_are_purpose_bound_over_http(gw: Gateway) -> None:
    """A streamed call's finals are stored and readable for a declared purpose only (403 otherwise)."""
    finals = await stream(gw, "call-http", ["quality"])
    assert finals
    async with httpx.AsyncClient(base_url=gw.http) as http:
        path = "/v1/admin/calls/call-http/transcript"
        assert (await http.get("/v1/admin/calls", headers=admin(TOKEN))).status_code == 401
        listed = (await http.get("/v1/admin/calls", headers=admin(ADMIN_A))).json()["calls"]
        assert [c["call_id"] for c in listed] == ["call-http"]
        assert (await http.get(path, headers=admin(ADMIN_A))).status_code == 403
        denied = await http.get(path, params={"purpose": "marketing"}, headers=admin(ADMIN_A))
        assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
        assert (await http.get(path, params={"purpose": "quality"}, headers=admin(ADMIN_B))).status_code == 404
        read = await http.get(path, params={"purpose": "quality"}, headers=admin(ADMIN_A))
        assert read.status_code == 200
        stored = read.json()["transcript"]
        assert [(f["seq"], f["text"]) for f in stored] == [(f["seq"], f["text"]) for f in finals]


async def test_subject_export_and_erasure_over_http(gw: Gateway, tmp_path: Path) -> None:
    """A linked subject's export lists transcripts, purposes, recipients and retention; erasure removes them."""
    await stream(gw, "call-subject", ["quality", "complaint"])
    await stream(gw, "call-other", ["quality"])
    subject = "+31 6 1234 5678"
    async with httpx.AsyncClient(base_url=gw.http) as http:
        linked = await http.post(
            "/v1/admin/calls/call-subject/subjects", json={"subject": subject}, headers=admin(ADMIN_A)
        )
        assert linked.status_code == 204
        export = (
            await http.post("/v1/admin/subjects/export", json={"caller": "+31612345678"}, headers=admin(ADMIN_A))
        ).json()
        (exported,) = export["calls"]
        assert exported["call_id"] == "call-subject" and exported["transcript"]
        assert exported["purposes"] == ["quality", "complaint"]
        assert exported["recipients"] == {"quality": ["QA team"], "complaint": ["complaints desk", "legal"]}
        assert exported["retained_until"] > exported["created_at"]
        erased = await http.post("/v1/admin/subjects/erase", json={"subject": subject}, headers=admin(ADMIN_A))
        assert erased.json() == {"erased": 1}
        gone = await http.get(
            "/v1/admin/calls/call-subject/transcript", params={"purpose": "quality"}, headers=admin(ADMIN_A)
        )
        assert gone.status_code == 404
        assert (await http.delete("/v1/admin/calls/call-other", headers=admin(ADMIN_A))).json() == {"erased": 1}
        assert (await http.delete("/v1/admin/calls/call-other", headers=admin(ADMIN_A))).status_code == 404
        assert (await http.get("/v1/admin/calls", headers=admin(ADMIN_A))).json() == {"calls": []}
    assert store_cli(["verify", "--dsn", f"sqlite:///{tmp_path}/store.db"]) == 0


async def test_subject_identifiers_never_travel_in_a_path(gw: Gateway) -> None:
    """The subject routes take the number in the body only: the old path forms are gone (404/405), and a
    body without `caller`/`subject` is a 400 `bad_request`, never a crash."""
    async with httpx.AsyncClient(base_url=gw.http, headers=admin(ADMIN_A)) as http:
        assert (await http.get("/v1/admin/subjects/+31612345678/export")).status_code in (404, 405)
        assert (await http.delete("/v1/admin/subjects/+31612345678")).status_code in (404, 405)
        for path in ("/v1/admin/subjects/export", "/v1/admin/subjects/erase"):
            for body in ({}, {"caller": "  "}, {"caller": 31612345678}):
                bad = await http.post(path, json=body)
                assert bad.status_code == 400 and bad.json()["code"] == "bad_request"
            assert (await http.post(path, content=b"not json")).status_code == 400
        assert (await http.post("/v1/admin/subjects/export", json={"caller": "+31600000000"})).json() == {"calls": []}


async def test_declined_call_leaves_nothing_stored(gw: Gateway, tmp_path: Path) -> None:
    """A caller who opts out mid-call has the finals stored before the opt-out erased, and nothing after."""
    two_legs = AUDIO / "synthetic" / "synthetic_call_en.wav"
    finals = await stream(gw, "call-declined", ["quality"], decline_at=150, clip_path=two_legs)
    assert finals  # finals were sent (and stored) before the opt-out at 15 s
    async with httpx.AsyncClient(base_url=gw.http) as http:
        assert (await http.get("/v1/admin/calls", headers=admin(ADMIN_A))).json() == {"calls": []}
    with sqlite3.connect(tmp_path / "store.db") as conn:
        erasures = conn.execute("SELECT details FROM audit_log WHERE action = 'erase_call'").fetchall()
        assert conn.execute("SELECT COUNT(*) FROM finals").fetchone() == (0,)
    assert [json.loads(d)["reason"] for (d,) in erasures] == ["consent_declined"]
