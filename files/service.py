"""File transcription on the gateway's engines and scheduler (async shell): uploads and recording jobs.

Every Whisper window of a file is one lowest-priority job on the shared scheduler (`Scheduler.submit_file`),
so live finals, then live partials, then files; a live final waits behind at most one window. Decoding runs
in a worker thread, one file at a time, in memory. A finished recording passes the runtime's listeners like
a live call: `Start` (purposes, caller), `ConsentState("active")` naming the consent basis (the store's audit
row), its finals (redacted, in time order), `CallEnded` -- so the transcript store applies purposes,
retention, encryption, export and erasure to it as to any call.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import structlog

from asr.longform import HasFasterWhisper, LongformDecode, Step
from asr.types import Audio, Transcriber
from files.config import FilesConfig
from files.decode import DecodedAudio, RawFormat, decode
from files.errors import BadRequest, Busy, FileError, InternalError, NeedsLocalEngine, NotFound
from files.pipeline import FileFinal, LegResult, RecordingPipeline, call_finals
from gateway.core.events import CallClosed, CallOpened, CloseReason, ConnectionClosed, ConsentChanged, Sent
from gateway.core.redaction import CallRedaction
from gateway.runtime import Runtime
from privacy import Policy
from protocol.errors import Unsupported
from protocol.messages import AudioFormat, SpecialPolicy, Start
from protocol.vocab import ConsentStatus, InitialConsent

log = structlog.get_logger("files.service")
JobStatus = Literal["queued", "decoding", "transcribing", "done", "failed"]


@dataclass(frozen=True, slots=True)
class RecordingMeta:
    """What a recording upload declares (validated by `files.http`)."""

    call_id: str
    consent_basis: str
    legs: tuple[str, ...] | None = None
    language: str = "auto"
    purposes: tuple[str, ...] = ()
    caller: str | None = field(default=None, repr=False)
    redaction: str | None = None
    special_categories: str | None = None
    prompt: str = ""
    model: str = ""


@dataclass(slots=True)
class RecordingJob:
    """One recording's state; `legs` fill in while it runs. Only redacted text is ever held here."""

    id: str
    tenant: str
    meta: RecordingMeta
    status: JobStatus = "queued"
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    duration: float = 0.0
    legs: list[LegResult] = field(default_factory=list)
    error: FileError | None = None
    stored: bool = False

    @property
    def progress(self) -> float:
        if self.status == "done":
            return 1.0
        if not self.legs:
            return 0.0
        return sum(leg.progress for leg in self.legs) / len(self.legs)


