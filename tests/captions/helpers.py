"""Helpers for the caption tests: a viewer client over a real socket, and waiting for subscriptions."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import websockets

from gateway.core.caption_hub import CaptionHub
from gateway.http.captions import service_for
from tests.conftest import Gateway


def hub_of(gw: Gateway) -> CaptionHub:
    service = service_for(gw.runtime)
    assert service is not None, "the captions service is not registered on the runtime"
    return service.hub


def captions_url(gw: Gateway, call_id: str, wait: bool = False) -> str:
    base = gw.http.replace("http://", "ws://")
    return f"{base}/v1/calls/{call_id}/captions" + ("?wait=1" if wait else "")


@dataclass
class ViewerRun:
    """What one viewer received, and how its socket was closed."""

    frames: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str = ""

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] == kind]

    @property
    def finals(self) -> list[dict[str, Any]]:
        return self.of_type("final")


async def watch(gw: Gateway, call_id: str, token: str, wait: bool = True) -> ViewerRun:
    """Watch a call's captions until the server closes the socket."""
    run = ViewerRun()
    async with websockets.connect(
        captions_url(gw, call_id, wait), max_size=None, additional_headers={"Authorization": f"Bearer {token}"}
    ) as ws:
        try:
            async for frame in ws:
                assert isinstance(frame, str), "captions are JSON text frames"
                run.frames.append(json.loads(frame))
        except websockets.ConnectionClosed:
            pass
        run.close_code, run.close_reason = ws.close_code, ws.close_reason or ""
    return run


async def until_viewers(gw: Gateway, tenant: str, call_id: str, count: int) -> None:
    """Wait (bounded) until `count` viewers are subscribed to the call."""
    for _ in range(500):
        if len(hub_of(gw).viewers(tenant, call_id)) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} viewers never subscribed to {call_id}")
