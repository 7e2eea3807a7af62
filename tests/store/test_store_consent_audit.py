"""The audit trail records which announcement version each consent transition rests on."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from starlette.applications import Starlette

from asr.testing import FakeTranscriber
from gateway.store_listener import StoreListener
from protocol.messages import ConsentState, Ready
from store import MasterKey, SqlTranscriptStore, StoreConfig
from store.keys import write_key_file
from tests.call_events import publish_to
from tests.conftest import TOKEN, Gateway, make_config, start_gateway
from tests.store.conftest import CONFIG, Backend
from tests.store.helpers import TENANT, start
from vad.silero import SileroModel


def consent_rows(backend: Backend, call_id: str) -> list[dict[str, Any]]:
    rows = backend.query(
        f"SELECT details FROM audit_log WHERE call_id = '{call_id}' AND action = 'consent' ORDER BY id"
    )
    return [json.loads(str(r[0])) for r in rows]


async def test_consent_rows_carry_the_announcement(store: SqlTranscriptStore, backend: Backend) -> None:
    """A consent change published with an announcement version is audited with it; one without, with null."""
    listener = StoreListener(store)
    publish_to(listener, TENANT, "a", start("a", ("quality",), consent="pending"))
    publish_to(listener, TENANT, "a", Ready("s", "a", "pending", "base", ("nl",)))
    publish_to(listener, TENANT, "a", ConsentState("active", 4.25, "ivr-consent-v7"))
    publish_to(listener, TENANT, "a", ConsentState("paused", 9.0, "ivr-consent-v7"))
    await store.flush()
    rows = consent_rows(backend, "a")
    assert [(r["state"], r["at"], r["announcement"]) for r in rows] == [
        ("pending", 0.0, None),
        ("active", 4.25, "ivr-consent-v7"),
        ("paused", 9.0, "ivr-consent-v7"),
    ]
    assert (await store.verify()).ok


@pytest.fixture
async def gw(tmp_path: Path, vad_model: SileroModel) -> AsyncIterator[Gateway]:
    key_file = tmp_path / "master.key"
    write_key_file(key_file, MasterKey.generate())
    config = make_config(
        store_dsn=f"sqlite:///{tmp_path}/store.db",
        store=StoreConfig(retention_days=CONFIG.retention_days, master_key_file=str(key_file)),
    )
    engines = {"tiny.en": FakeTranscriber("tiny.en"), "base": FakeTranscriber("base")}
    gateway, task = await start_gateway(config, engines, vad_model)  # type: ignore[arg-type]
    yield gateway
    gateway.server.should_exit = True
    await task


async def test_announcement_sent_by_the_client_reaches_the_audit_row(gw: Gateway, tmp_path: Path) -> None:
    """The announcement version of a `consent` event is echoed on the wire and recorded in the audit row of
    the transition it caused, and of later transitions that name none."""
    start_msg = {
        "type": "start",
        "call_id": "ann",
        "consent": "pending",
        "language": "en",
        "purposes": ["quality"],
        "audio": {"encoding": "pcm_s16le", "sample_rate": 16000, "channels": 1},
    }
    async with websockets.connect(gw.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.send(json.dumps(start_msg))
        await ws.send(bytes(16000))  # 0.5 s while pending
        await ws.send(json.dumps({"type": "consent", "event": "granted", "announcement": "prompt-2026-03-nl"}))
        await ws.send(bytes(16000))
        await ws.send(json.dumps({"type": "consent", "event": "paused"}))
        await ws.send(json.dumps({"type": "stop"}))
        wire = [json.loads(frame) async for frame in ws]
    app: Starlette = gw.server.config.app  # type: ignore[assignment]
    await app.state.store.flush()  # the consent changes were posted before `closed` was sent
    consent = [m for m in wire if m["type"] == "consent"]
    assert consent == [
        {"type": "consent", "state": "active", "at": 0.5, "announcement": "prompt-2026-03-nl"},
        {"type": "consent", "state": "paused", "at": 1.0, "announcement": "prompt-2026-03-nl"},
    ]
    with sqlite3.connect(tmp_path / "store.db") as conn:
        rows = conn.execute(
            "SELECT details FROM audit_log WHERE call_id = 'ann' AND action = 'consent' ORDER BY id"
        ).fetchall()
    conn.close()
    audited = [json.loads(d) for (d,) in rows]
    assert [(r["state"], r["announcement"]) for r in audited] == [
        ("pending", None),
        ("active", "prompt-2026-03-nl"),
        ("paused", "prompt-2026-03-nl"),
    ]
