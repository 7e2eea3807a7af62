"""Replaying a call over the Deepgram live protocol (`/v1/listen`), against any Deepgram-compatible endpoint.

One client for callscribe's Deepgram surface and for a Deepgram-compatible peer, so an operator compares
them with the same audio, pacing and scoring. Plain `websockets` (no SDK), as deepgram-sdk 7.17.0 speaks it
(../shared/reference/compat-apis.md section 1): the key in `Authorization: Token`, the audio format in the
query (`encoding=linear16`, the clip's rate; a two-leg call is one stream with `channels=2&multichannel=true`,
as a PBX sends it), binary PCM frames, then `{"type": "CloseStream"}`; the server sends its last `Results`,
one `Metadata` and closes.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import websockets

from bench.audio import Clip
from bench.drivers import Clock
from bench.manifest import Item
from bench.pacing import Pacing, pcm_frames, replay
from bench.trace import CallTrace, Hyp

__all__ = ["DeepgramDriver", "results_hyp"]


def results_hyp(msg: dict[str, Any], at: float, legs: tuple[str, ...]) -> Hyp | None:
    """The hypothesis in one Deepgram `Results` message received at `at` (None: not a result, or empty)."""
    if msg.get("type") != "Results":
        return None
    channel = (msg.get("channel_index") or [0])[0]
    alternatives = (msg.get("channel") or {}).get("alternatives") or [{}]
    text = str(alternatives[0].get("transcript", "")).strip()
    if not text or not 0 <= channel < len(legs):
        return None
    start = float(msg.get("start", 0.0))
    return Hyp(
        "final" if msg.get("is_final") else "partial",
        at,
        legs[channel],
        text,
        start,
        start + float(msg.get("duration", 0.0)),
    )


@dataclass(frozen=True, slots=True)
class DeepgramDriver:
    """A Deepgram-compatible live endpoint (`ws://host/v1/listen` on callscribe), one stream per call."""

    url: str
    key: str
    drain_s: float = 60.0
    name: str = "deepgram"

    def query(self, item: Item, clip: Clip) -> str:
        params = {
            "model": "nova-3",
            "encoding": "linear16",
            "sample_rate": clip.rate,
            "channels": clip.channels,
            "language": item.lang,
            "interim_results": "true",
            "punctuate": "true",
        }
        if clip.channels == 2:
            params["multichannel"] = "true"
        return f"{self.url}?{urlencode(params)}"

    async def call(self, item: Item, clip: Clip, call_id: str, pacing: Pacing, clock: Clock) -> CallTrace:
        trace = CallTrace.empty(call_id, item.file, item.legs)
        trace.started = clock()
        try:
            async with websockets.connect(
                self.query(item, clip),
                max_size=None,
                open_timeout=30,
                additional_headers={"Authorization": f"Token {self.key}"},
            ) as ws:
                reader = asyncio.create_task(self._read(ws, trace, item.legs, clock))

                async def send(b: bytes) -> None:
                    await ws.send(b)

                await replay(
                    pcm_frames(clip.samples, clip.rate, pacing), send, list(trace.legs.values()), pacing, clock
                )
                await ws.send(json.dumps({"type": "CloseStream"}))
                try:
                    await asyncio.wait_for(reader, self.drain_s)
                except TimeoutError:
                    trace.errors.append(f"no end of stream within {self.drain_s:.0f} s")
                if ws.close_code not in (None, 1000):
                    trace.errors.append(f"closed {ws.close_code} {ws.close_reason}")
        except websockets.InvalidStatus as exc:
            trace.refused = exc.response.status_code in (429, 503)
            trace.errors.append(f"refused: HTTP {exc.response.status_code}")
        except (OSError, websockets.WebSocketException) as exc:
            trace.errors.append(f"{type(exc).__name__}: {exc}")
        trace.ended = clock()
        return trace

    @staticmethod
    async def _read(ws: Any, trace: CallTrace, legs: tuple[str, ...], clock: Clock) -> None:
        try:
            async for frame in ws:
                at = clock()
                msg = json.loads(frame)
                hyp = results_hyp(msg, at, legs)
                if hyp is not None:
                    trace.legs[hyp.leg].hyps.append(hyp)
                elif msg.get("type") == "Error":
                    trace.refused |= msg.get("variant") == "overloaded"
                    trace.errors.append(f"error {msg.get('variant')}")
                elif msg.get("type") == "Metadata":
                    return
        except websockets.ConnectionClosed:
            pass
