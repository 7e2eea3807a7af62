"""`start.caller` end to end: a real gateway with a SQLite store links the caller's number as the call's
data subject, and the number is never written in clear, logged, or shown to caption viewers."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import structlog
import websockets

from asr.testing import FakeTranscriber
from bench.audio import read_wav
from gateway.store_listener import CALLER_ACTOR, StoreListener
from protocol.messages import AudioFormat, CallEnded, Ready, Start
from store import MasterKey, SqlTranscriptStore, StoreConfig, SubjectLink
from store.keys import write_key_file
from tests.call_events import publish_to
from tests.captions.helpers import until_viewers, watch
from tests.conftest import AUDIO, TOKEN, Gateway, make_config, start_gateway
from tests.store.conftest import CONFIG, Backend
from tests.store.helpers import TENANT, consent, files_containing, final
from vad.silero import SileroModel

ADMIN = "admin-token-tenant-a-0123456789"
CALLER = "+31612345678"
CLIP = AUDIO / "real" / "cmu_arctic_us_aew_a0001.wav"
_CLIENT_SIDE = ("httpx", "httpcore", "websockets.client", "uvicorn.access")


@pytest.fixture
async def gw(tmp_path: Path, vad_model: SileroModel) -> AsyncIterator[Gateway]:
    key_file = tmp_path / "master.key"
    write_key_file(key_file, MasterKey.generate())
    config = make_config(
        store_dsn=f"sqlite:///{tmp_path}/store.db",
        store=StoreConfig(
            retention_days=CONFIG.retention_days, recipients=CONFIG.recipients, master_key_file=str(key_file)
        ),
        admin_tokens={ADMIN: "tenant-a"},
    )
    engines = {"tiny.en": FakeTranscriber("tiny.en"), "base": FakeTranscriber("base")}
    gateway, task = await start_gateway(config, engines, vad_model)  # type: ignore[arg-type]
    yield gateway
    gateway.server.should_exit = True
    await task


async def stream(gw: Gateway, call_id: str, consent: str, decline: bool = False) -> list[str]:
    """Stream the clip as a native call whose `start` names CALLER; returns every frame received."""
    clip = read_wav(CLIP)
    pcm = clip.samples.tobytes()
    step = clip.rate * clip.channels * 2 // 10  # 100 ms of 16-bit audio
    start = {
        "type": "start",
        "call_id": call_id,
        "consent": consent,
        "language": "en",
        "purposes": ["quality"],
        "caller": CALLER,
        "audio": {"encoding": "pcm_s16le", "sample_rate": clip.rate, "channels": 1},
    }
    async with websockets.connect(gw.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.send(json.dumps(start))
        if decline:
            await ws.send(json.dumps({"type": "consent", "event": "declined"}))
        for i in range(0, len(pcm), step):
            await ws.send(pcm[i : i + step])
        await ws.send(json.dumps({"type": "stop"}))
        return [str(frame) async for frame in ws]


async def test_caller_is_linked_as_subject_and_never_exposed(
    gw: Gateway, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The export for the caller's number returns the call's transcript, while the number appears in no
    file on disk, no log event and no frame sent to a caption viewer or back to the client."""
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        viewer = asyncio.create_task(watch(gw, "call-caller", TOKEN, wait=True))
        await until_viewers(gw, "tenant-a", "call-caller", 1)
        frames = await stream(gw, "call-caller", "granted")
        seen = await viewer
        async with httpx.AsyncClient(base_url=gw.http, headers={"Authorization": f"Bearer {ADMIN}"}) as http:
            export = (await http.post("/v1/admin/subjects/export", json={"caller": CALLER})).json()
            listed = (await http.get("/v1/calls", headers={"Authorization": f"Bearer {TOKEN}"})).text
    finals = [json.loads(f) for f in frames if json.loads(f)["type"] == "final"]
    assert finals
    (exported,) = export["calls"]
    assert exported["call_id"] == "call-caller"
    assert [(f["seq"], f["text"]) for f in exported["transcript"]] == [(f["seq"], f["text"]) for f in finals]
    assert seen.finals and seen.of_type("call_ended")
    digits = CALLER.lstrip("+").encode()
    assert files_containing(tmp_path, digits) == []
    viewer_frames = json.dumps(seen.frames)
    # the test's own HTTP client logs its request URLs; uvicorn's access log is off in the gateway
    # (`access_log=False`), pytest only re-attaches its capture handler to that logger
    assert gw.server.config.access_log is False
    gateway_records = [r.getMessage() for r in caplog.records if not r.name.startswith(_CLIENT_SIDE)]
    logged = " ".join(f"{k}={v}" for e in logs for k, v in e.items()) + " ".join(gateway_records)
    for exposed in (viewer_frames, logged, listed, " ".join(frames)):
        assert digits.decode() not in exposed
    with sqlite3.connect(tmp_path / "store.db") as conn:
        links = conn.execute("SELECT details FROM audit_log WHERE action = 'subject_linked'").fetchall()
    assert [json.loads(d)["actor"] for (d,) in links] == [CALLER_ACTOR]


