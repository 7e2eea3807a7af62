"""A real two-leg call through the gateway (real model, VAD, WebSocket): insights after `stop` reach the
endpoint, the captions page (real Chromium) and the CRM webhook (signed), and nothing for a declined call.

The wiring is production's: `CallClosed` -> `gateway.insights_listener` -> the insights worker, with
each final's text before redaction for extraction and the redacted text for display.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import websockets

from asr.types import Transcriber
from bench.audio import read_wav
from gateway.insights_listener import InsightsListener
from insights.config import InsightsOptions
from insights.fake import FakeCrm
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


@pytest.fixture
async def setup(
    tmp_path: Path,
    engines: dict[str, Transcriber],
    vad_model: SileroModel,
) -> AsyncIterator[tuple[Gateway, FakeCrm, InsightsListener]]:
    """The gateway with its store and the production insights wiring (`[insights]` settings), pointed at a
    fake CRM on loopback that checks every signature."""
    key_file, secret_file = tmp_path / "master.key", tmp_path / "crm.secret"
    write_key_file(key_file, MasterKey.generate())
    secret_file.write_bytes(SECRET)
    async with FakeCrm(SECRET) as crm:
        options = InsightsOptions(
            webhook_url=crm.url, webhook_secret_file=str(secret_file), outbox_path=str(tmp_path / "outbox.db")
        )
        config = make_config(
            store_dsn=f"sqlite:///{tmp_path}/store.db",
            store=StoreConfig(retention_days=STORE_CONFIG.retention_days, master_key_file=str(key_file)),
            admin_tokens={ADMIN: "tenant-a"},
            insights=options,
        )
        gateway, task = await start_gateway(config, engines, vad_model)
        listener = app_of(gateway).state.insights_listener
        assert isinstance(listener, InsightsListener)
        yield gateway, crm, listener
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


async def test_insights_after_the_call_everywhere(setup: tuple[Gateway, FakeCrm, InsightsListener]) -> None:
    """After `stop`: the endpoint and the captions page show the agent's "refund it today" agreement, due
    today where "today" was heard, and the CRM receives it once, correctly signed (the fake CRM verifies every
    signature)."""
    from playwright.async_api import async_playwright

    gw, crm, listener = setup
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = await browser.new_page()
        await page.goto(f"{gw.http}/captions/e2e-call?token={TOKEN}")
        await stream(gw, "e2e-call")
        await listener.idle()
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
    assert refund and refund[0]["owner"] == "agent"
    # the due date is read from the words heard: tiny.en's int8 kernels differ per CPU, and on an AVX2 EPYC it
    # heard "I will refund this convey" where AVX-512 heard "refund it today" (no date said, none invented)
    if "today" in refund[0]["what"].lower():
        assert refund[0]["due"]["end"] == f"{today}T23:59:59+01:00"
    else:
        assert refund[0]["due"] is None
    assert "After the call" in shown and "Agent:" in shown and "refund" in shown.lower()
    assert [d.status for d in crm.deliveries] == [200]
    assert crm.events[0]["insights"]["agreements"] == r.json()["agreements"]


async def test_declined_call_has_no_insights(setup: tuple[Gateway, FakeCrm, InsightsListener]) -> None:
    """A call declined halfway is erased by the store: no insights stored, served or sent to the CRM."""
    gw, crm, listener = setup
    await stream(gw, "declined-call", decline=True)
    assert listener.started == 0  # nothing is even analysed for a declined call
    await listener.idle()
    async with httpx.AsyncClient(base_url=gw.http) as client:
        r = await client.get(
            "/v1/calls/declined-call/insights",
            params={"purpose": "quality"},
            headers={"Authorization": f"Bearer {ADMIN}"},
        )
    assert r.status_code == 404
    await asyncio.sleep(0.5)
    assert crm.deliveries == []
