"""The report: machine description, markdown tables, and the generated section of docs/benchmarks.md."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

TARGETS = (
    ("final latency p50 (s)", ("final_latency", "p50"), 0.7),
    ("final latency p95 (s)", ("final_latency", "p95"), 1.2),
    ("partial lag p50 (s)", ("partial_lag", "p50"), 0.4),
)
TARGET_CALLS = 8


def _read(path: str, prefix: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    gpus = None
    if exe := shutil.which("nvidia-smi"):
        gpus = subprocess.run([exe, "-L"], capture_output=True, text=True, check=False).stdout.strip() or None
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout.strip()
    return {
        "platform": platform.platform(),
        "cpu": _read("/proc/cpuinfo", "model name"),
        "cores": os.cpu_count(),
        "memory": _read("/proc/meminfo", "MemTotal"),
        "python": platform.python_version(),
        "gpus": gpus,
        "load_avg_at_start": [round(v, 2) for v in os.getloadavg()],
        "git_commit": commit or None,
        "ctranslate2": _version("ctranslate2"),
        "faster_whisper": _version("faster-whisper"),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _f(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _wer(o: Mapping[str, Any]) -> str:
    return ", ".join(f"{lang} {v:.3f}" for lang, v in sorted(o["wer"].items())) or "-"


def scenario_rows(report: Mapping[str, Any]) -> list[str]:
    """The main markdown table: one row per system and concurrency."""
    head = (
        "| system | calls | final p50 | final p95 | partial lag p50 | first partial p50 | words revised | "
        "WER | offline WER | turns finalised | CPU s / audio min | peak RSS MB | send jitter p95 ms |"
    )
    rows = [head, "|" + "---|" * head.count(" |")]
    offline = _wer({"wer": report["offline"]["wer_calls"]}) if report.get("offline") else "-"
    for name, sysrep in report["systems"].items():
        if sysrep.get("error"):
            rows.append(f"| {name} | - | not run: {sysrep['error']} |" + " |" * 10)
            continue
        for sc in sysrep["scenarios"]:
            o, r = sc["overall"], sc["resources"]
            rows.append(
                f"| {name} | {sc['calls']} | {_f(o['final_latency']['p50'])} | {_f(o['final_latency']['p95'])} | "
                f"{_f(o['partial_lag']['p50'])} | {_f(o['first_partial_latency']['p50'])} | "
                f"{_f(o['stability_revised_share'], 3)} | {_wer(o)} | {offline} | "
                f"{o['turns_finalised']}/{o['turns_expected']} | {_f(r['cpu_s_per_audio_min'], 1)} | "
                f"{_f(r['peak_rss_mb'], 0)} | {_f(o['send_jitter_ms']['p95'], 1)} |"
            )
    return rows


def capacity_rows(report: Mapping[str, Any]) -> list[str]:
    """One row per system: the capacity found and the levels tried."""
    rows = ["| system | calls held (p95 final ≤ target) | levels tried (p95 final s) |", "|---|---|---|"]
    for name, sysrep in report["systems"].items():
        cap = sysrep.get("capacity")
        if not cap:
            continue
        tried = ", ".join(
            f"{p['calls']}: {_f(p['final_latency']['p95'])}{'' if p['held'] else ' ✗'}" for p in cap["probes"]
        )
        rows.append(f"| {name} | **{cap['capacity']}** (target {cap['target_p95_s']} s) | {tried} |")
    return rows


def accuracy_rows(report: Mapping[str, Any]) -> list[str]:
    """WER of each system over the accuracy clips (each played once, alone), next to offline."""
    rows = ["| system | WER, accuracy clips one at a time | offline faster-whisper, same model |", "|---|---|---|"]
    offline = report.get("offline") or {}
    for name, sysrep in report["systems"].items():
        if acc := sysrep.get("accuracy"):
            rows.append(f"| {name} | {_wer(acc['overall'])} | {_wer({'wer': offline.get('wer_accuracy', {})})} |")
    return rows


def target_rows(report: Mapping[str, Any], system: str = "gateway") -> list[str]:
    """The gateway's numbers against the targets the report is read against."""
    sysrep = report["systems"].get(system)
    if not sysrep or sysrep.get("error"):
        return []
    levels = {sc["calls"]: sc["overall"] for sc in sysrep["scenarios"]}
    for probe in (sysrep.get("capacity") or {}).get("probes", []):
        if probe["calls"] == TARGET_CALLS:
            levels.setdefault(TARGET_CALLS, probe)
    levels = dict(sorted(levels.items()))
    rows = [
        "| target | " + " | ".join(f"N={n}" for n in levels) + " | met at every N |",
        "|---|" + "---|" * (len(levels) + 1),
    ]
    for label, (group, key), limit in TARGETS:
        values = [m[group][key] for m in levels.values()]
        misses = [f"N={n}" for n, v in zip(levels, values, strict=True) if v is None or v > limit]
        met = "yes" if not misses else "NO (" + ", ".join(misses) + ")"
        rows.append(f"| {label} ≤ {limit} | " + " | ".join(_f(v) for v in values) + f" | {met} |")
    if cap := sysrep.get("capacity"):
        held = cap["capacity"]
        verdict = "yes" if held >= TARGET_CALLS else "NO"
        if held < TARGET_CALLS and held >= cap["max_calls"]:
            verdict = f"not tested (search stopped at {cap['max_calls']})"
        rows.append(
            f"| {TARGET_CALLS} concurrent two-leg calls held (p95 ≤ {cap['target_p95_s']} s) | "
            f"capacity {held} |" + " |" * (len(levels) - 1) + f" {verdict} |"
        )
    return rows


def markdown(report: Mapping[str, Any], img_prefix: str = "img/") -> str:
    """The generated report section (tables, plots, machine line)."""
    m = report["machine"]
    lines = [
        f"Measured {m['date']} on {m['cores']} cores ({m['cpu']}, {m['memory']}), "
        f"load average at start {m['load_avg_at_start']}, commit {m['git_commit']}; "
        f"model {report['model']['name']} {report['model']['compute_type']}; clips: "
        + ", ".join(f"`{c}`" for c in report["config"]["clips"])
        + ".",
        "",
    ]
    lines += [*scenario_rows(report), ""]
    if (cap := capacity_rows(report)) and len(cap) > 2:
        lines += [*cap, ""]
    if len(acc := accuracy_rows(report)) > 2:
        lines += [*acc, ""]
    if targets := target_rows(report):
        lines += ["Gateway against the targets:", "", *targets, ""]
    for png in report.get("plots", []):
        lines.append(f"![{Path(png).stem}]({img_prefix}{Path(png).name})")
    return "\n".join(lines) + "\n"


def update_doc(doc: Path, section: str) -> None:
    """Replace the text between the bench markers of `doc` (appending markers if missing)."""
    text = doc.read_text() if doc.is_file() else ""
    block = f"{BEGIN}\n{section}{END}"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text + ("\n" if text else "") + block + "\n"
    doc.write_text(text)


def emit_json(report: Mapping[str, Any], out: Path | None) -> None:
    """Print a benchmark's result as JSON (stdout is the result) and write it to `out` too when given."""
    text = json.dumps(report, indent=2)
    print(text)
    if out is not None:
        out.write_text(text + "\n")
