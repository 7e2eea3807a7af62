"""Prometheus text exposition of the gateway's counters (no transcript content, ever)."""

from __future__ import annotations

from gateway.runtime import Runtime


def render(rt: Runtime) -> str:
    """The /metrics body in Prometheus text format 0.0.4."""
    s = rt.scheduler.stats
    rows: list[tuple[str, str, str, float]] = [
        ("callscribe_calls_live", "gauge", "Calls streaming now.", rt.registry.live),
        ("callscribe_scheduler_queued", "gauge", "Decode requests waiting.", rt.scheduler.queued),
        ("callscribe_batches_total", "counter", "Engine calls.", s.batches),
        ("callscribe_decode_requests_total", "counter", "Requests decoded.", s.requests),
        ("callscribe_finals_decoded_total", "counter", "Final requests decoded.", s.finals),
        ("callscribe_partials_decoded_total", "counter", "Partial requests decoded.", s.partials),
        ("callscribe_partials_replaced_total", "counter", "Partials replaced by newer ones.", s.replaced),
        ("callscribe_decode_failures_total", "counter", "Requests whose engine call failed.", s.failed),
        ("callscribe_multi_call_batches_total", "counter", "Batches holding more than one call.",
         s.multi_call_batches),
        ("callscribe_engine_busy_seconds_total", "counter", "Wall seconds the engine worked.",
         s.busy_seconds),
        ("callscribe_engine_audio_seconds_total", "counter", "Audio seconds decoded.", s.audio_seconds),
    ]
    out: list[str] = []
    for name, kind, help_text, value in rows:
        out += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {value:g}"]
    return "\n".join(out) + "\n"
