"""`bench/gpu.sh --smoke` (the prepared GPU benchmark, on whatever device there is) runs end to end: it
starts the gateway, streams 1 and 2 two-leg calls, and records latency and the engine's batch counters."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_gpu_script_smoke_run_records_every_level(tmp_path: Path) -> None:
    """Both levels are measured with finals, and the engine summary holds batches and a mean batch size."""
    env = {**os.environ, "PORT": "18743"}
    done = subprocess.run(
        ["bash", str(ROOT / "bench" / "gpu.sh"), "--smoke", "tiny.en", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    scenarios = results["systems"]["gateway"]["scenarios"]
    assert [s["calls"] for s in scenarios] == [1, 2]
    for s in scenarios:
        assert s["overall"]["calls_ok"] == s["calls"], s["per_call"]
        assert s["overall"]["final_latency"]["n"] > 0
    summary = json.loads((tmp_path / "engine-summary.json").read_text())
    assert summary["batches"] > 0 and summary["mean_batch_size"] >= 1.0
    assert "callscribe_decode_requests_total" in (tmp_path / "metrics.txt").read_text()
