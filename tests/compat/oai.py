"""The official openai SDK's Realtime client (openai 3.57.0), GA and beta, pointed at a local gateway.

Pointing it at a self-hosted base URL: `AsyncOpenAI(websocket_base_url="ws://.../v1")` (the SDK appends
`/realtime`, `resources/realtime/realtime.py::_prepare_url`), with `extra_query={"intent": "transcription"}`
(compat-apis.md 2.5). The beta client requires `model`, so it sends `model=` too.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openai import AsyncOpenAI

INTENT = {"intent": "transcription"}


@dataclass
class OaRun:
    """Every typed event the SDK parsed, in order."""

    events: list[Any] = field(default_factory=list)

    def of(self, kind: str) -> list[Any]:
        return [e for e in self.events if getattr(e, "type", None) == kind]

    @property
    def completed(self) -> list[Any]:
        return self.of("conversation.item.input_audio_transcription.completed")

    @property
    def deltas(self) -> list[Any]:
        return self.of("conversation.item.input_audio_transcription.delta")

    def text(self) -> str:
        return " ".join(e.transcript for e in self.completed).strip()


def client(http_base: str, key: str) -> AsyncOpenAI:
    ws = http_base.replace("http://", "ws://")
    return AsyncOpenAI(api_key=key, base_url=f"{http_base}/v1", websocket_base_url=f"{ws}/v1")


async def stream(
    http_base: str,
    key: str,
    session: dict[str, Any],
    audio: bytes,
    chunk: int,
    *,
    beta: bool = False,
    pace_s: float = 0.0,
    until: str = "country",
    commit: bool = True,
    extra: Sequence[dict[str, Any]] = (),
) -> OaRun:
    """Configure `session`, append `audio` in `chunk`-byte events (base64), commit, and read until a
    completed transcript ends with `until` (a generous bound, not a timing check); then close."""
    run = OaRun()
    api = client(http_base, key)
    manager = (
        api.beta.realtime.connect(model="", extra_query=INTENT)
        if beta
        else api.realtime.connect(extra_query=INTENT, max_retries=0)
    )
    async with manager as connection:
        conn: Any = connection  # the GA and beta connections differ in their resources
        first = await conn.recv()
        run.events.append(first)
        if beta:
            await conn.transcription_session.update(session=session)
        else:
            await conn.session.update(session=session)
        for event in extra:
            await conn.send(event)
        for i in range(0, len(audio), chunk):
            await conn.input_audio_buffer.append(audio=base64.b64encode(audio[i : i + chunk]).decode())
            if pace_s:
                await asyncio.sleep(pace_s)
        if commit:
            await conn.input_audio_buffer.commit()

        async def read() -> None:
            async for event in conn:
                run.events.append(event)
                done = getattr(event, "type", "") == "conversation.item.input_audio_transcription.completed"
                if done and event.transcript.lower().rstrip(".!? ").endswith(until):
                    return

        await asyncio.wait_for(read(), 90)
    return run
