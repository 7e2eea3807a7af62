"""A remote engine backend: whole batches decoded by a Ray Serve deployment (`deploy/ray_whisper.py`).

Theory of operation. The gateway keeps its scheduler and its policy (finals first, newer partials
replace older ones, partials shed while finals wait); only the engine call crosses the network. A
`RayTranscriber` is a `Transcriber` like the local engine: `transcribe_batch` runs in one of the
scheduler's worker threads and blocks on the deployment's answer, so `BatcherConfig.max_inflight`
batches travel at once (set it to the pool's capacity: replicas x `max_ongoing_requests`).

A replica that dies mid-batch (its actor is gone, the call times out) makes the batch fail; it is sent
again once (`retries`), after `retry_delay_s`, to whichever replica Serve routes it to (Serve restarts
dead replicas). If that fails too the error reaches the scheduler, every caller of the batch hears of
it, and a final's caller is sent an `internal` error message: never a silent gap.

Ray is imported only when a remote backend is configured; the deployment module lives outside the
gateway's packages (`deploy/`), so the gateway process never loads CTranslate2 for a remote pool.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import structlog

from asr.types import AsrError, DecodeRequest, DecodeResult

log = structlog.get_logger("asr.remote")


@dataclass(frozen=True, slots=True)
class RemoteConfig:
    """Where the engines run: in this process (`local`, the embedded default) or on a Ray Serve pool."""

    backend: Literal["local", "ray"] = "local"
    """`local` loads the models here; `ray` sends batches to a Serve app per model (see `app_prefix`)."""
    ray_address: str = "auto"
    """`ray.init(address=...)`: `auto` joins the cluster on this machine, `ray://host:10001` a remote one."""
    ray_namespace: str = "callscribe"
    """The Ray namespace the Serve apps were deployed in."""
    app_prefix: str = "callscribe-asr-"
    """Serve application name = prefix + model name (e.g. `callscribe-asr-tiny.en`), one per model."""
    timeout_s: float = 30.0
    """Longest wait for one batch; past it the batch counts as failed (and is retried once)."""
    retries: int = 1
    """How often a failed batch is sent again before its callers hear of the failure."""
    retry_delay_s: float = 1.0
    """Pause before a retry (Serve needs a moment to route around or restart a dead replica)."""

    def __post_init__(self) -> None:
        if self.backend not in ("local", "ray"):
            raise ValueError("backend must be local or ray")
        if self.timeout_s <= 0 or self.retries < 0 or self.retry_delay_s < 0:
            raise ValueError("timeout_s must be > 0, retries and retry_delay_s >= 0")


class RemoteEngineError(AsrError):
    """The remote pool could not decode a batch (after the retries)."""


class RayTranscriber:
    """A `Transcriber` whose batches are decoded by the Serve app `app_name` (see the module doc).

    Blocking, like every engine: build it and call it outside the event loop (start-up; worker threads).
    """

    def __init__(self, model: str, config: RemoteConfig, handle: Any | None = None) -> None:
        self._model = model
        self.config = config
        self.app_name = config.app_prefix + model
        self._handle = handle if handle is not None else _connect(config, self.app_name)
        self.retried = 0
        self._languages: tuple[str, ...] = tuple(self._call("languages"))

    @property
    def name(self) -> str:
        return self._model

    @property
    def languages(self) -> tuple[str, ...]:
        return self._languages

    def transcribe_batch(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
        results: list[DecodeResult] = self._call("transcribe_batch", list(requests))
        if len(results) != len(requests):
            raise RemoteEngineError(f"{self.app_name}: {len(results)} results for {len(requests)} requests")
        return results

    def _call(self, method: str, *args: Any) -> Any:
        attempts = self.config.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                response = getattr(self._handle, method).remote(*args)
                return response.result(timeout_s=self.config.timeout_s)
            except Exception as exc:  # a dead replica, a timeout, a lost connection: retry, then report
                log.warning(
                    "remote_batch_failed", app=self.app_name, method=method, attempt=attempt, error=type(exc).__name__
                )
                if attempt == attempts:
                    raise RemoteEngineError(f"{self.app_name}.{method} failed {attempts} times") from exc
                self.retried += 1
                time.sleep(self.config.retry_delay_s)
        raise AssertionError("unreachable")


def _connect(config: RemoteConfig, app_name: str) -> Any:
    """Join the Ray cluster (once per process) and get the app's deployment handle."""
    try:
        import ray
        from ray import serve
    except ImportError as exc:
        raise RemoteEngineError("engine backend 'ray' needs the ray[serve] package installed") from exc
    if not ray.is_initialized():
        try:
            ray.init(address=config.ray_address, namespace=config.ray_namespace, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RemoteEngineError(f"remote.ray_address {config.ray_address!r}: no Ray cluster there ({exc})") from exc
    try:
        return serve.get_app_handle(app_name)
    except Exception as exc:
        raise RemoteEngineError(f"no Ray Serve app {app_name!r} is running (deploy/ray_whisper.py)") from exc
