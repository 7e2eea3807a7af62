"""The process-wide pieces every call shares: engines, the scheduler, the VAD model, the call registry."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import structlog

from asr.engines import build_engines
from asr.scheduler import Scheduler
from asr.types import Transcriber
from gateway.config import ServerConfig
from gateway.core.bus import EventBus
from gateway.core.events import CallClosed, CallErased, CallEvent, CloseReason, EraseReason
from gateway.core.load import PartialCadence
from gateway.core.registry import CallRecord, CallRegistry
from gateway.telemetry import Telemetry
from gateway.vad_pump import VadPump
from protocol.errors import Overloaded, Unsupported
from store.backlog import WriteBacklog
from vad.endpointer import LegEndpointer
from vad.silero import SileroModel

log = structlog.get_logger("gateway.runtime")

ENDPOINT_MAX_MS = 5000
"""The longest endpoint silence a call may ask for (`Start.endpoint_ms`)."""


def _listener_failed(event: CallEvent, exc: Exception) -> None:
    log.error("listener_failed", event_type=type(event).__name__, exc_info=exc)


class Connection(Protocol):
    """A live call connection of any transport: shutdown asks it to flush its finals and close."""

    transport: str

    def request_drain(self) -> None: ...


class Runtime:
    """Owns shared state; built once at start-up (or by tests with engines they loaded themselves).

    The call lifecycle is decided here, once for every transport: `close_call` publishes `CallClosed`
    (exactly once per call), `erase_call` publishes `CallErased` and forgets the call's retained finals,
    and `sweep` closes the dropped calls whose resume window ran out (the lifespan runs it every second).
    """

    def __init__(
        self,
        config: ServerConfig,
        engines: Mapping[str, Transcriber],
        vad_model: SileroModel,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.engines = dict(engines)
        self.vad_model = vad_model
        self.scheduler = Scheduler(self.engines, config.batcher)
        self.telemetry = Telemetry()
        self.scheduler.observers.append(self.telemetry.on_batch)
        sc = config.session
        self.partial_cadence = PartialCadence(sc.partial_interval_s, sc.partial_lag_target_s, sc.partial_max_interval_s)
        """Stretches every leg's partial interval while partials come back late (all calls share the engine)."""
        self.vad_pump = VadPump(self.telemetry.stages, config.vad.batch_window_ms / 1000)
        self.registry = CallRegistry(config.resume_ttl_s, clock)
        self.bus = EventBus(_listener_failed)
        self.draining = False
        self.connections: set[Connection] = set()
        self.seq_source: Callable[[str, str], Awaitable[int | None]] | None = None
        """(tenant, call_id) -> the highest stored final seq; set when a store is open (resume after restart)."""
        self.refusals: dict[str, int] = {}
        self.store_degraded: Callable[[], bool] = lambda: False
        self.store_backlog: WriteBacklog[Any] | None = None  # the store's, for metrics (None: no store)
        """True while the store cannot record writes (disk full...): new calls are refused, health degraded."""
        """Calls refused at admission, by reason (metrics)."""

    @classmethod
    def load(cls, config: ServerConfig) -> Runtime:
        """Load the configured models (`asr.engines`) and the VAD."""
        models = (config.english_model, config.multilingual_model)
        return cls(config, build_engines(config.engine, models, config.remote), SileroModel.load())

    def engine_for(self, language: str) -> str:
        """Route a call's language to a loaded model; `unsupported` when none can serve it."""
        english, multi = self.config.english_model, self.config.multilingual_model
        if language == "en" and english is not None:
            return english
        if multi is not None:
            if language != "auto" and language not in self.engines[multi].languages:
                raise Unsupported(f"start.language: {language!r} is not supported by the loaded models")
            return multi
        raise Unsupported('start.language: only English is served by this gateway; send "en"')

    def languages(self) -> tuple[str, ...]:
        langs: set[str] = set()
        for engine in self.engines.values():
            langs.update(engine.languages)
        return tuple(sorted(langs))

    def refuse(self, reason: str, message: str) -> Overloaded:
        """Count a refused call by reason (metrics) and return the `overloaded` error to raise."""
        self.refusals[reason] = self.refusals.get(reason, 0) + 1
        self.telemetry.refusals.labels(reason=reason).inc()
        return Overloaded(message)

    def admission_refusal(self) -> Overloaded | None:
        """Why a new call cannot be taken now (draining, capacity, measured engine load), or None."""
        limits = self.config.limits
        if self.draining:
            return self.refuse("draining", "the gateway is shutting down; retry on another instance")
        if self.registry.live >= self.config.max_calls or self.scheduler.would_overload():
            return self.refuse("capacity", "the gateway cannot take another call now; retry later")
        if limits.max_final_wait_s is not None and self.telemetry.load.overloaded(
            self.telemetry.clock(), limits.max_final_wait_s
        ):
            return self.refuse("engine_load", "the engine is behind (finals are waiting); retry later")
        target = limits.max_final_p95_s
        p95 = self.telemetry.load.final_p95(self.telemetry.clock()) if target is not None else None
        if target is not None and p95 is not None and p95 > target:
            return self.refuse("latency", "the running calls are at their latency target; retry later")
        if self.store_degraded():
            return self.refuse("store_degraded", "the transcript store cannot record a call's consent now; retry later")
        return None

    def publish(self, event: CallEvent) -> None:
        """Hand a call event to every subscriber (captions, store, post-call work); never raises."""
        with self.telemetry.stages.timed("listeners"):
            self.bus.publish(event)

    def close_call(self, record: CallRecord, reason: CloseReason) -> None:
        """The call is over for good: publish `CallClosed` with its transcript, then release it."""
        if record.start is not None:
            self.publish(
                CallClosed(
                    record.tenant,
                    record.call_id,
                    reason,
                    record.start,
                    tuple(record.finals),
                    record.consent,
                    tuple(record.raw_texts),
                    record.started_at,
                )
            )
        self.registry.close(record, forget=reason is CloseReason.DECLINED)

    def erase_call(self, tenant: str, call_id: str, reason: EraseReason) -> None:
        """Drop every copy of the call's finals: the resume retention here, and each listener's."""
        self.registry.erase(tenant, call_id)
        self.publish(CallErased(tenant, call_id, reason))

    def sweep(self, now: float | None = None) -> int:
        """Close the dropped calls whose resume window ran out; returns how many."""
        expired = self.registry.expire(now)
        for record in expired:
            self.close_call(record, CloseReason.EXPIRED)
        return len(expired)

    def close_dropped(self) -> None:
        """Shutdown: no resume can reach this process any more; close every dropped call."""
        for record in self.registry.dropped():
            self.close_call(record, CloseReason.SHUTDOWN)

    def early_final_ok(self) -> bool:
        """Whether a paused utterance may be decoded ahead of its endpoint now: the engine has been busy less
        than `vad.early_final_max_busy` of its capacity over the last seconds, and a final submitted now
        would start at once. Under load an early decode that speech makes useless would only hold a worker."""
        share = self.config.vad.early_final_max_busy
        busy = self.telemetry.load.busy_ratio(self.telemetry.clock()) / max(1, self.scheduler.max_inflight)
        return busy < share and self.scheduler.has_room_for_final()

    def new_endpointer(self, endpoint_ms: int | None = None, language: str = "") -> LegEndpointer:
        """A leg's VAD for a call in `language` (`vad.pre_roll_ms_by_language`, `vad.post_roll_ms_by_language`);
        `endpoint_ms` (`Start.endpoint_ms`) sets its endpoint silence, kept within [`vad.post_roll_ms`,
        `ENDPOINT_MAX_MS`] (and the utterance length budget), for every utterance: the longer endpoint inside a
        turn (`vad.turn_silence_ms`) is then off, since the client asked for this one."""
        vad = self.config.vad.for_language(language)
        if endpoint_ms is not None:
            cap = min(ENDPOINT_MAX_MS, int(vad.max_utterance_s * 1000) - vad.pre_roll_ms - vad.min_speech_ms - 1)
            ms = min(max(endpoint_ms, vad.post_roll_ms), cap)
            vad = dataclasses.replace(vad, min_silence_ms=ms, turn_silence_ms=0)
        return LegEndpointer(self.vad_model, vad)
