"""What every transport shares (async shell): the input race, the guarded run, the bounded sender.

Theory of operation. A transport turns its input (WebSocket frames, TCP bytes, a WebRTC inbox) into
protocol client messages for its `CallDriver`, and the driver's server messages into outbound frames.
Three things are the same whatever the transport, and live here once:

* `next_input` races the next input against the shutdown drain (and, for transports that learn of a
  hang-up out of band, a `gone` event) under the idle limit, and says which came first;
* `guarded` runs a connection's body and maps what escapes it to the driver's error path: a
  `ProtocolError` is the peer's fault (its code and close code), anything else is our bug (logged once
  with the traceback, `internal` 1011 to the peer);
* `OrderedSender` delivers outbound frames in order from one task, with a bound: a peer that stops
  reading is cut off with `overloaded` (1013) instead of growing the queue without limit.

`WebSocketShell` puts these together for the WebSocket transports (native and the media-server
adapters): however its receive loop ends, `on_end(reason)` runs once before the socket closes: "stop"
(the call completed), "peer_closed" (the client closed the socket), "idle" (the idle timeout) or
"drain" (shutdown). Transports that buffer input (telephony adapters) override it to flush what they
hold first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Literal, TypeVar

import structlog
from starlette.websockets import WebSocket, WebSocketDisconnect

from gateway.core.pacing import AudioPacer
from gateway.driver import CallDriver
from gateway.runtime import Runtime
from gateway.takeover import TAKEOVER_CLOSE
from protocol.errors import InternalError, ProtocolError, TooLarge
from protocol.messages import ServerMessage

log = structlog.get_logger("gateway.transports")

T = TypeVar("T")
_Frame = MutableMapping[str, Any]
EndReason = Literal["stop", "peer_closed", "idle", "drain", "takeover"]
"""Why a connection's receive loop ended (the argument of `WebSocketShell.on_end`)."""
Interrupt = Literal["idle", "drain", "gone"]
"""What `next_input` returns instead of an input."""

_CLOSES: dict[EndReason, tuple[int, str]] = {
    "stop": (1000, ""),
    "idle": (1000, "idle timeout"),
    "drain": (1001, "shutting down"),
    "takeover": TAKEOVER_CLOSE,
}
_SETTLE_S = 2.0  # a taken-over peer (frozen network) gets this long to take its last frames
SLOW_PEER = (1013, "client too slow")
"""Close code and reason for a peer that stopped reading its outbound frames."""


async def next_input(
    source: Awaitable[T], idle_s: float, drain: asyncio.Event, gone: asyncio.Event | None = None
) -> T | Interrupt:
    """The next input, or what came first instead: the drain, the peer's hang-up, or `idle_s` of nothing."""
    receive = asyncio.ensure_future(source)
    stops = {asyncio.ensure_future(drain.wait()): "drain"}
    if gone is not None:
        stops[asyncio.ensure_future(gone.wait())] = "gone"
    done, _ = await asyncio.wait({receive, *stops}, timeout=idle_s, return_when=asyncio.FIRST_COMPLETED)
    for waiter in stops:
        waiter.cancel()
    if receive in done:
        return receive.result()
    receive.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await receive
    for waiter, name in stops.items():
        if waiter in done:
            return "drain" if name == "drain" else "gone"
    return "idle"


async def guarded(driver: CallDriver, body: Awaitable[T], event: str) -> T | tuple[int, str]:
    """Run `body`; on an error deliver the finals already due and the error, and return (close code, reason)."""
    try:
        return await body
    except ProtocolError as exc:
        return await driver.fail(exc)
    except Exception as exc:  # our bug: tell the peer 'internal', log once with the traceback
        log.error(event, exc_info=exc)
        return await driver.fail(InternalError("internal error"))


def new_pacer(runtime: Runtime) -> AudioPacer | None:
    """The connection's pacer (`limits.audio_burst_s`, `limits.max_audio_speed`); None when pacing is off."""
    limits = runtime.config.limits
    return None if limits.max_audio_speed is None else AudioPacer(limits.audio_burst_s, limits.max_audio_speed)


async def pace(pacer: AudioPacer | None, driver: CallDriver, wake: asyncio.Event) -> None:
    """Stop reading a peer that runs ahead of real time beyond its burst (`gateway.core.pacing`): not reading
    lets TCP flow control hold the sender back. `wake` (drain, takeover) ends the pause early."""
    session = driver.session
    if pacer is None or session is None:
        return
    delay = pacer.delay(session.now, asyncio.get_running_loop().time())
    if delay > 0:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(wake.wait(), delay)


class OrderedSender:
    """One task sends queued frames in order; more than `max_frames` waiting marks the peer too slow."""

    def __init__(self, send: Callable[[str | bytes], Awaitable[None]], max_frames: int) -> None:
        self._send = send
        self._max = max_frames
        self._frames: deque[str | bytes] = deque()
        self._ready = asyncio.Event()
        self._closed = False
        self.overflowed = asyncio.Event()
        """Set once the bound was exceeded: the shell closes the connection with `SLOW_PEER`."""

    def put(self, frame: str | bytes) -> None:
        """Queue a frame (never blocks); past the bound the frame is refused and `overflowed` is set."""
        if self._closed or self.overflowed.is_set():
            return
        if len(self._frames) >= self._max:
            self.overflowed.set()
            return
        self._frames.append(frame)
        self._ready.set()

    async def run(self) -> None:
        """Send until `close()` and every frame queued before it is sent (or the peer is gone)."""
        while True:
            while self._frames:
                frame = self._frames.popleft()
                with contextlib.suppress(Exception):  # the peer is gone: keep draining so nobody waits
                    await self._send(frame)
            if self._closed or self.overflowed.is_set():
                return
            self._ready.clear()
            await self._ready.wait()

    def close(self) -> None:
        self._closed = True
        self._ready.set()


