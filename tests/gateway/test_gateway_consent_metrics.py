"""Consent outcomes are counted per tenant and announcement version over a real socket (fake engine, real
VAD): the operator sees the opt-out rate; no caller or call id ever becomes a label."""

from __future__ import annotations

import json
import re

import httpx
import websockets

from tests.conftest import TOKEN, Gateway

CALLER = "+31612345678"


async def _call(gw: Gateway, call_id: str, events: list[dict[str, str]]) -> None:
    start = {
        "type": "start",
        "call_id": call_id,
        "consent": "pending",
        "language": "en",
        "caller": CALLER,
        "audio": {"encoding": "pcm_s16le", "sample_rate": 16000, "channels": 1},
    }
    async with websockets.connect(gw.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.send(json.dumps(start))
        for event in events:
            await ws.send(json.dumps({"type": "consent", **event}))
        await ws.send(json.dumps({"type": "stop"}))
        async for _ in ws:
            pass


async def test_consent_outcomes_by_tenant_and_announcement(gateway: Gateway) -> None:
    """Two calls granted and one opted out under announcement v2 give active 2 / declined 1 for v2, under
    tenant-a; the exposition holds neither the caller's number nor a call id."""
    await _call(gateway, "c1", [{"event": "granted", "announcement": "v2"}])
    await _call(gateway, "c2", [{"event": "granted", "announcement": "v2"}])
    await _call(gateway, "c3", [{"event": "declined", "announcement": "v2"}])
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{gateway.http}/metrics")).text

    def count(state: str) -> float:
        # prometheus-client writes the labels in sorted order
        pattern = rf'callscribe_consent_outcomes_total\{{announcement="v2",state="{state}",tenant="tenant-a"\}} (\S+)'
        found = re.search(pattern, text)
        assert found is not None, text
        return float(found[1])

    assert count("active") == 2 and count("declined") == 1
    assert "# TYPE callscribe_consent_outcomes_total counter" in text
    assert CALLER.lstrip("+") not in text and '"c1"' not in text and "call_id" not in text
