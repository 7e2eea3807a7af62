#!/usr/bin/env bash
# The GPU benchmark, ready to run on a machine without network: the gateway on the given model, then
# 16, 64, 128 and 256 concurrent two-leg calls (bench/), then the gateway's own counters (/metrics).
#
#   bench/gpu.sh [MODEL] [OUT_DIR]          # MODEL: a CTranslate2 directory, or tiny.en / base (bundled)
#   bench/gpu.sh --smoke [MODEL] [OUT_DIR]  # 1 and 2 calls of 12 s on whatever device there is (CI: CPU)
#
# Wheels the machine lacks travel in .whl/ (installed with --no-index first, if the folder exists).
# Records per level: final latency p50/p95, partial lag, first partial, CPU, RSS and GPU memory/use
# (nvidia-smi), in OUT_DIR/gpu-bench.json; mean batch size from OUT_DIR/metrics.txt. Target to judge
# against (issue 16): >= 500 concurrent two-leg calls per H200-class GPU at p95 final <= 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
SMOKE=0
if [ "${1:-}" = "--smoke" ]; then SMOKE=1; shift; fi
MODEL="${1:-tiny.en}"
OUT="${2:-${OUT:-bench-gpu-out}}"
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] && PY="${PYTHON:-.venv/bin/python}"
mkdir -p "$OUT"
if [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1; then
  "$PY" -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl
  export PYTHONPATH="/tmp/site:${PYTHONPATH:-}"
fi
export PYTHONPATH="$PWD:${PYTHONPATH:-}"
if [ "$SMOKE" = 1 ]; then
  LEVELS=(1 2); SECONDS_CAP=12; DEVICE=auto; BATCH=16; INFLIGHT=1
else
  LEVELS=(16 64 128 256); SECONDS_CAP=30; DEVICE=cuda; BATCH=64; INFLIGHT=2
fi
PORT="${PORT:-18731}"
TOKEN=bench-token-0123456789
"$PY" -m gateway --port "$PORT" --token "$TOKEN:bench" --english-model "$MODEL" --multilingual-model none \
  --device "$DEVICE" --max-calls 600 --max-batch "$BATCH" --redaction off \
  --set batcher.max_inflight="$INFLIGHT" --set batcher.max_pending=4096 --data-dir "$OUT/data" \
  2>"$OUT/gateway.log" &
GW=$!
trap 'kill $GW 2>/dev/null || true; wait $GW 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  "$PY" - "$PORT" <<'PYEOF' && break || sleep 0.5
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1)
PYEOF
done
"$PY" -m bench run --systems gateway --url "ws://127.0.0.1:$PORT/v1/stream" --token "$TOKEN" --pid "$GW" \
  --model "$MODEL" --calls "${LEVELS[@]}" --max-seconds "$SECONDS_CAP" --no-offline --out "$OUT" \
  --stagger 5 --seed 1
"$PY" - "$PORT" "$OUT" <<'PYEOF'
import json, pathlib, sys, urllib.request
port, out = sys.argv[1], pathlib.Path(sys.argv[2])
text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
(out / "metrics.txt").write_text(text)
values = {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
          if line and not line.startswith("#") and len(line.split()) == 2}
batches = values.get("callscribe_batches_total", 0.0)
summary = {"batches": batches, "requests": values.get("callscribe_decode_requests_total", 0.0),
           "mean_batch_size": values.get("callscribe_decode_requests_total", 0.0) / batches if batches else None,
           "engine_busy_s": values.get("callscribe_engine_busy_seconds_total"),
           "audio_s": values.get("callscribe_engine_audio_seconds_total")}
(out / "engine-summary.json").write_text(json.dumps(summary, indent=2))
print(json.dumps(summary))
PYEOF
