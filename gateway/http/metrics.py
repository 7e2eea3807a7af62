"""`/metrics`: the runtime's Prometheus registry (prometheus-client), no transcript content, ever.

`gateway.telemetry` holds the histograms observed during calls; `RuntimeCollector` reads, at scrape
time, the gauges and counters that live in the runtime: scheduler stats, engine busy ratio, connections
per transport, the caption hub, admission refusals by reason and the store's write backlog.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.consent_metrics import ConsentOutcomes
from gateway.http.captions import service_for
from gateway.runtime import Runtime
from gateway.transports import TRANSPORTS

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_REFUSAL_REASONS = ("capacity", "draining", "engine_load", "store_degraded", "tenant_quota")


def render(rt: Runtime) -> bytes:
    """The /metrics body in Prometheus text format 0.0.4."""
    telemetry = rt.telemetry
    if not telemetry.collector_attached:
        telemetry.registry.register(RuntimeCollector(rt))
        telemetry.collector_attached = True
        for reason in _REFUSAL_REASONS:  # every reason is exported from the start, at 0
            telemetry.refusals.labels(reason=reason)
    return generate_latest(telemetry.registry)


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=value)


def _counter(name: str, help_text: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, help_text, value=value)


def _consent_outcomes(rt: Runtime) -> Iterator[Metric]:
    """`callscribe_consent_outcomes_total{tenant,announcement,state}` (gateway.consent_metrics)."""
    outcomes = next((fn for fn in rt.bus.listeners if isinstance(fn, ConsentOutcomes)), None)
    if outcomes is None:
        return
    family = CounterMetricFamily(
        "callscribe_consent_outcomes",
        "Consent state changes by tenant, announcement version and state (never by caller).",
        labels=["tenant", "announcement", "state"],
    )
    for (tenant, announcement, state), count in sorted(outcomes.counts.items()):
        family.add_metric([tenant, announcement, state], count)
    yield family


class RuntimeCollector(Collector):
    """Reads the runtime's own counters at scrape time (see the module doc)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def _consent(self) -> Iterator[Metric]:
        yield from _consent_outcomes(self.rt)

    def collect(self) -> Iterator[Metric]:
        yield from self._scheduler()
        yield self._connections()
        yield from self._captions()
        yield from self._store()
        yield from self._consent()
        yield self._stages()
        yield self._fallbacks()

    def _fallbacks(self) -> Metric:
        """Finals re-decoded by temperature fallback, by the guard that failed (local engines only)."""
        family = CounterMetricFamily(
            "callscribe_fallback_finals",
            "Finals decoded again: temperature fallback by failed guard, or without their context (context).",
            labels=["reason"],
        )
        counts: Counter[str] = Counter()
        for engine in self.rt.engines.values():
            counts.update(getattr(engine, "fallbacks", {}))
        for reason, count in sorted(counts.items()):
            family.add_metric([reason], count)
        return family

    def _stages(self) -> Metric:
        """Wall seconds and count per stage (gateway.core.stages), for `python -m bench.profile`."""
        stages = self.rt.telemetry.stages
        family = CounterMetricFamily(
            "callscribe_stage_seconds", "Wall seconds spent per stage (engine stages: on the worker).", labels=["stage"]
        )
        for stage, seconds in stages.seconds.items():
            family.add_metric([stage], seconds)
        return family

    def _scheduler(self) -> Iterator[Metric]:
        rt, s = self.rt, self.rt.scheduler.stats
        yield _gauge("callscribe_calls_live", "Calls streaming now.", rt.registry.live)
        yield _gauge("callscribe_scheduler_queued", "Decode requests waiting.", rt.scheduler.queued)
        yield _gauge(
            "callscribe_engine_busy_ratio",
            "Share of the last 10 s the engine spent decoding.",
            rt.telemetry.load.busy_ratio(rt.telemetry.clock()),
        )
        for name, help_text, value in (
            ("callscribe_batches_total", "Engine calls.", s.batches),
            ("callscribe_decode_requests_total", "Requests decoded.", s.requests),
            ("callscribe_finals_decoded_total", "Final requests decoded.", s.finals),
            ("callscribe_partials_decoded_total", "Partial requests decoded.", s.partials),
            ("callscribe_partials_replaced_total", "Partials replaced by newer ones.", s.replaced),
            ("callscribe_partials_shed_total", "Partials not decoded because finals were waiting.", s.partials_shed),
            ("callscribe_decode_failures_total", "Requests whose engine call failed.", s.failed),
            ("callscribe_multi_call_batches_total", "Batches holding more than one call.", s.multi_call_batches),
            ("callscribe_engine_busy_seconds_total", "Wall seconds the engine worked.", s.busy_seconds),
            ("callscribe_engine_audio_seconds_total", "Audio seconds decoded.", s.audio_seconds),
            ("callscribe_vad_runs_total", "onnxruntime VAD batches (all calls' legs together).", rt.vad_pump.runs),
            ("callscribe_vad_jobs_total", "Leg stretches scored in those batches.", rt.vad_pump.jobs),
        ):
            yield _counter(name, help_text, value)

    def _connections(self) -> Metric:
        """Open connections by transport (every connection class names its `transport`)."""
        counts = Counter(conn.transport for conn in list(self.rt.connections))
        family = GaugeMetricFamily(
            "callscribe_connections_open", "Connections open now, by transport.", labels=["transport"]
        )
        for name in [*TRANSPORTS, *sorted(set(counts) - set(TRANSPORTS))]:
            family.add_metric([name], counts[name])
        return family

    def _captions(self) -> Iterator[Metric]:
        """The caption hub's viewer gauge and counters; none when the captions feature is not wired."""
        service = service_for(self.rt)
        if service is None:
            return
        c = service.hub.counters
        yield _gauge("callscribe_caption_viewers", "Caption viewers connected now.", service.hub.viewers_live)
        for name, help_text, value in (
            ("callscribe_caption_viewers_subscribed_total", "Caption viewers accepted.", c.viewers_subscribed),
            (
                "callscribe_caption_viewers_evicted_total",
                "Caption viewers closed as too slow (1013).",
                c.viewers_evicted,
            ),
            (
                "callscribe_caption_partials_dropped_total",
                "Partials dropped from full viewer queues.",
                c.partials_dropped,
            ),
            (
                "callscribe_caption_partials_coalesced_total",
                "Queued partials replaced by a newer one of the same utterance.",
                c.partials_coalesced,
            ),
            ("callscribe_caption_frames_queued_total", "Frames queued for caption viewers.", c.frames_queued),
        ):
            yield _counter(name, help_text, value)

    def _store(self) -> Iterator[Metric]:
        """The store's write backlog (none when storage is off)."""
        backlog = self.rt.store_backlog
        if backlog is None:
            return
        yield _gauge(
            "callscribe_store_pending_writes", "Writes waiting for the database (disk full...).", backlog.pending
        )
        yield _counter("callscribe_store_write_failures_total", "Store write attempts that failed.", backlog.failures)
        yield _counter(
            "callscribe_store_writes_lost_total",
            "Store writes given up (bounded backlog full, or a non-transient failure).",
            backlog.dropped,
        )
