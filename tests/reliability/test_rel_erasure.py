"""Erasure reaches every copy: after DELETE a late caption viewer and a resume get nothing (finding 1)."""

from __future__ import annotations

import asyncio
import json

import httpx
import websockets

from tests.conftest import TOKEN, Gateway
from tests.reliability.conftest import ADMIN, JFK, SHORT, connect, stored, until_dropped


async def _late_viewer_finals(gw: Gateway, call_id: str) -> list[dict[str, object]]:
    """Join the call's captions after the fact; collect what it is sent within a second (403: nothing)."""
    url = gw.http.replace("http://", "ws://") + f"/v1/calls/{call_id}/captions?wait=1"
    frames: list[dict[str, object]] = []
    status = 101
    try:
        async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
            try:
                while True:
                    frames.append(json.loads(await asyncio.wait_for(ws.recv(), 1.0)))
            except (TimeoutError, websockets.ConnectionClosed):
                pass
    except websockets.InvalidStatus as exc:
        status = exc.response.status_code
    assert status in (101, 403)
    return [f for f in frames if f["type"] == "final"]


async def test_erased_call_is_not_replayed_shown_or_stored_again(stored_gw: Gateway) -> None:
    """A dropped call erased by DELETE sends a late caption viewer no finals, replays nothing to a
    `resume_from: 0` reconnect, and the resumed connection writes nothing back into the store."""
    gw = stored_gw
    first = await connect(gw, "erased-call")
    await first.send_clip(JFK)
    await first.ws.send(json.dumps({"type": "finalize"}))
    await first.until("final")
    old = {f["text"] for f in first.of_type("final")}
    await first.ws.close()  # a drop: the call awaits a resume, its finals retained
    await until_dropped(gw, "tenant-a", "erased-call")
    assert (await stored(gw, "erased-call")).status_code == 200
    assert await _late_viewer_finals(gw, "erased-call")  # before the erasure the history is there
    async with httpx.AsyncClient(base_url=gw.http) as http:
        erased = await http.delete("/v1/admin/calls/erased-call", headers={"Authorization": f"Bearer {ADMIN}"})
    assert erased.status_code == 200
    assert await _late_viewer_finals(gw, "erased-call") == []
    resumed = await connect(gw, "erased-call", resume_from=0)
    await resumed.until("ready")
    await resumed.send_clip(SHORT)
    await resumed.ws.send(json.dumps({"type": "stop"}))
    await resumed.closed()
    replayed = [f for f in resumed.of_type("final") if f["text"] in old]
    assert replayed == [] and resumed.of_type("closed")
    assert (await stored(gw, "erased-call")).status_code == 404