class WebSocketShell:
    """Shared WebSocket plumbing: ordered sender, idle/drain deadlines, error-to-close mapping.

    Subclasses turn one received frame into client messages (`on_frame`) and server messages into
    outbound frames (`frames_for`).
    """

    transport = "native"

    def __init__(self, ws: WebSocket, runtime: Runtime, tenant: str) -> None:
        self.ws = ws
        self.rt = runtime
        self._out = OrderedSender(self._send_frame, runtime.config.max_outbound_frames)
        self._drain = asyncio.Event()
        self.driver = CallDriver(runtime, tenant, self._emit, self.transport)
        self.idle_timeout_s = runtime.config.idle_timeout_s
        """Seconds of no input at all after which the connection is flushed and closed (per entry point)."""
        self._taken_over = False
        self.pacer = new_pacer(runtime)
        self.driver.on_takeover = self._take_over

    def frames_for(self, msg: ServerMessage) -> list[str | bytes]:
        raise NotImplementedError

    async def on_frame(self, text: str | None, data: bytes | None) -> bool:
        """Handle one frame; True when the call is complete."""
        raise NotImplementedError

    async def on_end(self, reason: EndReason) -> None:
        """The receive loop ended for `reason`; runs before the socket closes (errors take `fail` instead).

        Default: on "idle" and "drain" flush the open utterances and send `closed` (the socket is still
        open). After "stop" the driver has finished already; after "peer_closed" and "takeover" the open
        utterance is finalised (its final reaches the store, captions and a resume's replay) without
        `closed`, so the call stays resumable (`resume_from`).
        """
        if reason in ("idle", "drain"):
            await self.driver.finish()
        elif reason in ("peer_closed", "takeover"):
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.driver.flush_open(), self.rt.config.drain_timeout_s)

    def _take_over(self) -> None:
        """A `resume_from` reconnect takes this call: end the receive loop, flush, close 4001."""
        self._taken_over = True
        self._drain.set()

    def _emit(self, msg: ServerMessage) -> None:
        with self.rt.telemetry.stages.timed("wire_out"):
            frames = self.frames_for(msg)
        self.queue_frames(frames)

    def queue_frames(self, frames: list[str | bytes]) -> None:
        for frame in frames:
            self._out.put(frame)

    async def _send_frame(self, frame: str | bytes) -> None:
        if isinstance(frame, str):
            await self.ws.send_text(frame)
        else:
            await self.ws.send_bytes(frame)

    def request_drain(self) -> None:
        """Shutdown: flush finals, send `closed`, close with 1001."""
        self._drain.set()

    async def run(self) -> None:
        sender = asyncio.create_task(self._out.run())
        self.rt.connections.add(self)
        close: tuple[int, str] | None = (1000, "")
        try:
            close = await guarded(self.driver, self._serve(), "stream_internal_error")
        finally:
            self.rt.connections.discard(self)
            self._out.close()
            await self._settle(sender)
            self.driver.end()
            if self._out.overflowed.is_set():
                log.info("slow_peer_closed", transport=self.transport)
                close = SLOW_PEER
            if close is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.ws.close(*close), _SETTLE_S if self._taken_over else None)

    async def _settle(self, sender: asyncio.Task[None]) -> None:
        """Wait for the sender; a taken-over peer may not read any more, so it gets `_SETTLE_S` at most."""
        if not self._taken_over:
            await sender
            return
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(sender, _SETTLE_S)

    async def _serve(self) -> tuple[int, str] | None:
        """Receive until the call ends, run `on_end`; the close code and reason (None: the peer is gone)."""
        try:
            end = await self._receive_loop()
        except WebSocketDisconnect:
            await self.on_end("peer_closed")
            return None
        await self.on_end(end)
        return self.close_for(end)

    def close_for(self, end: EndReason) -> tuple[int, str]:
        """The close code and reason after the receive loop ended for `end`."""
        return _CLOSES[end]

    async def _receive_loop(self) -> EndReason:
        limit = self.rt.config.max_frame_bytes
        while True:
            frame = await next_input(self.ws.receive(), self.idle_timeout_s, self._drain, self._out.overflowed)
            if frame == "gone":  # the peer stopped reading: end the call as if it had hung up
                raise WebSocketDisconnect(1013)
            if isinstance(frame, str):
                return ("takeover" if self._taken_over else "drain") if frame == "drain" else "idle"
            if frame["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(frame.get("code", 1000))
            text, data = frame.get("text"), frame.get("bytes")
            size = len(text.encode()) if text is not None else len(data or b"")
            if size > limit:
                raise TooLarge(f"frame of {size} bytes exceeds the limit of {limit}")
            if await self.on_frame(text, data):
                return "stop"
            await self._pace()

    async def _pace(self) -> None:
        await pace(self.pacer, self.driver, self._drain)
