"""PNG plots of a report: latency CDFs per system, latency against concurrency, WER per clip."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

COLORS = {"gateway": "#1f77b4", "whisperlive": "#d62728", "whisperlivekit": "#2ca02c", "offline": "#7f7f7f"}
STYLES = ["-", "--", ":", "-."]


def _systems(report: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    return [(n, s) for n, s in report["systems"].items() if not s.get("error") and s.get("scenarios")]


def latency_cdf(report: Mapping[str, Any], out: Path) -> Path:
    """Final latency and partial lag CDFs, one line per system and concurrency."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, sysrep in _systems(report):
        for k, sc in enumerate(sysrep["scenarios"]):
            for ax, key in zip(axes, ("final_latency", "partial_lag"), strict=True):
                values = np.sort(np.asarray(sc["raw"][key], dtype=float))
                if len(values):
                    ax.step(
                        np.concatenate([values[:1], values]),
                        np.arange(len(values) + 1) / len(values),
                        where="post",
                        color=COLORS.get(name),
                        linestyle=STYLES[k % len(STYLES)],
                        label=f"{name}, {sc['calls']} call{'s' if sc['calls'] > 1 else ''}",
                    )
    for ax, title in zip(axes, ("Final latency after end of speech", "Partial lag"), strict=True):
        ax.set_title(title)
        ax.set_xlabel("seconds")
        ax.set_ylabel("share of events ≤ x")
        ax.set_ylim(0, 1.01)
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def _levels(sysrep: Mapping[str, Any]) -> dict[int, Mapping[str, Any]]:
    levels = {sc["calls"]: sc["overall"]["final_latency"] for sc in sysrep["scenarios"]}
    for probe in (sysrep.get("capacity") or {}).get("probes", []):
        levels.setdefault(probe["calls"], probe["final_latency"])
    return dict(sorted(levels.items()))


def _cores(sysrep: Mapping[str, Any]) -> dict[int, float]:
    """CPU cores the system used per level (scenarios and capacity probes), where measured."""
    levels = {sc["calls"]: (sc.get("resources") or {}).get("cores_used") for sc in sysrep["scenarios"]}
    for probe in (sysrep.get("capacity") or {}).get("probes", []):
        levels.setdefault(probe["calls"], (probe.get("resources") or {}).get("cores_used"))
    return {n: c for n, c in sorted(levels.items()) if c is not None}


def latency_vs_calls(report: Mapping[str, Any], out: Path, target: float | None) -> Path:
    """p50 and p95 final latency against concurrent calls (scenarios and capacity probes), with the CPU
    cores used on a second axis: the capacity curve."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for name, sysrep in _systems(report):
        levels = [(n, fl) for n, fl in _levels(sysrep).items() if fl["p50"] is not None]
        if not levels:
            continue
        ns = [n for n, _ in levels]
        ax.plot(ns, [fl["p50"] for _, fl in levels], "o-", color=COLORS.get(name), label=f"{name} p50")
        ax.plot(ns, [fl["p95"] for _, fl in levels], "s--", color=COLORS.get(name), label=f"{name} p95")
    cpu_ax = None
    for name, sysrep in _systems(report):
        cores = _cores(sysrep)
        if cores:
            cpu_ax = cpu_ax or ax.twinx()
            cpu_ax.plot(list(cores), list(cores.values()), "^:", color=COLORS.get(name), alpha=0.6, label=f"{name} CPU")
    if cpu_ax is not None:
        cpu_ax.set_ylabel("CPU cores used (triangles)")
        cpu_ax.set_ylim(0, max(2.0, 1.2 * max(c for _, s in _systems(report) for c in _cores(s).values())))
    if target:
        ax.axhline(target, color="black", linewidth=0.8, linestyle=":", label=f"target p95 {target} s")
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel("concurrent two-leg calls")
    ax.set_ylabel("final latency (s, log scale)")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    top = max([fl["p95"] or 0 for _, s in _systems(report) for fl in _levels(s).values()] + [target or 1.0])
    ax.set_ylim(0.1, max(3.0, 1.5 * top))
    ax.set_title("Final latency against concurrency")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def wer_per_clip(report: Mapping[str, Any], out: Path) -> Path:
    """Grouped bars: WER of each clip leg per system, next to offline faster-whisper."""
    import matplotlib.pyplot as plt

    series: list[tuple[str, Mapping[str, float]]] = []
    for name, sysrep in _systems(report):
        per_clip = dict(sysrep["scenarios"][0]["overall"]["per_clip_wer"])
        per_clip.update((sysrep.get("accuracy") or {}).get("overall", {}).get("per_clip_wer", {}))
        series.append((name, per_clip))
    if report.get("offline"):
        series.append(("offline", report["offline"]["per_clip_wer"]))
    clips: Sequence[str] = sorted({c for _, s in series for c in s})
    fig, ax = plt.subplots(figsize=(max(7.0, 0.9 * len(clips) + 3), 4.8))
    width = 0.8 / max(1, len(series))
    x = np.arange(len(clips))
    for k, (name, values) in enumerate(series):
        bars = ax.bar(
            x + k * width - 0.4 + width / 2,
            [values.get(c, np.nan) for c in clips],
            width,
            color=COLORS.get(name),
            label=name,
        )
        ax.bar_label(bars, fmt="%.2f", fontsize=6, padding=1)
    ax.set_xticks(x, [c.rsplit("/", 1)[-1].replace(".wav", "") for c in clips], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("WER")
    ax.set_title("WER per clip (leg) against the reference")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def make_plots(report: Mapping[str, Any], directory: Path, prefix: str = "bench") -> list[Path]:
    """All plots of a report, written to `directory`."""
    import matplotlib

    matplotlib.use("Agg")
    directory.mkdir(parents=True, exist_ok=True)
    target = report["config"].get("target_p95_s")
    return [
        latency_cdf(report, directory / f"{prefix}-latency-cdf.png"),
        latency_vs_calls(report, directory / f"{prefix}-latency-vs-calls.png", target),
        wer_per_clip(report, directory / f"{prefix}-wer-per-clip.png"),
    ]
