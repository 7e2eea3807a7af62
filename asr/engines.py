"""The engine factory: builds the configured `Transcriber`s (the one place a new kind of engine is added).

Today every model is a local CTranslate2 Whisper (`asr.whisper.WhisperEngine`: a bundled name, a local
directory or a hub name, see `asr.models`). A remote worker pool would be another branch here, chosen by
the model name's scheme, and nothing else in the gateway would change: the scheduler only sees the
`Transcriber` protocol.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import structlog

from asr.config import EngineConfig
from asr.types import Transcriber

log = structlog.get_logger("asr.engines")


def build_engines(config: EngineConfig, models: Iterable[str | None]) -> dict[str, Transcriber]:
    """One engine per distinct model name (None entries are skipped), loaded with `config`'s options."""
    from asr.whisper import WhisperEngine  # imports CTranslate2: only when engines are really built

    engines: dict[str, Transcriber] = {}
    for name in models:
        if name is None or name in engines:
            continue
        engine = WhisperEngine(dataclasses.replace(config, model=name))
        log.info("model_loaded", model=name, device=engine.device, compute_type=engine.compute_type)
        engines[name] = engine
    return engines
