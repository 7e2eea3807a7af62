"""A transcribe.v1 client that streams audio as a live call and records what comes back, with times.

Used by the `callscribe-stream` command, the end-to-end tests and the benchmark. Pacing follows the
monotonic clock: frame k is sent at t0 + k * frame_ms / pace (pace 0 = as fast as the socket takes it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import websockets

from bench.audio import Clip, encode
from protocol.codec import Mode, encode_client, parse_server
from protocol.messages import AudioChunk, AudioFormat, ClientMessage, Start, Stop


@dataclass(frozen=True, slots=True)
class Received:
    """A server message and the monotonic time it arrived."""

    at: float
    msg: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Action:
    """A control message to send once `at_s` seconds of audio have been sent."""

    at_s: float
    message: ClientMessage


@dataclass(slots=True)
class CallRun:
    """Everything one streamed call produced."""

    received: list[Received] = field(default_factory=list)
    sent: list[tuple[float, float]] = field(default_factory=list)  # (audio seconds sent, monotonic time)
    close_code: int | None = None
    close_reason: str = ""

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [r.msg for r in self.received if r.msg.get("type") == kind]

    @property
    def finals(self) -> list[dict[str, Any]]:
        return self.of_type("final")

    @property
    def partials(self) -> list[dict[str, Any]]:
        return self.of_type("partial")

    def sent_at(self, audio_s: float) -> float:
        """Monotonic time at which the audio up to `audio_s` had been sent."""
        for sent_s, at in self.sent:
            if sent_s >= audio_s - 1e-6:
                return at
        return self.sent[-1][1]


@dataclass(frozen=True, slots=True)
class StreamOptions:
    call_id: str = "call-1"
    encoding: str = "pcm_s16le"
    language: str = "en"
    mode: Mode = Mode.JSON
    pace: float = 1.0
    frame_ms: int = 20
    consent: str = "granted"
    legs: tuple[str, ...] | None = None
    interim_results: bool = True
    actions: Sequence[Action] = ()
    stop: bool = True
    resume_from: int | None = None
    redaction: str | None = None
    purposes: tuple[str, ...] = ()


async def stream_call(
    url: str, token: str, clip: Clip, options: StreamOptions, on_message: Callable[[Received], None] | None = None
) -> CallRun:
    """Stream `clip` as one call; returns after `closed` (or the server closing the socket)."""
    run = CallRun()
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(
        url, subprotocols=[websockets.Subprotocol(options.mode.value)], additional_headers=headers, max_size=None
    ) as ws:
        reader = asyncio.create_task(_read(ws, options.mode, run, on_message))
        await _send(ws, clip, options, run)
        await reader
        run.close_code = ws.close_code
        run.close_reason = ws.close_reason or ""
    return run


async def _send(ws: Any, clip: Clip, o: StreamOptions, run: CallRun) -> None:
    fmt = AudioFormat(o.encoding, clip.rate, clip.channels)  # type: ignore[arg-type]
    legs = o.legs or (("caller",) if clip.channels == 1 else ("agent", "caller"))
    start = Start(
        o.call_id,
        fmt,
        legs,
        o.language,
        o.purposes,
        o.consent,  # type: ignore[arg-type]
        o.interim_results,
        o.resume_from,
        o.redaction,  # type: ignore[arg-type]
    )
    await ws.send(encode_client(start, o.mode))
    step = max(1, clip.rate * o.frame_ms // 1000)
    actions = sorted(o.actions, key=lambda a: a.at_s)
    t0 = time.monotonic()
    try:
        for k, i in enumerate(range(0, len(clip.samples), step)):
            sent_s = i / clip.rate
            while actions and actions[0].at_s <= sent_s + 1e-9:
                await ws.send(encode_client(actions.pop(0).message, o.mode))
            if o.pace > 0:
                delay = t0 + k * o.frame_ms / 1000 / o.pace - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await ws.send(encode_client(AudioChunk(encode(clip.samples[i : i + step], o.encoding)), o.mode))
            run.sent.append((min(len(clip.samples), i + step) / clip.rate, time.monotonic()))
        for action in actions:
            await ws.send(encode_client(action.message, o.mode))
        if o.stop:
            await ws.send(encode_client(Stop(), o.mode))
    except websockets.ConnectionClosed:
        return  # the server closed early (an error): the reader has its reason


async def _read(ws: Any, mode: Mode, run: CallRun, on_message: Callable[[Received], None] | None) -> None:
    try:
        async for frame in ws:
            item = Received(time.monotonic(), parse_server(frame, mode))
            run.received.append(item)
            if on_message is not None:
                on_message(item)
    except websockets.ConnectionClosed:
        pass
