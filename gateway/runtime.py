"""The process-wide pieces every call shares: engines, the scheduler, the VAD model, the call registry."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Protocol

import structlog

from asr.scheduler import Scheduler
from asr.types import Transcriber
from gateway.config import ServerConfig
from gateway.registry import CallRegistry
from protocol.errors import Unsupported
from protocol.messages import CallEnded, ServerMessage, Start
from vad.endpointer import LegEndpointer
from vad.silero import SileroModel

log = structlog.get_logger("gateway.runtime")

class Connection(Protocol):
    """A live call connection of any transport: shutdown asks it to flush its finals and close."""

    transport: str

    def request_drain(self) -> None: ...


Listener = Callable[[str, str, ServerMessage | Start], None]
"""(tenant, call_id, message): the call's `Start` first (purposes, legs, language), then every message the
call sends (already redacted), then `CallEnded` when its connection ends."""


class Runtime:
    """Owns shared state; built once at start-up (or by tests with engines they loaded themselves)."""

    def __init__(self, config: ServerConfig, engines: Mapping[str, Transcriber],
                 vad_model: SileroModel) -> None:
        self.config = config
        self.engines = dict(engines)
        self.vad_model = vad_model
        self.scheduler = Scheduler(self.engines, config.batcher)
        self.registry = CallRegistry(config.resume_ttl_s)
        self.draining = False
        self.connections: set[Connection] = set()
        self.listeners: list[Listener] = []

    @classmethod
    def load(cls, config: ServerConfig) -> Runtime:
        """Load the configured models (bundled ones from their packages) and the VAD."""
        from asr.whisper import WhisperEngine

        engines: dict[str, Transcriber] = {}
        for name in (config.english_model, config.multilingual_model):
            if name is not None and name not in engines:
                engine = WhisperEngine(dataclasses.replace(config.engine, model=name))
                log.info("model_loaded", model=name, device=engine.device, compute_type=engine.compute_type)
                engines[name] = engine
        return cls(config, engines, SileroModel.load())

    def engine_for(self, language: str) -> str:
        """Route a call's language to a loaded model; `unsupported` when none can serve it."""
        english, multi = self.config.english_model, self.config.multilingual_model
        if language == "en" and english is not None:
            return english
        if multi is not None:
            if language != "auto" and language not in self.engines[multi].languages:
                raise Unsupported(f"start.language: {language!r} is not supported by the loaded models")
            return multi
        raise Unsupported('start.language: only English is served by this gateway; send "en"')

    def languages(self) -> tuple[str, ...]:
        langs: set[str] = set()
        for engine in self.engines.values():
            langs.update(engine.languages)
        return tuple(sorted(langs))

    def publish(self, tenant: str, call_id: str, msg: ServerMessage | Start) -> None:
        """Hand a call's outbound message to every listener (caption fan-out); never raises."""
        for listener in self.listeners:
            try:
                listener(tenant, call_id, msg)
            except Exception as exc:  # a broken viewer must not break the call
                log.error("listener_failed", exc_info=exc)

    def call_ended(self, tenant: str, call_id: str, finals: int) -> None:
        self.publish(tenant, call_id, CallEnded(call_id, finals))

    def new_endpointer(self) -> LegEndpointer:
        return LegEndpointer(self.vad_model, self.config.vad)
