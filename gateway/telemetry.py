"""The gateway's Prometheus metrics (prometheus-client): one registry per runtime, no text or caller ever.

Histograms are observed where things happen (the scheduler's batch reports, the driver's finals and
partials); the gauges and counters that already live in the runtime (scheduler stats, connections,
caption hub, refusals, store backlog) are read at scrape time by `gateway.http.metrics.RuntimeCollector`.
Labels are closed sets only (kind, reason, transport): never call ids, tenants, callers or text.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

from asr.scheduler import BatchReport
from gateway.core.load import LoadWindow
from gateway.core.stages import StageClock

# `_created` series only double the scrape; no dashboard of ours reads them
disable_created_metrics()  # type: ignore[no-untyped-call]
_LATENCY_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 60.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)


class Telemetry:
    """The registry and the observations made during calls (see the module doc)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.registry = CollectorRegistry(auto_describe=True)
        self.final_latency = Histogram(
            "callscribe_final_latency_seconds",
            "From an utterance's endpoint to its final being sent.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.partial_lag = Histogram(
            "callscribe_partial_lag_seconds",
            "From a partial's request to the partial being sent.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_wait = Histogram(
            "callscribe_queue_wait_seconds",
            "Time a decode request waited for the engine, by kind.",
            ["kind"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "callscribe_batch_size", "Requests per engine call.", buckets=_BATCH_BUCKETS, registry=self.registry
        )
        self.refusals = Counter(
            "callscribe_admission_refusals",
            "Calls refused at admission, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.load = LoadWindow()
        self.stages = StageClock()
        self.collector_attached = False

    def on_batch(self, report: BatchReport) -> None:
        """A scheduler observer: queue waits, batch size, and the load window."""
        waits = self.queue_wait.labels(kind=report.kind)
        for wait in report.waits_s:
            waits.observe(wait)
        self.batch_size.observe(report.size)
        final_wait = max(report.waits_s, default=0.0) if report.kind == "final" else 0.0
        self.load.observe(report.ended_at, report.busy_s, final_wait)
        self.stages.add_engine_timings(report.timings)