async def test_caller_of_a_declined_call_is_never_linked(gw: Gateway, tmp_path: Path) -> None:
    """A caller who opts out before consent was ever active leaves no call and no subject link behind."""
    await stream(gw, "call-declined", "pending", decline=True)
    async with httpx.AsyncClient(base_url=gw.http, headers={"Authorization": f"Bearer {ADMIN}"}) as http:
        export = (await http.post("/v1/admin/subjects/export", json={"caller": CALLER})).json()
    assert export == {"calls": []}
    with sqlite3.connect(tmp_path / "store.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM subjects").fetchone() == (0,)


# -- the listener alone, on both backends ------------------------------------------------------------------


def _start_with_caller(call_id: str, purposes: tuple[str, ...]) -> Start:
    return Start(call_id, AudioFormat("pcm_s16le", 16000, 1), ("caller",), "nl", purposes, "pending", caller=CALLER)


def _links(backend: Backend) -> list[str]:
    rows = backend.query("SELECT details FROM audit_log WHERE action = 'subject_linked' ORDER BY id")
    return [json.loads(d)["actor"] for (d,) in rows]


async def test_caller_is_linked_once_when_consent_first_becomes_active(
    store: SqlTranscriptStore, backend: Backend
) -> None:
    """Nothing is linked while consent is pending; the first `active` links the caller, a resume does not again."""
    listener = StoreListener(store)
    publish_to(listener, TENANT, "c1", _start_with_caller("c1", ("quality",)))
    publish_to(listener, TENANT, "c1", Ready("s1", "c1", "pending", "base", ("nl",)))
    await store.flush()
    assert (await store.export_subject(TENANT, CALLER, "t")).calls == ()
    consent(listener, "c1", "active", 2.0)
    publish_to(listener, TENANT, "c1", final(1, "hallo"))
    consent(listener, "c1", "paused", 3.0)
    consent(listener, "c1", "active", 4.0)
    publish_to(listener, TENANT, "c1", CallEnded("c1", 1))
    await store.flush()
    (exported,) = (await store.export_subject(TENANT, CALLER, "t")).calls
    assert exported.transcript.call.call_id == "c1" and [f.text for f in exported.transcript.finals] == ["hallo"]
    assert _links(backend) == [CALLER_ACTOR]


async def test_caller_of_an_unstored_call_is_dropped_quietly(store: SqlTranscriptStore, backend: Backend) -> None:
    """A call with no configured purpose has no row, so its caller is not linked (and nothing fails)."""
    listener = StoreListener(store)
    publish_to(listener, TENANT, "c2", _start_with_caller("c2", ("marketing",)))
    publish_to(listener, TENANT, "c2", Ready("s2", "c2", "active", "base", ("nl",)))
    publish_to(listener, TENANT, "c2", CallEnded("c2", 0))
    await store.flush()
    assert (await store.export_subject(TENANT, CALLER, "t")).calls == ()
    assert _links(backend) == []


def test_the_number_is_left_out_of_reprs() -> None:
    """Neither the `Start` nor the store command that carry the caller's number show it in their repr."""
    assert CALLER not in repr(_start_with_caller("c3", ()))
    assert CALLER not in repr(SubjectLink(TENANT, "c3", CALLER, CALLER_ACTOR))
