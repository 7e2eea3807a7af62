"""`--background-load N`: N CPU-bound processes beside the system under test, for the whole measurement.

A production box is never quiet. Each process is a Python busy loop at normal priority (what `stress-ng
--cpu 1` does, without needing it installed), started before the measurement and killed after it, so
the gateway competes for the cores as it would beside another service.
"""

from __future__ import annotations

import subprocess
import sys
from types import TracebackType

_BUSY = "while True:\n    pass\n"


class BackgroundLoad:
    """A context manager holding `n` busy processes (none for n = 0)."""

    def __init__(self, n: int) -> None:
        if n < 0:
            raise ValueError("--background-load must be >= 0")
        self.n = n
        self._procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> BackgroundLoad:
        self._procs = [subprocess.Popen([sys.executable, "-c", _BUSY]) for _ in range(self.n)]
        return self

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs if p.poll() is None]

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for proc in self._procs:
            proc.kill()
        for proc in self._procs:
            proc.wait(timeout=10)
        self._procs = []
