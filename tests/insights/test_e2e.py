"""A real two-leg call through the gateway (real model, VAD, WebSocket): insights after `stop` reach the
endpoint, the captions page (real Chromium) and the CRM webhook (signed), and nothing for a declined call.

Until the lead's `CallClosed` lifecycle event exists, a runtime listener here builds the `CallTranscript`
from the call's messages; those finals are already redacted, so text and display are the same here.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import websockets

from asr.types import Transcriber
from bench.audio import read_wav
from insights.config import InsightsConfig
from insights.fake import FakeCrm
from insights.model import CallTranscript, Utterance
from insights.worker import InsightsWorker
from protocol.messages import CallEnded, ConsentState, Final, ServerMessage, Start
from store import MasterKey, StoreConfig
from store.keys import write_key_file
from tests.captions.test_captions_page import ARGS, CHROMIUM
from tests.conftest import AUDIO, TOKEN, Gateway, make_config, start_gateway
from tests.insights.conftest import SECRET, STORE_CONFIG, app_of
from vad.silero import SileroModel

ADMIN = "admin-token-tenant-a-0123456789"
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium (/usr/bin/chromium) is not installed; `apt-get install chromium` (CI installs it)",
)
CALL = AUDIO / "synthetic" / "synthetic_call_en.wav"  # left = agent, right = caller; ends "I will refund it today"


class TranscriptCollector:
    """Runtime listener: collects a call's finals and hands the closed call to the insights worker."""

    def __init__(self, worker: InsightsWorker) -> None:
        self.worker = worker
        self.calls: dict[tuple[str, str], dict[str, Any]] = {}
        self.done: list[asyncio.Task[Any]] = []

    def __call__(self, tenant: str, call_id: str, msg: ServerMessage | Start) -> None:
        key = (tenant, call_id)
        if isinstance(msg, Start):
            self.calls[key] = {"start": msg, "at": time.time(), "finals": [], "consent": "pending"}
        elif key in self.calls and isinstance(msg, ConsentState):
            self.calls[key]["consent"] = msg.state
        elif key in self.calls and isinstance(msg, Final):
            self.calls[key]["finals"].append(msg)
        elif key in self.calls and isinstance(msg, CallEnded):
            call = self.calls.pop(key)
            start: Start = call["start"]
            transcript = CallTranscript(
                tenant,
                call_id,
                start.language,
                call["at"],
                start.legs,
                tuple(Utterance(f.leg, f.start, f.end, f.text, f.text, f.words) for f in call["finals"]),
                start.purposes,
                call["consent"],
            )
            self.done.append(asyncio.get_running_loop().create_task(self.worker.call_closed(transcript)))


@pytest.fixture
async def setup(
    tmp_path: Path,
    engines: dict[str, Transcriber],
    vad_model: SileroModel,
) -> AsyncIterator[tuple[Gateway, FakeCrm, TranscriptCollector]]:
    key_file = tmp_path / "master.key"
    write_key_file(key_file, MasterKey.generate())
    config = make_config(
        store_dsn=f"sqlite:///{tmp_path}/store.db",
        store=StoreConfig(retention_days=STORE_CONFIG.retention_days, master_key_file=str(key_file)),
        admin_tokens={ADMIN: "tenant-a"},
    )
    gateway, task = await start_gateway(config, engines, vad_model)
    app = app_of(gateway)
    async with FakeCrm(SECRET) as crm:
        worker = InsightsWorker(
            app.state.store,
            InsightsConfig(outbox_path=str(tmp_path / "outbox.db"), webhook_url=crm.url, webhook_secret=SECRET),
        )
        worker.start()
        app.state.insights_worker = worker
        collector = TranscriptCollector(worker)
        gateway.runtime.listeners.append(collector)
        yield gateway, crm, collector
        await worker.aclose()
    gateway.server.should_exit = True
    await task


async def stream(gw: Gateway, call_id: str, decline: bool = False) -> None:
    """Stream the two-channel synthetic call with consent granted (or declined halfway), then `stop`."""
    clip = read_wav(CALL)
    pcm = clip.samples.tobytes()
    step = clip.rate * clip.channels * 2 // 10  # 100 ms
    async with websockets.connect(gw.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": "start",
                    "call_id": call_id,
                    "consent": "granted",
                    "language": "en",
                    "legs": ["agent", "caller"],
                    "purposes": ["quality"],
                    "audio": {"encoding": "pcm_s16le", "sample_rate": clip.rate, "channels": 2},
                }
            )
        )
        for k, i in enumerate(range(0, len(pcm), step)):
            if decline and k == len(pcm) // step // 2:
                await ws.send(json.dumps({"type": "consent", "event": "declined"}))
            await ws.send(pcm[i : i + step])
        await ws.send(json.dumps({"type": "stop"}))
        async for _ in ws:
            pass


async def test_insights_after_the_call_everywhere(setup: tuple[Gateway, FakeCrm, TranscriptCollector]) -> None:
    """After `stop`: the endpoint and the captions page show the agent's "refund it today" agreement, due
    today, and the CRM receives it once, correctly signed (the fake CRM verifies every signature)."""
    from playwright.async_api import async_playwright

    gw, crm, collector = setup
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = await browser.new_page()
        await page.goto(f"{gw.http}/captions/e2e-call?token={TOKEN}")
        await stream(gw, "e2e-call")
        await asyncio.gather(*collector.done)
        await crm.wait_for(1, within_s=30)
        await page.wait_for_selector("#insights .agreement[data-owner='agent']", timeout=30_000)
        shown = await page.inner_text("#insights")
        await browser.close()
    async with httpx.AsyncClient(base_url=gw.http) as client:
        r = await client.get(
            "/v1/calls/e2e-call/insights", params={"purpose": "quality"}, headers={"Authorization": f"Bearer {ADMIN}"}
        )
    assert r.status_code == 200
    refund = [a for a in r.json()["agreements"] if "refund" in a["what"].lower()]
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()
    assert refund and refund[0]["owner"] == "agent" and refund[0]["due"]["end"] == f"{today}T23:59:59+01:00"
    assert "After the call" in shown and "Agent:" in shown and "refund" in shown.lower()
    assert [d.status for d in crm.deliveries] == [200]
    assert crm.events[0]["insights"]["agreements"] == r.json()["agreements"]


async def test_declined_call_has_no_insights(setup: tuple[Gateway, FakeCrm, TranscriptCollector]) -> None:
    """A call declined halfway is erased by the store: no insights stored, served or sent to the CRM."""
    gw, crm, collector = setup
    await stream(gw, "declined-call", decline=True)
    results = await asyncio.gather(*collector.done)
    assert results == [None]
    async with httpx.AsyncClient(base_url=gw.http) as client:
        r = await client.get(
            "/v1/calls/declined-call/insights",
            params={"purpose": "quality"},
            headers={"Authorization": f"Bearer {ADMIN}"},
        )
    assert r.status_code == 404
    await asyncio.sleep(0.5)
    assert crm.deliveries == []
