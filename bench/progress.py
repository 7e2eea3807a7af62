"""A one-line progress display for long runs (rewritten in place on a terminal, a line every 10 s otherwise)."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO


@dataclass(slots=True)
class Progress:
    """Counters a scenario updates; `ticker()` shows them until cancelled."""

    label: str
    total_calls: int
    expected_s: float
    done_calls: int = 0
    failed_calls: int = 0
    finals: int = 0
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    _t0: float = field(default_factory=time.monotonic)

    def line(self, now: float) -> str:
        """The current status line."""
        elapsed = now - self._t0
        bar_len = 20
        filled = min(bar_len, int(bar_len * elapsed / self.expected_s)) if self.expected_s > 0 else 0
        failed = f", {self.failed_calls} failed" if self.failed_calls else ""
        return (
            f"[{self.label}] [{'#' * filled}{'.' * (bar_len - filled)}] {elapsed:5.0f}s/~{self.expected_s:.0f}s "
            f"calls {self.done_calls}/{self.total_calls}{failed}, finals {self.finals}"
        )

    async def ticker(self) -> None:
        """Redraw every second (every 10 s when not on a terminal) until cancelled."""
        tty = self.stream.isatty()
        try:
            while True:
                await asyncio.sleep(1.0 if tty else 10.0)
                self.stream.write(
                    ("\r" + self.line(time.monotonic()) + "\x1b[K") if tty else self.line(time.monotonic()) + "\n"
                )
                self.stream.flush()
        finally:
            self.stream.write(("\r" if tty else "") + self.line(time.monotonic()) + "\n")
            self.stream.flush()
