"""prometheus-client metrics: histograms move with a call, refusals by reason, no call identity or text;
admission by measured engine load (finding 5)."""

from __future__ import annotations

import re

import httpx

from bench.audio import read_wav
from bench.client import StreamOptions, stream_call
from gateway.core.load import LoadWindow
from tests.conftest import TOKEN, Gateway
from tests.reliability.conftest import JFK, connect


def _samples(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


async def test_histograms_move_and_never_name_a_call(gateway: Gateway) -> None:
    """After a call, final latency, partial lag, queue wait and batch size histograms have observations,
    the busy ratio is positive, every refusal reason is exported, and no series carries the call id,
    tenant or a word of the transcript."""
    run = await stream_call(gateway.url, TOKEN, read_wav(JFK), StreamOptions(call_id="metric-call-7f3a", pace=0))
    assert run.finals
    async with httpx.AsyncClient(base_url=gateway.http) as http:
        text = (await http.get("/metrics")).text
    s = _samples(text)
    assert s["callscribe_final_latency_seconds_count"] >= len(run.finals)
    assert s["callscribe_partial_lag_seconds_count"] >= 1
    assert s['callscribe_queue_wait_seconds_count{kind="final"}'] >= len(run.finals)
    assert s["callscribe_batch_size_count"] >= 1 and s["callscribe_engine_busy_ratio"] > 0
    for reason in ("capacity", "draining", "engine_load", "store_degraded", "tenant_quota"):
        assert f'callscribe_admission_refusals_total{{reason="{reason}"}}' in s
    assert "metric-call-7f3a" not in text and "tenant-a" not in text
    words = {w.strip(".,!?").lower() for f in run.finals for w in f["text"].split() if len(w) > 4}
    assert not {w for w in words if re.search(rf"\b{re.escape(w)}\b", text.lower())}


def test_load_window_refuses_only_while_finals_wait() -> None:
    """Finals that waited 5 s within the last 10 s mark the engine as behind (bound 3 s); once they fall out
    of the window, or when only partials were slow, it is not."""
    window = LoadWindow(window_s=10.0)
    window.observe(100.0, busy_s=2.0, final_wait_s=0.0)
    assert not window.overloaded(101.0, 3.0)
    window.observe(102.0, busy_s=4.0, final_wait_s=5.0)
    assert window.overloaded(103.0, 3.0) and window.busy_ratio(103.0) == 0.6
    assert not window.overloaded(112.5, 3.0) and window.busy_ratio(112.5) == 0.0


async def test_a_behind_engine_refuses_new_calls_by_load(gateway: Gateway) -> None:
    """When the scheduler reports finals that waited longer than `max_final_wait_s`, the next call is
    refused `overloaded` with reason `engine_load` although far below `max_calls`."""
    telemetry = gateway.runtime.telemetry
    telemetry.load.observe(telemetry.clock(), busy_s=9.0, final_wait_s=8.0)  # what a flooded engine reports
    refused = await connect(gateway, "refused-by-load")
    await refused.closed()
    assert [e["code"] for e in refused.of_type("error")] == ["overloaded"]
    assert gateway.runtime.refusals == {"engine_load": 1}
