"""File transcription settings: one typed object, validated once (also readable from the environment)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ENV_PREFIX = "CALLSCRIBE_FILES_"


@dataclass(frozen=True, slots=True)
class FilesConfig:
    """Limits and the consent bases the operator accepts; each field has a line of advice."""

    consent_bases: tuple[str, ...] = ()
    """Consent bases a recording may rest on (e.g. "announced-in-greeting", "recording-announced"). A
    recording naming any other basis, or none, is refused (403) before a byte of it is decoded. Empty: no
    recording is accepted."""
    compat_consent_basis: str | None = None
    """The basis the operator asserts for `/v1/audio/transcriptions` uploads that name none (OpenAI clients
    cannot send one; voicemail: "voicemail-greeting"). Must be one of `consent_bases`; None: such uploads
    are refused (403)."""
    max_upload_bytes: int = 64 * 1024 * 1024
    """Largest upload (413 `too_large`, checked while reading: nothing beyond it is buffered)."""
    max_audio_seconds: float = 4 * 3600.0
    """Longest decoded audio per leg (413 `too_long`; guards against tiny files that decode to hours)."""
    max_jobs: int = 16
    """Recording jobs queued or running at once; the next gets 503 `overloaded`."""
    job_ttl_s: float = 3600.0
    """How long a finished job's (redacted) result is kept in memory for `GET /v1/recordings/{id}`."""

    def __post_init__(self) -> None:
        if self.max_upload_bytes < 1024 or self.max_audio_seconds <= 0:
            raise ValueError("files: max_upload_bytes must be >= 1024 and max_audio_seconds > 0")
        if self.max_jobs < 1 or self.job_ttl_s <= 0:
            raise ValueError("files: max_jobs must be >= 1 and job_ttl_s > 0")
        if any(not b.strip() for b in self.consent_bases):
            raise ValueError("files: consent_bases must not hold empty names")
        if self.compat_consent_basis is not None and self.compat_consent_basis not in self.consent_bases:
            raise ValueError("files: compat_consent_basis must be one of consent_bases")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> FilesConfig:
        """`CALLSCRIBE_FILES_CONSENT_BASES` (comma-separated), `..._COMPAT_CONSENT_BASIS`, `..._MAX_UPLOAD_MB`,
        `..._MAX_AUDIO_SECONDS`, `..._MAX_JOBS`, `..._JOB_TTL_S`; a bad value raises ValueError naming it."""
        get = environ.get
        bases = tuple(b.strip() for b in get(ENV_PREFIX + "CONSENT_BASES", "").split(",") if b.strip())
        defaults = cls()
        return cls(
            consent_bases=bases,
            compat_consent_basis=get(ENV_PREFIX + "COMPAT_CONSENT_BASIS") or None,
            max_upload_bytes=int(_number(environ, "MAX_UPLOAD_MB", defaults.max_upload_bytes / 2**20) * 2**20),
            max_audio_seconds=_number(environ, "MAX_AUDIO_SECONDS", defaults.max_audio_seconds),
            max_jobs=int(_number(environ, "MAX_JOBS", defaults.max_jobs)),
            job_ttl_s=_number(environ, "JOB_TTL_S", defaults.job_ttl_s),
        )


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(ENV_PREFIX + name)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{ENV_PREFIX}{name}: expected a number, got {raw!r}") from None
