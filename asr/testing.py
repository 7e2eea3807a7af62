"""A fake engine for unit tests of scheduling only (end-to-end tests use the real model)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from asr.types import DecodeRequest, DecodeResult


class FakeTranscriber:
    """Returns "<kind> <seconds>" for each request after `delay` seconds; records every batch it saw.

    `gate`, when given, blocks each batch until the test sets it, to hold the worker busy.
    """

    def __init__(
        self, name: str = "fake", delay: float = 0.0, gate: threading.Event | None = None, fail: bool = False
    ) -> None:
        self._name = name
        self.delay = delay
        self.gate = gate
        self.fail = fail
        self.batches: list[list[DecodeRequest]] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def languages(self) -> tuple[str, ...]:
        return ("en", "nl")

    def transcribe_batch(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
        self.batches.append(list(requests))
        if self.gate is not None:
            self.gate.wait(timeout=10)
        if self.delay:
            time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("fake engine failure")
        return [
            DecodeResult(f"{r.kind} {r.seconds:.2f}", "en" if r.language == "auto" else r.language) for r in requests
        ]
