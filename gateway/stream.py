"""The async shell of one `/v1/stream` connection: pumps frames into a `CallSession`, results out.

It owns the deadlines (idle timeout, shutdown drain) and the futures of the shared scheduler; every
protocol decision is the session's. Outbound messages go through one sender task so that messages
produced by scheduler callbacks keep their order.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import MutableMapping
from functools import partial
from typing import Any

import structlog
from starlette.websockets import WebSocket, WebSocketDisconnect

from asr.types import DecodeResult
from gateway.registry import CallRecord
from gateway.runtime import Runtime
from gateway.session import CallSession, Decode, Effect, Send, Ticket
from protocol.codec import Mode, encode_server, parse_binary, parse_text
from protocol.errors import BadMessage, InternalError, Overloaded, ProtocolError, TooLarge
from protocol.messages import ErrorMessage, Final, Finalize, Ready, ServerMessage, Start, Stop

log = structlog.get_logger("gateway.stream")

_STOP = Stop()
_FINALIZE = Finalize()

_Frame = MutableMapping[str, Any]


class StreamConnection:
    """One accepted WebSocket speaking transcribe.v1 in `mode`, for `tenant`."""

    def __init__(self, ws: WebSocket, runtime: Runtime, mode: Mode, tenant: str) -> None:
        self.ws = ws
        self.rt = runtime
        self.mode = mode
        self.tenant = tenant
        self.session: CallSession | None = None
        self.record: CallRecord | None = None
        self.engine = ""
        self._out: asyncio.Queue[ServerMessage | None] = asyncio.Queue()
        self._pending: set[asyncio.Future[DecodeResult | None]] = set()
        self._closing = False
        self._drain = asyncio.Event()

    # -- lifecycle ----------------------------------------------------------------------------------

    async def run(self) -> None:
        sender = asyncio.create_task(self._sender())
        self.rt.connections.add(self)
        close_code, reason = 1000, ""
        try:
            close_code, reason = await self._receive_loop()
        except WebSocketDisconnect:
            close_code = -1
        except ProtocolError as exc:
            close_code, reason = await self._fail(exc)
        except Exception as exc:  # our bug: tell the client 'internal', log once with the traceback
            log.error("stream_internal_error", exc_info=exc)
            close_code, reason = await self._fail(InternalError("internal error"))
        finally:
            self.rt.connections.discard(self)
            await self._out.put(None)
            await sender
            self._end_call()
            if close_code >= 0:
                with contextlib.suppress(Exception):
                    await self.ws.close(close_code, reason)

    def request_drain(self) -> None:
        """Shutdown: flush finals, send `closed`, close with 1001."""
        self._drain.set()

    async def _receive_loop(self) -> tuple[int, str]:
        idle = self.rt.config.idle_timeout_s
        while True:
            receive = asyncio.ensure_future(self.ws.receive())
            drain = asyncio.ensure_future(self._drain.wait())
            done, _ = await asyncio.wait({receive, drain}, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
            if receive not in done:
                receive.cancel()
                drain.cancel()
                reason = "shutting down" if drain in done else "idle timeout"
                if self.session is not None:
                    await self._finish()
                return (1001, reason) if drain in done else (1000, reason)
            drain.cancel()
            frame: _Frame = receive.result()
            if frame["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(frame.get("code", 1000))
            if await self._frame(frame):
                return 1000, ""

    async def _frame(self, frame: _Frame) -> bool:
        """Handle one frame; True when the stream is complete (after `stop`)."""
        text, data = frame.get("text"), frame.get("bytes")
        size = len(text.encode()) if text is not None else len(data or b"")
        if size > self.rt.config.max_frame_bytes:
            raise TooLarge(f"frame of {size} bytes exceeds the limit of {self.rt.config.max_frame_bytes}")
        msg = parse_text(text, self.mode) if text is not None else parse_binary(data or b"", self.mode)
        if self.session is None:
            if not isinstance(msg, Start):
                raise BadMessage(f"{type(msg).__name__.lower()}: the first message must be start")
            self._begin(msg)
            return False
        self._apply(self.session.receive(msg))
        if self.session.stopping:
            await self._finish()
            return True
        return False

    # -- call start / end ---------------------------------------------------------------------------

    def _begin(self, start: Start) -> None:
        rt = self.rt
        if rt.draining or rt.registry.live >= rt.config.max_calls or rt.scheduler.would_overload():
            raise Overloaded("the gateway cannot take another call now; retry later")
        self.engine = rt.engine_for(start.language)
        record = rt.registry.open(self.tenant, start.call_id)
        if record is None:
            raise BadMessage("start.call_id: this call is already streaming on another connection")
        self.record = record
        replay = [f for f in record.finals if start.resume_from is not None and f.seq > start.resume_from]
        prefix = f"r{record.connections - 1}-" if record.connections > 1 else ""
        self.session = CallSession(start, rt.config.session, rt.new_endpointer, first_seq=record.next_seq,
                                   uid_prefix=prefix)
        session_id = uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(session_id=session_id)
        log.info("call_started", call_id=start.call_id, tenant=self.tenant, channels=start.audio.channels,
                 encoding=start.audio.encoding, rate=start.audio.sample_rate, model=self.engine,
                 consent=self.session.consent.state, resumed=len(replay))
        self._send(Ready(session_id, start.call_id, self.session.consent.state, self.engine, rt.languages()))
        for final in replay:
            self._send(final)

    async def _finish(self) -> None:
        """Flush every open utterance, wait for all finals, then send `closed`."""
        assert self.session is not None
        if not self.session.stopping:
            self._apply(self.session.receive(_STOP))
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
            await asyncio.sleep(0)  # let done-callbacks run and queue their messages
        self._send(self.session.closed())

    def _end_call(self) -> None:
        if self.session is None or self.record is None:
            return
        c, rate = self.session.counters, self.session.fmt.sample_rate
        log.info("call_ended", finals=c.finals_sent, partials=c.partials_sent,
                 consent=self.session.consent.state, audio_s=round(self.session.now, 2),
                 dropped_s=round(c.dropped_samples / rate, 2))
        self.record.counters = c
        self.rt.registry.close(self.record, erase=self.session.declined)
        structlog.contextvars.unbind_contextvars("session_id")

    async def _fail(self, exc: ProtocolError | InternalError) -> tuple[int, str]:
        """Deliver the finals already due, then the error; returns the close code."""
        log.info("stream_error", code=exc.code, close_code=exc.close_code)
        if self.session is not None and not isinstance(exc, InternalError):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._finish_quietly(), timeout=self.rt.config.drain_timeout_s)
        self._send(ErrorMessage(exc.code, str(exc)))
        return exc.close_code, exc.code

    async def _finish_quietly(self) -> None:
        assert self.session is not None
        if not self.session.declined:
            self._apply(self.session.receive(_FINALIZE))
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
            await asyncio.sleep(0)

    # -- effects ------------------------------------------------------------------------------------

    def _apply(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Send):
                self._send(effect.message)
            elif isinstance(effect, Decode):
                self._submit(effect)

    def _submit(self, effect: Decode) -> None:
        future = self.rt.scheduler.submit(self.engine, effect.request)
        self._pending.add(future)
        future.add_done_callback(partial(self._decoded, effect.ticket))

    def _decoded(self, ticket: Ticket, future: asyncio.Future[DecodeResult | None]) -> None:
        self._pending.discard(future)
        if self.session is None:
            return
        if future.cancelled() or future.exception() is not None:
            if ticket.kind == "final":
                self._send(ErrorMessage("internal", "an utterance could not be transcribed"))
            return
        self._apply(self.session.decoded(ticket, future.result()))

    def _send(self, msg: ServerMessage) -> None:
        if isinstance(msg, Final) and self.record is not None:
            self.record.finals.append(msg)
        self._out.put_nowait(msg)

    async def _sender(self) -> None:
        while (msg := await self._out.get()) is not None:
            frame = encode_server(msg, self.mode)
            try:
                if isinstance(frame, str):
                    await self.ws.send_text(frame)
                else:
                    await self.ws.send_bytes(frame)
            except Exception:  # the peer is gone: keep draining so nobody waits on us
                continue