class FilesService:
    """Shared by the file routes of one runtime (see `attach` / `service_for`)."""

    def __init__(self, runtime: Runtime, config: FilesConfig, clock: Callable[[], float] = time.time) -> None:
        self.runtime = runtime
        self.config = config
        self.jobs: dict[str, RecordingJob] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._decoding = asyncio.Semaphore(1)
        self._clock = clock

    # -- shared steps ----------------------------------------------------------------------------------

    def engine_for(self, model: str, language: str) -> str:
        """A loaded model named by `model`, else the runtime's model for `language` (400 when none serves it)."""
        rt = self.runtime
        try:
            name = model if model in rt.engines else rt.engine_for(language)
        except Unsupported as exc:
            raise BadRequest(str(exc).replace("start.language", "language")) from None
        if language not in ("auto", "en") and language not in rt.engines[name].languages:
            raise BadRequest(f"language: {language!r} is not supported by model {name!r}")
        if not hasattr(rt.engines[name], "faster_whisper"):
            raise NeedsLocalEngine(f"model {name!r} runs on a remote backend: files need a local engine")
        return name

    async def decode(
        self, data: bytes | bytearray, filename: str | None, raw: RawFormat | None, mono: bool
    ) -> DecodedAudio:
        async with self._decoding:
            return await asyncio.to_thread(decode, data, filename, raw, self.config.max_audio_seconds, mono)

    def redaction(self, language: str, redaction: str | None, special: str | None) -> CallRedaction:
        cfg = self.runtime.config
        return CallRedaction(
            language, Policy(redaction or cfg.redaction), cast(SpecialPolicy, special or cfg.special_categories)
        )

    async def transcribe_leg(
        self,
        engine: str,
        call_id: str,
        leg: LegResult,
        audio: Audio,
        language: str,
        prompt: str,
        pipeline: RecordingPipeline,
        words: bool = True,
    ) -> None:
        """Decode one leg window by window on the scheduler, redacting each segment as it comes."""
        work = LongformDecode(audio, language, prompt, self.runtime.config.engine.beam_size, words)

        def step(e: Transcriber) -> Step:
            return work.step(cast(HasFasterWhisper, e))

        while not pipeline.stopped:
            result = await self.runtime.scheduler.submit_file(engine, call_id, step)
            leg.position, leg.language = result.position_s, result.language
            for segment in result.segments:
                pipeline.add(leg, segment, result.language)
            if result.done:
                break

    # -- /v1/audio/transcriptions ---------------------------------------------------------------------

    async def transcribe_upload(
        self,
        data: bytes | bytearray,
        filename: str | None,
        raw: RawFormat | None,
        model: str,
        language: str,
        prompt: str,
    ) -> tuple[list[FileFinal], float, str]:
        """(redacted finals, duration, language) of a one-leg transcription of the whole file (channels mixed)."""
        engine = self.engine_for(model, language)
        audio = await self.decode(data, filename, raw, mono=True)
        leg = LegResult("audio", audio.duration)
        pipeline = RecordingPipeline(self.redaction(language, None, None))
        started = time.perf_counter()
        await self.transcribe_leg(
            engine, f"upload-{secrets.token_hex(4)}", leg, audio.legs[0], language, prompt, pipeline
        )
        log.info(
            "file_transcribed",
            model=engine,
            seconds=round(audio.duration, 2),
            format=audio.source_format,
            wall_s=round(time.perf_counter() - started, 2),
            finals=len(leg.finals),
        )
        return leg.finals, audio.duration, leg.language or language

    # -- recording jobs --------------------------------------------------------------------------------

    def start_job(
        self, tenant: str, meta: RecordingMeta, data: bytes | bytearray, filename: str | None, raw: RawFormat | None
    ) -> RecordingJob:
        """Queue a recording (503 when `max_jobs` are unfinished); it runs in the background."""
        self._expire()
        if sum(j.finished_at is None for j in self.jobs.values()) >= self.config.max_jobs:
            raise Busy("too many recordings are being transcribed; retry later")
        self.engine_for(meta.model, meta.language)  # refuse an unservable language now, not in the job
        job = RecordingJob(f"rec_{secrets.token_urlsafe(12)}", tenant, meta)
        self.jobs[job.id] = job
        task = asyncio.get_running_loop().create_task(self._run(job, data, filename, raw), name=f"file-{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def job(self, tenant: str, job_id: str) -> RecordingJob:
        """A job of this tenant (404 for an unknown id or another tenant's job)."""
        self._expire()
        job = self.jobs.get(job_id)
        if job is None or job.tenant != tenant:
            raise NotFound("no such recording job")
        return job

    def _expire(self) -> None:
        cutoff = self._clock() - self.config.job_ttl_s
        for job_id in [j.id for j in self.jobs.values() if j.finished_at is not None and j.finished_at < cutoff]:
            del self.jobs[job_id]

    async def _run(
        self, job: RecordingJob, data: bytes | bytearray, filename: str | None, raw: RawFormat | None
    ) -> None:
        try:
            job.status = "decoding"
            audio = await self.decode(data, filename, raw, mono=False)
            del data
            await self._transcribe(job, audio)
            job.status = "done"
        except FileError as exc:
            job.status, job.error = "failed", exc
            log.warning("recording_failed", job=job.id, code=exc.code)
        except Exception as exc:  # the engine or the store failed: the job says so, the gateway keeps serving
            job.status, job.error = "failed", InternalError("the recording could not be transcribed")
            log.error("recording_failed", job=job.id, code="internal_error", exc_info=exc)
        finally:
            job.finished_at = self._clock()

    async def _transcribe(self, job: RecordingJob, audio: DecodedAudio) -> None:
        meta = job.meta
        names = meta.legs or (("caller",) if len(audio.legs) == 1 else ("agent", "caller"))
        if len(names) != len(audio.legs):
            raise BadRequest(f"legs: the recording has {len(audio.legs)} channel(s), {len(names)} leg name(s) given")
        job.duration = audio.duration
        job.legs = [LegResult(name, len(a) / 16000) for name, a in zip(names, audio.legs, strict=True)]
        job.status = "transcribing"
        engine = self.engine_for(meta.model, meta.language)
        pipeline = RecordingPipeline(self.redaction(meta.language, meta.redaction, meta.special_categories))
        started = time.perf_counter()
        await asyncio.gather(
            *(
                self.transcribe_leg(engine, meta.call_id, leg, a, meta.language, meta.prompt, pipeline)
                for leg, a in zip(job.legs, audio.legs, strict=True)
            )
        )
        log.info(
            "recording_transcribed",
            job=job.id,
            model=engine,
            legs=len(job.legs),
            seconds=round(audio.duration, 2),
            wall_s=round(time.perf_counter() - started, 2),
            stopped=pipeline.stopped,
        )
        job.stored = self._publish(job)

    def _publish(self, job: RecordingJob) -> bool:
        """Hand the recording to the runtime's bus as a finished call (store, post-call insights); True when a
        store listens."""
        from gateway.store_listener import StoreListener

        meta, rt = job.meta, self.runtime
        fmt = AudioFormat("pcm_s16le", 16000, len(job.legs))
        start = Start(
            meta.call_id,
            fmt,
            tuple(leg.name for leg in job.legs),
            language=meta.language,
            purposes=meta.purposes,
            consent=InitialConsent.GRANTED,
            interim_results=False,
            redaction=cast(Any, meta.redaction),
            special_categories=cast(Any, meta.special_categories),
            caller=meta.caller,
        )
        finals = call_finals(job.legs)
        tenant, call_id, active = job.tenant, meta.call_id, ConsentStatus.ACTIVE
        rt.publish(CallOpened(tenant, call_id, start, 0, "file"))
        rt.publish(ConsentChanged(tenant, call_id, active, 0.0, meta.consent_basis))  # audited with its basis
        for final in finals:
            rt.publish(Sent(tenant, call_id, final))
        rt.publish(ConnectionClosed(tenant, call_id, len(finals), resumable=False))
        rt.publish(
            CallClosed(tenant, call_id, CloseReason.STOPPED, start, tuple(finals), active, started_at=time.time())
        )
        return any(isinstance(listener, StoreListener) for listener in rt.bus.listeners)

    async def aclose(self) -> None:
        """Cancel running jobs (their results are lost; nothing partial is stored)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


_SERVICES: weakref.WeakKeyDictionary[Runtime, FilesService] = weakref.WeakKeyDictionary()


def attach(runtime: Runtime, config: FilesConfig) -> FilesService:
    """Set the file service (and its config) of a runtime; call before serving requests."""
    service = _SERVICES[runtime] = FilesService(runtime, config)
    return service


def service_for(runtime: Runtime) -> FilesService:
    """The runtime's file service; one configured from the runtime's `[files]` settings when none was attached
    (the config file, or `CALLSCRIBE_FILES_*` environment variables through it)."""
    service = _SERVICES.get(runtime)
    return service if service is not None else attach(runtime, runtime.config.files)
