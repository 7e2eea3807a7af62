#!/usr/bin/env bash
# The docs run in one command: this gateway, WhisperLive and WhisperLiveKit on tiny.en int8, 1 and 4 concurrent
# two-leg calls (synthetic_call_en.wav), a capacity search for each (p95 final latency <= 1.5 s), and each
# English real clip played once for WER per clip. Rewrites the generated section of docs/benchmarks.md, the
# plots in docs/img/bench-*.png and docs/benchmarks-results.json. About 15 minutes on the 2-core machine
# (longer the first time: the peers are installed into their own venvs under ~/.cache/callscribe-bench).
# Other load on the machine distorts the CPU-bound numbers: the load average at the start is recorded.
#
#   bench/report.sh                      # everything
#   bench/report.sh --systems gateway    # extra arguments go to `python -m bench run`
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=${OUT:-${CALLSCRIBE_BENCH_CACHE:-$HOME/.cache/callscribe-bench}/runs/docs-$(date +%Y%m%d-%H%M%S)}
"$PY" -m bench run \
  --systems gateway,whisperlive,whisperlivekit \
  --calls 1 4 --capacity --target 1.5 --max-calls 32 \
  --clips synthetic/synthetic_call_en.wav \
  --accuracy-clips 'real/*' --lang en \
  --out "$OUT" --img-dir docs/img --docs docs/benchmarks.md "$@"
cp "$OUT/results.json" docs/benchmarks-results.json
echo "docs/benchmarks.md, docs/img/bench-*.png and docs/benchmarks-results.json updated (run folder: $OUT)"
