"""The async shell of one `/v1/stream` connection: frames in, a `CallDriver`, messages out.

It owns the deadlines (idle timeout, shutdown drain) and the wire codec; the call itself is the
driver's. Outbound messages go through one sender task so that messages produced by scheduler
callbacks keep their order.

However the receive loop ends, `on_end(reason)` runs once before the socket closes: "stop" (the call
completed), "peer_closed" (the client closed the socket), "idle" (the idle timeout) or "drain" (shutdown).
Transports that buffer input (telephony adapters) override it to flush what they hold first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import MutableMapping
from typing import Any, Literal

import structlog
from starlette.websockets import WebSocket, WebSocketDisconnect

from gateway.driver import CallDriver
from gateway.runtime import Runtime
from protocol.codec import Mode, encode_server, parse_binary, parse_text
from protocol.errors import InternalError, ProtocolError, TooLarge
from protocol.messages import ServerMessage

log = structlog.get_logger("gateway.stream")

_Frame = MutableMapping[str, Any]
EndReason = Literal["stop", "peer_closed", "idle", "drain"]
"""Why a connection's receive loop ended (the argument of `WebSocketShell.on_end`)."""


_CLOSES: dict[EndReason, tuple[int, str]] = {
    "stop": (1000, ""), "idle": (1000, "idle timeout"), "drain": (1001, "shutting down")}


class WebSocketShell:
    """Shared WebSocket plumbing: ordered sender, idle/drain deadlines, error-to-close mapping.

    Subclasses turn one received frame into client messages (`on_frame`) and server messages into
    outbound frames (`frames_for`).
    """

    transport = "native"

    def __init__(self, ws: WebSocket, runtime: Runtime, tenant: str) -> None:
        self.ws = ws
        self.rt = runtime
        self._out: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self._drain = asyncio.Event()
        self.driver = CallDriver(runtime, tenant, self._emit, self.transport)

    def frames_for(self, msg: ServerMessage) -> list[str | bytes]:
        raise NotImplementedError

    async def on_frame(self, text: str | None, data: bytes | None) -> bool:
        """Handle one frame; True when the call is complete."""
        raise NotImplementedError

    async def on_end(self, reason: EndReason) -> None:
        """The receive loop ended for `reason`; runs before the socket closes (errors take `fail` instead).

        Default: on "idle" and "drain" flush the open utterances and send `closed` (the socket is still
        open). After "stop" the driver has finished already; after "peer_closed" nothing is flushed, so a
        native client that dropped can resume the call (`resume_from`).
        """
        if reason in ("idle", "drain"):
            await self.driver.finish()

    def _emit(self, msg: ServerMessage) -> None:
        for frame in self.frames_for(msg):
            self._out.put_nowait(frame)

    def queue_frames(self, frames: list[str | bytes]) -> None:
        for frame in frames:
            self._out.put_nowait(frame)

    def request_drain(self) -> None:
        """Shutdown: flush finals, send `closed`, close with 1001."""
        self._drain.set()

    async def run(self) -> None:
        sender = asyncio.create_task(self._sender())
        self.rt.connections.add(self)
        close_code, reason = 1000, ""
        try:
            close_code, reason = await self._serve()
        except WebSocketDisconnect:
            close_code = -1
        except ProtocolError as exc:
            close_code, reason = await self.driver.fail(exc)
        except Exception as exc:  # our bug: tell the client 'internal', log once with the traceback
            log.error("stream_internal_error", exc_info=exc)
            close_code, reason = await self.driver.fail(InternalError("internal error"))
        finally:
            self.rt.connections.discard(self)
            await self._out.put(None)
            await sender
            self.driver.end()
            if close_code >= 0:
                with contextlib.suppress(Exception):
                    await self.ws.close(close_code, reason)

    async def _serve(self) -> tuple[int, str]:
        """Receive until the call ends, run `on_end`, and return the close code and reason."""
        try:
            end = await self._receive_loop()
        except WebSocketDisconnect:
            await self.on_end("peer_closed")
            raise
        await self.on_end(end)
        return _CLOSES[end]

    async def _receive_loop(self) -> EndReason:
        idle = self.rt.config.idle_timeout_s
        while True:
            receive = asyncio.ensure_future(self.ws.receive())
            drain = asyncio.ensure_future(self._drain.wait())
            done, _ = await asyncio.wait({receive, drain}, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
            drain.cancel()
            if receive not in done:
                receive.cancel()
                return "drain" if drain in done else "idle"
            frame: _Frame = receive.result()
            if frame["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(frame.get("code", 1000))
            text, data = frame.get("text"), frame.get("bytes")
            size = len(text.encode()) if text is not None else len(data or b"")
            if size > self.rt.config.max_frame_bytes:
                raise TooLarge(f"frame of {size} bytes exceeds the limit of {self.rt.config.max_frame_bytes}")
            if await self.on_frame(text, data):
                return "stop"

    async def _sender(self) -> None:
        while (frame := await self._out.get()) is not None:
            try:
                if isinstance(frame, str):
                    await self.ws.send_text(frame)
                else:
                    await self.ws.send_bytes(frame)
            except Exception:  # the peer is gone: keep draining so nobody waits on us
                continue


class StreamConnection(WebSocketShell):
    """One accepted WebSocket speaking transcribe.v1 in `mode`."""

    def __init__(self, ws: WebSocket, runtime: Runtime, mode: Mode, tenant: str) -> None:
        self.mode = mode
        super().__init__(ws, runtime, tenant)

    def frames_for(self, msg: ServerMessage) -> list[str | bytes]:
        return [encode_server(msg, self.mode)]

    async def on_frame(self, text: str | None, data: bytes | None) -> bool:
        msg = parse_text(text, self.mode) if text is not None else parse_binary(data or b"", self.mode)
        return await self.driver.handle(msg)
