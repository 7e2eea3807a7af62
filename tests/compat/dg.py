"""The official Deepgram SDK (deepgram-sdk 7.17.0) pointed at a local gateway, recording what it parsed.

Pointing it at a self-hosted base URL: `DeepgramClientEnvironment(production="ws://...")`
(deepgram/environment.py; 7.x has no `DeepgramClientOptions(url=...)`), as compat-apis.md 1.5 found.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from deepgram import AsyncDeepgramClient
from deepgram.environment import DeepgramClientEnvironment


@dataclass
class DgRun:
    """Every typed message the SDK parsed, in order; `closed_ok` when the iteration ended cleanly (1000)."""

    messages: list[Any] = field(default_factory=list)
    closed_ok: bool = False

    def of(self, kind: str) -> list[Any]:
        return [m for m in self.messages if getattr(m, "type", None) == kind]

    def finals(self, channel: int | None = None) -> list[Any]:
        return [m for m in self.of("Results") if m.is_final and (channel is None or m.channel_index[0] == channel)]

    def text(self, channel: int | None = None) -> str:
        return " ".join(m.channel.alternatives[0].transcript for m in self.finals(channel)).strip()


def client(http_base: str, key: str) -> AsyncDeepgramClient:
    ws = http_base.replace("http://", "ws://")
    env = DeepgramClientEnvironment(base=http_base, production=ws, agent=ws, agent_rest=http_base)
    return AsyncDeepgramClient(api_key=key, environment=env)


async def stream(http_base: str, key: str, frames: Sequence[bytes | str], **options: Any) -> DgRun:
    """Connect with `options` as query parameters, send `frames` (audio bytes, or "Finalize"/"KeepAlive"/
    "CloseStream"; "wait:<kind>" waits until a message of that kind arrived, "sleep:<s>" paces), then read
    until the close."""
    run = DgRun()
    arrived = asyncio.Condition()
    with warnings.catch_warnings():  # the SDK's async client uses websockets.legacy (compat-apis.md 1.5)
        warnings.simplefilter("ignore", DeprecationWarning)
        async with client(http_base, key).listen.v1.connect(model="nova-3", **options) as conn:

            async def receive() -> None:
                async for msg in conn:
                    async with arrived:
                        run.messages.append(msg)
                        arrived.notify_all()
                run.closed_ok = True

            reader = asyncio.create_task(receive())
            for frame in frames:
                if isinstance(frame, bytes):
                    await conn.send_media(frame)
                elif frame == "Finalize":
                    await conn.send_finalize()
                elif frame == "KeepAlive":
                    await conn.send_keep_alive()
                elif frame == "CloseStream":
                    await conn.send_close_stream()
                elif frame.startswith("sleep:"):
                    await asyncio.sleep(float(frame.removeprefix("sleep:")))
                elif frame.startswith("wait:"):
                    async with arrived:
                        await asyncio.wait_for(arrived.wait_for(partial(_has, run, frame.removeprefix("wait:"))), 60)
            await asyncio.wait_for(reader, 90)
    return run


def _has(run: DgRun, kind: str) -> bool:
    if kind == "from_finalize":
        return any(getattr(m, "from_finalize", False) for m in run.of("Results"))
    return bool(run.of(kind))
