"""Drives one `CallSession` against the shared scheduler, for any transport (async shell).

A transport (the native WebSocket, a telephony adapter, a WebRTC peer) turns its input into protocol
client messages and hands them to `handle()`; every server message the call produces goes to the
transport's `emit` callback, and the call's lifecycle goes to the runtime's event bus
(`gateway.core.events`: `CallOpened`, `ConsentChanged`, `Sent`, `ConnectionClosed`; `CallClosed` and
`CallErased` through the runtime). The driver owns what all transports share: admission
(`overloaded`), the call registry (resume, one connection per call, no reuse of an ended call's id),
decode futures, the flush that never loses a final, and the call's log events.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from functools import partial

import structlog

from asr.types import DecodeResult
from gateway.core.effects import Decode, Effect, Send, Ticket
from gateway.core.events import CallOpened, CloseReason, ConnectionClosed, ConsentChanged, EraseReason, Sent
from gateway.core.format_check import FormatCheck, first_channel
from gateway.core.redaction import CallRedaction
from gateway.core.registry import CallEndedError, CallRecord
from gateway.core.session import CallSession
from gateway.runtime import Runtime
from gateway.takeover import stored_seq, take_over
from privacy import Policy
from protocol.errors import BadMessage, InternalError, ProtocolError
from protocol.messages import (
    AudioChunk,
    ClientMessage,
    ConsentState,
    ErrorMessage,
    Final,
    Finalize,
    Ready,
    ServerMessage,
    ServerWarning,
    Start,
    Stop,
)

log = structlog.get_logger("gateway.driver")

_STOP = Stop()
_FINALIZE = Finalize()


class CallDriver:
    """One call on one connection. `emit` receives every server message in order."""

    def __init__(
        self,
        runtime: Runtime,
        tenant: str,
        emit: Callable[[ServerMessage], None],
        transport: str = "native",
        resumable: bool = True,
    ) -> None:
        self.rt = runtime
        self.tenant = tenant
        self.resumable = resumable
        """Whether the transport can resume a dropped call (`resume_from`); if not, a drop ends the call."""
        self.transport = transport
        self._emit = emit
        self.session: CallSession | None = None
        self.record: CallRecord | None = None
        self.engine = ""
        self.session_id = uuid.uuid4().hex
        self._pending: set[asyncio.Future[DecodeResult | None]] = set()
        self._format: FormatCheck | None = None
        self.on_takeover: Callable[[], None] | None = None
        """Set by a transport that can be taken over: called when a `resume_from` reconnect of the same
        tenant wants this call (see `gateway.takeover`); the transport flushes and closes (4001)."""

    @property
    def started(self) -> bool:
        return self.session is not None

    async def handle(self, msg: ClientMessage) -> bool:
        """Apply one client message; True once the call is complete (after `stop`, `closed` sent)."""
        if self.session is None:
            if not isinstance(msg, Start):
                raise BadMessage(f"{type(msg).__name__.lower()}: the first message must be start")
            await take_over(self.rt, self.tenant, msg)
            self._begin(msg, await stored_seq(self.rt, self.tenant, msg))
            return False
        with self.rt.telemetry.stages.timed("session"):
            effects = self.session.receive(msg)
        self._apply(effects)
        if isinstance(msg, AudioChunk) and self._format is not None:
            self._check_format(msg.data)
        if self.session.stopping:
            await self.finish()
            return True
        return False

    def _begin(self, start: Start, stored_seq: int | None = None) -> None:
        rt = self.rt
        refusal = rt.admission_refusal()
        if refusal is not None:
            raise refusal
        quota = rt.config.limits.tenant_limit(self.tenant)
        if quota is not None and rt.registry.live_of(self.tenant) >= quota:
            raise rt.refuse("tenant_quota", "this tenant holds all the calls its quota allows; retry later")
        self.engine = rt.engine_for(start.language)
        rt.sweep()  # a dropped call whose resume window ran out is closed before its id is looked up
        known = rt.registry.get(self.tenant, start.call_id)
        if known is not None and known.phase == "dropped" and start.resume_from is None:
            raise BadMessage("start.call_id: this call dropped; resume it with resume_from or use a new call_id")
        try:
            record = rt.registry.open(self.tenant, start.call_id)
        except CallEndedError:
            raise BadMessage("start.call_id: this call has ended; a new call needs a new call_id") from None
        if record is None:
            raise BadMessage("start.call_id: this call is already streaming on another connection")
        self.record = record
        record.takeover = self.on_takeover
        if stored_seq is not None and record.connections == 1 and not record.finals:
            record.first_seq = max(record.first_seq, stored_seq + 1)  # after a restart: number on from the store
        if record.start is None:
            record.start, record.started_at = start, time.time()
        replay = [f for f in record.finals if start.resume_from is not None and f.seq > start.resume_from]
        prefix = f"r{record.connections - 1}-" if record.connections > 1 else ("s-" if stored_seq else "")
        policy = Policy(start.redaction or rt.config.redaction)
        special = start.special_categories or rt.config.special_categories
        self.session = CallSession(
            start,
            rt.config.session,
            partial(rt.new_endpointer, start.endpoint_ms, start.language),
            CallRedaction(start.language, policy, special, rt.config.number_rule()),
            first_seq=record.next_seq,
            uid_prefix=prefix,
            stages=rt.telemetry.stages,
            partial_interval=rt.partial_cadence.interval,
            vad_pending=self._vad_pending if rt.config.vad.batch_calls else None,
            early_final=rt.early_final_ok,
        )
        rt.publish(CallOpened(self.tenant, start.call_id, start, record.connections - 1, self.transport))
        if rt.config.limits.format_check:
            self._format = FormatCheck(start.audio.sample_rate, start.audio.encoding)
        if record.halted:
            self.session.halt_for_good()  # stopped on a special-category mention earlier in this call
        structlog.contextvars.bind_contextvars(session_id=self.session_id)
        log.info(
            "call_started",
            call_id=start.call_id,
            tenant=self.tenant,
            transport=self.transport,
            channels=start.audio.channels,
            encoding=start.audio.encoding,
            rate=start.audio.sample_rate,
            model=self.engine,
            consent=self.session.consent.state,
            resumed=len(replay),
        )
        self._send(Ready(self.session_id, start.call_id, self.session.consent.state, self.engine, rt.languages()))
        for final in replay:
            self._send(final)

    def _check_format(self, data: bytes) -> None:
        """Warn the client (once per symptom) when its audio does not fit the declared format."""
        assert self.session is not None and self._format is not None
        fmt = self.session.fmt
        samples = first_channel(fmt.encoding, fmt.channels, data)
        for text in self._format.feed(samples, len(samples) / fmt.sample_rate, self.rt.telemetry.clock()):
            log.info("format_warning", code="format_mismatch", encoding=fmt.encoding, rate=fmt.sample_rate)
            self._send(ServerWarning("format_mismatch", text, round(self.session.now, 3)))

    async def finish(self) -> None:
        """Flush every open utterance, wait for all finals, then send `closed` (no-op before start)."""
        if self.session is None:
            return
        if not self.session.stopping:
            self._apply(self.session.receive(_STOP))
        await self._wait_pending()
        self._send(self.session.closed())

    async def fail(self, exc: ProtocolError | InternalError) -> tuple[int, str]:
        """Deliver the finals already due, then the error; returns (close code, reason)."""
        log.info("stream_error", code=exc.code, close_code=exc.close_code)
        if self.session is not None and not isinstance(exc, InternalError):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._flush_quietly(), timeout=self.rt.config.drain_timeout_s)
        self._send(ErrorMessage(exc.code, str(exc)))
        return exc.close_code, exc.code

    async def flush_open(self) -> None:
        """Finalise the open utterances and wait for their finals (the call stays open and resumable)."""
        if self.session is not None and not self.session.stopping:
            await self._flush_quietly()

    async def _flush_quietly(self) -> None:
        assert self.session is not None
        if not self.session.declined:
            self._apply(self.session.receive(_FINALIZE))
        await self._wait_pending()

    async def _wait_pending(self) -> None:
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
            await asyncio.sleep(0)  # let done-callbacks run and emit their messages

    def end(self) -> None:
        """The connection is gone: log the call's counters; the call is closed or awaits a resume."""
        if self.session is None or self.record is None:
            return
        session, record = self.session, self.record
        c, rate = session.counters, session.fmt.sample_rate
        log.info(
            "call_ended",
            finals=c.finals_sent,
            partials=c.partials_sent,
            early_finals=c.early_decodes,
            early_used=c.early_used,
            consent=session.consent.state,
            audio_s=round(session.now, 2),
            dropped_s=round(c.dropped_samples / rate, 2),
        )
        record.counters = c
        record.takeover = None
        record.halted = record.halted or session.halted
        over = session.stopping or session.declined or not self.resumable
        self.rt.publish(ConnectionClosed(self.tenant, record.call_id, c.finals_sent, resumable=not over))
        if session.declined:
            self.rt.close_call(record, CloseReason.DECLINED)
        elif over:
            self.rt.close_call(record, CloseReason.SHUTDOWN if self.rt.draining else CloseReason.STOPPED)
        else:
            self.rt.registry.drop(record)
        structlog.contextvars.unbind_contextvars("session_id")

    # -- effects ------------------------------------------------------------------------------------

    def _vad_pending(self, session: CallSession) -> None:
        self.rt.vad_pump.want(session, self._apply)

    def _apply(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Send):
                self._send(effect.message, effect.raw_text)
            elif isinstance(effect, Decode):
                if effect.ticket.kind == "partial" and self.rt.scheduler.finals_waiting:
                    # finals are waiting for the engine: this partial would only delay them; the next
                    # one (0.5 s of speech later) covers the same audio
                    self.rt.scheduler.stats.partials_shed += 1
                    if self.session is not None:
                        self._apply(self.session.decoded(effect.ticket, None))
                    continue
                future = self.rt.scheduler.submit(self.engine, effect.request)
                self._pending.add(future)
                future.add_done_callback(partial(self._decoded, effect.ticket, self.rt.telemetry.clock()))

    def _decoded(self, ticket: Ticket, submitted: float, future: asyncio.Future[DecodeResult | None]) -> None:
        self._pending.discard(future)
        if self.session is None:
            return
        if not future.cancelled() and future.exception() is None and future.result() is not None:
            telemetry = self.rt.telemetry
            now = telemetry.clock()
            if ticket.kind == "partial":
                telemetry.partial_lag.observe(now - submitted)
                self.rt.partial_cadence.observe(now - submitted)
            else:
                telemetry.final_latency.observe(now - submitted)
                telemetry.load.observe_final(now, now - submitted)
        if future.cancelled() or future.exception() is not None:
            if ticket.kind == "final":
                self._send(ErrorMessage("internal", "an utterance could not be transcribed"))
                self._apply(self.session.decoded(ticket, None))  # later finals of the leg need not wait for it
            elif ticket.kind == "early":
                self._apply(self.session.decoded(ticket, None))  # its utterance's final is requested again
            return
        with self.rt.telemetry.stages.timed("results"):
            effects = self.session.decoded(ticket, future.result())
        self._apply(effects)

    def _send(self, msg: ServerMessage, raw_text: str | None = None) -> None:
        record = self.record
        if record is not None:
            if isinstance(msg, Final) and msg.seq >= record.next_seq:
                record.finals.append(msg)  # replayed finals (resume) are already there
                record.raw_texts.append(raw_text)
            self.rt.publish(Sent(self.tenant, record.call_id, msg, raw_text))
            if isinstance(msg, Ready | ConsentState):
                self._consent_changed(record, msg)
        self._emit(msg)

    def _consent_changed(self, record: CallRecord, msg: Ready | ConsentState) -> None:
        """Publish the typed consent state; a decline erases the call, decided here for every listener."""
        if isinstance(msg, Ready):
            state, at, announcement, initial = msg.consent, 0.0, None, True
        else:
            state, at, announcement, initial = msg.state, msg.at, msg.announcement, False
        first_decline = state == "declined" and record.consent != "declined"
        record.consent = state
        self.rt.publish(ConsentChanged(self.tenant, record.call_id, state, at, announcement, initial))
        if first_decline:
            self.rt.erase_call(self.tenant, record.call_id, EraseReason.DECLINED)
