"""Recording jobs: a stereo 8 kHz call recording becomes two legs whose finals line up with the script, and the
finished recording is stored (purpose-bound, encrypted, audited with its consent basis) like a live call."""

from __future__ import annotations

import asyncio
import csv
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from asr.types import Transcriber
from bench.wer import wer
from store import MasterKey, StoreConfig
from store.keys import write_key_file
from tests.conftest import AUDIO, TOKEN, TOKEN_B, Gateway
from tests.files.conftest import files_gateway
from vad.silero import SileroModel

CALL = AUDIO / "synthetic" / "synthetic_call_en.wav"
ADMIN = "admin-token-recordings-0123456789"
LEG_OF = {"left": "agent", "right": "caller"}


def script() -> list[dict[str, Any]]:
    """The turns of the synthetic call (start_s, end_s, channel, speaker, text), per synth.sh."""
    with (CALL.with_suffix(".tsv")).open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [{**r, "start": float(r["start_s"]), "end": float(r["end_s"])} for r in rows]


@pytest.fixture
async def stored_gw(tmp_path: Path, engines: dict[str, Transcriber], vad_model: SileroModel) -> AsyncIterator[Gateway]:
    """A gateway storing transcripts (purpose "quality") in SQLite under tmp_path, redaction on (mask)."""
    key_file = tmp_path / "master.key"
    write_key_file(key_file, MasterKey.generate())
    gw, task = await files_gateway(
        engines,
        vad_model,
        store_dsn=f"sqlite:///{tmp_path}/store.db",
        store=StoreConfig(retention_days={"quality": 30}, master_key_file=str(key_file)),
        admin_tokens={ADMIN: "tenant-a"},
    )
    yield gw
    gw.server.should_exit = True
    await task


async def wait_done(http: httpx.AsyncClient, job_id: str) -> tuple[dict[str, Any], list[float]]:
    """Poll the job until it is done (or failed); returns it and the progress values seen."""
    seen = []
    for _ in range(1200):
        job = (await http.get(f"/v1/recordings/{job_id}")).json()
        seen.append(job["progress"])
        if job["status"] in ("done", "failed"):
            return job, seen
        await asyncio.sleep(0.1)
    raise AssertionError("the recording job did not finish")


async def test_stereo_recording_gives_two_legs_in_line_with_the_script(stored_gw: Gateway, tmp_path: Path) -> None:
    """Each scripted turn is heard on its own leg (agent left, caller right): its finals start within 0.6 s of
    the turn, every word starts inside the turn (+-0.6 s) and no final runs into the leg's next turn (Whisper
    stretches a last word over trailing silence: 2.2 s seen); the job reports rising progress, and the stored
    transcript is the job's finals: readable for its purpose only, in the caller's export, erased on request."""
    async with httpx.AsyncClient(
        base_url=stored_gw.http, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
    ) as http:
        created = await http.post(
            "/v1/recordings",
            files={"file": ("call.wav", CALL.read_bytes())},
            data={
                "call_id": "rec-call-1",
                "consent_basis": "recording-announced",
                "language": "en",
                "purposes": "quality",
                "caller": "+31612345678",
            },
        )
        assert created.status_code == 202 and created.headers["location"].endswith(created.json()["id"])
        job, progress = await wait_done(http, created.json()["id"])
        other = httpx.AsyncClient(base_url=stored_gw.http, headers={"Authorization": f"Bearer {TOKEN_B}"})
        async with other:
            assert (await other.get(f"/v1/recordings/{job['id']}")).status_code == 404  # another tenant's job
    assert job["status"] == "done" and job["stored"] and set(job["legs"]) == {"agent", "caller"}
    assert progress == sorted(progress) and progress[-1] == 1.0
    turns = script()
    heard = []
    for i, turn in enumerate(turns):
        leg = LEG_OF[turn["channel"]]
        after = next((t["start"] for t in turns[i + 1 :] if t["channel"] == turn["channel"]), 1e9)
        finals = [f for f in job["legs"][leg]["finals"] if turn["start"] - 0.6 <= f["start"] < turn["end"]]
        assert finals and all(f["end"] < after for f in finals), (turn, job["legs"][leg]["finals"])
        words = [w for f in finals for w in f["words"]]
        assert words and all(turn["start"] - 0.6 <= w["start"] <= turn["end"] + 0.6 for w in words), turn
        heard.append(" ".join(f["text"] for f in finals))
    assert sum(len(leg["finals"]) for leg in job["legs"].values()) == len(turns)
    assert wer([t["text"] for t in turns], heard) < 0.35, heard
    async with httpx.AsyncClient(base_url=stored_gw.http, headers={"Authorization": f"Bearer {ADMIN}"}) as admin:
        stored = (await admin.get("/v1/admin/calls/rec-call-1/transcript", params={"purpose": "quality"})).json()
        assert (
            await admin.get("/v1/admin/calls/rec-call-1/transcript", params={"purpose": "sales"})
        ).status_code == 403
        export = (await admin.post("/v1/admin/subjects/export", json={"caller": "+31612345678"})).json()  # art. 15
        erased = (await admin.delete("/v1/admin/calls/rec-call-1")).json()  # art. 17
        assert (
            await admin.get("/v1/admin/calls/rec-call-1/transcript", params={"purpose": "quality"})
        ).status_code == 404
    assert [c["call_id"] for c in export["calls"]] == ["rec-call-1"] and erased == {"erased": 1}
    texts = sorted(f["text"] for leg in job["legs"].values() for f in leg["finals"])
    assert sorted(f["text"] for f in stored["transcript"]) == texts
    assert [f["seq"] for f in stored["transcript"]] == list(range(1, len(texts) + 1))
    conn = sqlite3.connect(tmp_path / "store.db")
    audit = [json.loads(d) for (d,) in conn.execute("SELECT details FROM audit_log WHERE call_id = 'rec-call-1'")]
    conn.close()
    assert any(d.get("announcement") == "recording-announced" for d in audit), audit


async def test_a_job_that_cannot_be_done_says_why(fgw: Gateway) -> None:
    """Two leg names for a mono recording fail the job with `bad_request` (and the gateway keeps serving)."""
    async with httpx.AsyncClient(base_url=fgw.http, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as http:
        mono = (AUDIO / "real" / "jfk.wav").read_bytes()
        created = await http.post(
            "/v1/recordings",
            files={"file": ("jfk.wav", mono)},
            data={"consent_basis": "recording-announced", "legs": "agent,caller"},
        )
        assert created.status_code == 202
        job, _ = await wait_done(http, created.json()["id"])
        assert job["status"] == "failed" and job["error"]["code"] == "bad_request" and not job["stored"]
        assert "1 channel" in job["error"]["message"]
        assert (await http.get("/healthz")).status_code == 200
