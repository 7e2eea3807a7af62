"""The engine factory: builds the configured `Transcriber`s (the one place a new kind of engine is added).

Each model is either a local CTranslate2 Whisper (`asr.whisper.WhisperEngine`: a bundled name, a local
directory or a hub name, see `asr.models`) or, with `RemoteConfig.backend = "ray"`, a Ray Serve pool that
holds the same engine (`asr.remote.RayTranscriber`). Nothing else in the gateway changes: the scheduler
only sees the `Transcriber` protocol.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import structlog

from asr.config import EngineConfig
from asr.remote import RayTranscriber, RemoteConfig
from asr.types import Transcriber

log = structlog.get_logger("asr.engines")


def build_engines(
    config: EngineConfig, models: Iterable[str | None], remote: RemoteConfig | None = None
) -> dict[str, Transcriber]:
    """One engine per distinct model name (None entries are skipped): local with `config`'s options, or a
    handle on the model's Ray Serve app when `remote.backend` is `ray`."""
    remote = remote or RemoteConfig()
    engines: dict[str, Transcriber] = {}
    for name in models:
        if name is None or name in engines:
            continue
        if remote.backend == "ray":
            engines[name] = RayTranscriber(name, remote)
            log.info("remote_engine_connected", model=name, backend="ray", app=remote.app_prefix + name)
            continue
        from asr.whisper import WhisperEngine  # imports CTranslate2: only when a local engine is built

        engine = WhisperEngine(dataclasses.replace(config, model=name))
        log.info("model_loaded", model=name, device=engine.device, compute_type=engine.compute_type)
        engines[name] = engine
    return engines
