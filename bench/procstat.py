"""CPU time and memory of a server process tree from /proc, and GPU use from nvidia-smi when present.

The sampler runs in a thread (reading /proc must not stall the event loop that paces audio). CPU seconds
are utime+stime of the root process (plus its reaped children) and of every live descendant; peak RSS is
the largest sum of resident memory over the tree seen at any sample, or the root's own VmHWM if larger.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def stat_fields(path: Path) -> list[str] | None:
    """The fields of a /proc `stat` file after the command name (a process's or a thread's), or None
    when it is gone; utime and stime are fields 11 and 12 of what is returned, in clock ticks (`TICK`)."""
    try:
        return path.read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_seconds(path: Path) -> float:
    """utime + stime of one /proc `stat` file in seconds (0 when the process or thread is gone)."""
    fields = stat_fields(path)
    return (int(fields[11]) + int(fields[12])) / TICK if fields is not None else 0.0


def _stat(pid: int) -> list[str] | None:
    return stat_fields(Path(f"/proc/{pid}/stat"))


def descendants(root: int) -> list[int]:
    """`root` and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by `root` (with reaped children) and its live descendants."""
    total = 0
    for pid in descendants(root):
        if (f := _stat(pid)) is not None:
            total += int(f[11]) + int(f[12]) + (int(f[13]) + int(f[14]) if pid == root else 0)
    return total / TICK


def tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and its live descendants."""
    total = 0
    for pid in descendants(root):
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    return total


def vm_hwm_bytes(pid: int) -> int:
    """The kernel's high-water mark of resident memory for one process (0 if unknown)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def gpu_sample() -> tuple[float, float] | None:
    """(utilisation %, memory used MiB) summed over GPUs, or None without nvidia-smi."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout
        rows = [[float(v) for v in line.split(",")] for line in out.strip().splitlines() if line.strip()]
        return sum(r[0] for r in rows), sum(r[1] for r in rows)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


@dataclass(slots=True)
class ResourceSampler:
    """Samples a process tree (and the GPU) every `interval_s` between `start()` and `stop()`."""

    pid: int | None
    interval_s: float = 0.5
    peak_rss: int = 0
    cpu_start: float = 0.0
    cpu_end: float = 0.0
    gpu: list[tuple[float, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        if self.pid is not None:
            self.cpu_start = tree_cpu_seconds(self.pid)
        self._thread = threading.Thread(target=self._loop, name="bench-procstat", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            if self.pid is not None:
                self.peak_rss = max(self.peak_rss, tree_rss_bytes(self.pid))
            if (g := gpu_sample()) is not None:
                self.gpu.append(g)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.pid is not None:
            self.cpu_end = tree_cpu_seconds(self.pid)
            self.peak_rss = max(self.peak_rss, tree_rss_bytes(self.pid), vm_hwm_bytes(self.pid))

    def summary(self, audio_seconds: float, wall_s: float) -> dict[str, Any]:
        """CPU seconds per audio minute, cores used, peak RSS and GPU figures."""
        cpu = self.cpu_end - self.cpu_start if self.pid is not None else None
        out: dict[str, Any] = {
            "cpu_s": round(cpu, 2) if cpu is not None else None,
            "cpu_s_per_audio_min": round(cpu / (audio_seconds / 60), 2) if cpu is not None and audio_seconds else None,
            "cores_used": round(cpu / wall_s, 2) if cpu is not None and wall_s else None,
            "peak_rss_mb": round(self.peak_rss / 2**20, 1) if self.pid is not None else None,
            "gpu_util_mean": None,
            "gpu_util_max": None,
            "gpu_mem_max_mb": None,
        }
        if self.gpu:
            out["gpu_util_mean"] = round(sum(g[0] for g in self.gpu) / len(self.gpu), 1)
            out["gpu_util_max"] = max(g[0] for g in self.gpu)
            out["gpu_mem_max_mb"] = max(g[1] for g in self.gpu)
        return out
