"""Prometheus text exposition of the gateway's counters (no transcript content, ever)."""

from __future__ import annotations

from collections import Counter

from gateway.consent_metrics import families as consent_families
from gateway.http.captions import service_for
from gateway.runtime import Runtime
from gateway.transports import TRANSPORTS

_Sample = tuple[str, float]
"""(label set as written between braces, or "" for none; value)."""
_Family = tuple[str, str, str, list[_Sample]]
"""(metric name, type, help text, samples)."""


def render(rt: Runtime) -> str:
    """The /metrics body in Prometheus text format 0.0.4."""
    out: list[str] = []
    for name, kind, help_text, samples in [*_scheduler(rt), _connections(rt), *_captions(rt),
                                             *consent_families(list(rt.bus.listeners))]:
        out += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        out += [f"{name}{{{labels}}} {value:g}" if labels else f"{name} {value:g}" for labels, value in samples]
    return "\n".join(out) + "\n"


def _scheduler(rt: Runtime) -> list[_Family]:
    s = rt.scheduler.stats
    rows: list[tuple[str, str, str, float]] = [
        ("callscribe_calls_live", "gauge", "Calls streaming now.", rt.registry.live),
        ("callscribe_scheduler_queued", "gauge", "Decode requests waiting.", rt.scheduler.queued),
        ("callscribe_batches_total", "counter", "Engine calls.", s.batches),
        ("callscribe_decode_requests_total", "counter", "Requests decoded.", s.requests),
        ("callscribe_finals_decoded_total", "counter", "Final requests decoded.", s.finals),
        ("callscribe_partials_decoded_total", "counter", "Partial requests decoded.", s.partials),
        ("callscribe_partials_replaced_total", "counter", "Partials replaced by newer ones.", s.replaced),
        ("callscribe_partials_shed_total", "counter", "Partials not decoded because finals were waiting.",
         s.partials_shed),
        ("callscribe_decode_failures_total", "counter", "Requests whose engine call failed.", s.failed),
        ("callscribe_multi_call_batches_total", "counter", "Batches holding more than one call.",
         s.multi_call_batches),
        ("callscribe_engine_busy_seconds_total", "counter", "Wall seconds the engine worked.",
         s.busy_seconds),
        ("callscribe_engine_audio_seconds_total", "counter", "Audio seconds decoded.", s.audio_seconds),
    ]
    return [(name, kind, help_text, [("", value)]) for name, kind, help_text, value in rows]


def _connections(rt: Runtime) -> _Family:
    """Open connections by transport (every connection class names its `transport`)."""
    counts = Counter(conn.transport for conn in list(rt.connections))
    names = [*TRANSPORTS, *sorted(set(counts) - set(TRANSPORTS))]
    return ("callscribe_connections_open", "gauge", "Connections open now, by transport.",
            [(f'transport="{name}"', counts[name]) for name in names])


def _captions(rt: Runtime) -> list[_Family]:
    """The caption hub's viewer gauge and counters; none when the captions feature is not wired."""
    service = service_for(rt)
    if service is None:
        return []
    c = service.hub.counters
    rows: list[tuple[str, str, str, float]] = [
        ("callscribe_caption_viewers", "gauge", "Caption viewers connected now.", service.hub.viewers_live),
        ("callscribe_caption_viewers_subscribed_total", "counter", "Caption viewers accepted.",
         c.viewers_subscribed),
        ("callscribe_caption_viewers_evicted_total", "counter", "Caption viewers closed as too slow (1013).",
         c.viewers_evicted),
        ("callscribe_caption_partials_dropped_total", "counter", "Partials dropped from full viewer queues.",
         c.partials_dropped),
        ("callscribe_caption_partials_coalesced_total", "counter",
         "Queued partials replaced by a newer one of the same utterance.", c.partials_coalesced),
        ("callscribe_caption_frames_queued_total", "counter", "Frames queued for caption viewers.",
         c.frames_queued),
    ]
    return [(name, kind, help_text, [("", value)]) for name, kind, help_text, value in rows]
