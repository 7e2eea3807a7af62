"""HTTP routes of file transcription (thin Starlette shell over `files.service`).

    POST /v1/audio/transcriptions   OpenAI-compatible (multipart: file, model, language, prompt, response_format,
                                    timestamp_granularities[]; extensions: consent_basis, encoding, sample_rate,
                                    channels for raw G.711). Answers when the file is transcribed.
    POST /v1/recordings             a recording job (multipart: file, consent_basis, call_id, legs, language,
                                    purposes, caller, redaction, special_categories, prompt, model) -> 202 {id}
    GET  /v1/recordings/{id}        status, progress and (as they come) finals per leg with words and times

Authentication: `Authorization: Bearer <stream token>` (ServerConfig.tokens); jobs are scoped to the token's
tenant. Errors are OpenAI-shaped: `{"error": {"message", "type", "code", "param"}}` with the status of the
typed error (see docs/files.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from files.decode import RAW_ENCODINGS, RawFormat, check_extension
from files.errors import BadRequest, ConsentBasisRefused, FileError, InternalError, Unauthorized
from files.render import FORMATS, GRANULARITIES, MEDIA_TYPES, render
from files.service import FilesService, RecordingJob, RecordingMeta, service_for
from files.upload import FormReader, Upload, boundary_of, check_length
from gateway.auth import bearer_token, tenant_for
from gateway.runtime import Runtime
from protocol.errors import ProtocolError
from protocol.messages import AudioFormat, Start

log = structlog.get_logger("files.http")
Handler = Callable[[Request, FilesService, str], Awaitable[Response]]


def error_response(exc: FileError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    kind = "invalid_request_error" if exc.status < 500 else "server_error"
    return JSONResponse(
        {"error": {"message": exc.message, "type": kind, "code": exc.code, "param": None}},
        status_code=exc.status,
        headers=headers,
    )


def _endpoint(runtime: Runtime, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            tenant = tenant_for(bearer_token(request.headers, {}), runtime.config.tokens)
            if tenant is None:
                raise Unauthorized("a valid bearer token is required")
            return await handler(request, service_for(runtime), tenant)
        except FileError as exc:
            log.info("file_request_refused", path=request.url.path, status=exc.status, code=exc.code)
            return error_response(exc)
        except Exception as exc:  # never a traceback to the client; the gateway keeps serving
            log.error("file_request_failed", path=request.url.path, exc_info=exc)
            return error_response(InternalError("internal error"))

    return endpoint


async def read_upload(request: Request, max_bytes: int) -> Upload:
    """The form, read in memory within `max_bytes` (413 as soon as it is over); 400 without a file part."""
    check_length(request.headers.get("content-length"), max_bytes)
    reader = FormReader(boundary_of(request.headers.get("content-type")), max_bytes)
    async for chunk in request.stream():
        reader.write(chunk)
    upload = reader.close()
    if upload.data is None:
        raise BadRequest("file: a file part is required")
    check_extension(upload.filename)
    return upload


def _consent(service: FilesService, upload: Upload, default: str | None) -> str:
    """The consent basis the upload rests on; 403 unless the operator accepts it (nothing decoded before)."""
    basis = (upload.get("consent_basis") or "").strip() or default
    if basis is None or basis not in service.config.consent_bases:
        raise ConsentBasisRefused(
            "consent_basis: not a basis this gateway is configured to accept"
            if basis
            else "consent_basis: required (no default basis is configured)"
        )
    return basis


def _raw(upload: Upload) -> RawFormat | None:
    encoding = upload.get("encoding")
    if not encoding:
        return None
    if encoding not in RAW_ENCODINGS:
        raise BadRequest(f"encoding: use one of {', '.join(RAW_ENCODINGS)} (containers are detected by content)")
    try:
        return RawFormat(encoding, int(upload.get("sample_rate") or 8000), int(upload.get("channels") or 1))
    except ValueError:
        raise BadRequest("sample_rate and channels must be integers") from None


def _language(upload: Upload) -> str:
    language = (upload.get("language") or "").strip() or "auto"
    try:
        Start("x", AudioFormat("pcm_s16le", 16000, 1), ("a",), language=language)
    except ProtocolError:
        raise BadRequest('language: expected a language code such as "en" or "nl"') from None
    return language


def _names(upload: Upload, name: str) -> tuple[str, ...]:
    values = [*upload.getlist(name), *upload.getlist(name + "[]")]
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


async def transcriptions(request: Request, service: FilesService, tenant: str) -> Response:
    upload = await read_upload(request, service.config.max_upload_bytes)
    model = (upload.get("model") or "").strip()
    if not model:
        raise BadRequest("model: required (any name; a loaded model's name selects it)")
    fmt = upload.get("response_format") or "json"
    if fmt not in FORMATS:
        raise BadRequest(f"response_format: use one of {', '.join(FORMATS)}")
    granularities = tuple(upload.getlist("timestamp_granularities[]") + upload.getlist("timestamp_granularities"))
    if any(g not in GRANULARITIES for g in granularities):
        raise BadRequest("timestamp_granularities[]: use word and/or segment")
    _consent(service, upload, service.config.compat_consent_basis)
    language = _language(upload)
    assert upload.data is not None
    finals, duration, detected = await service.transcribe_upload(
        upload.data, upload.filename, _raw(upload), model, language, upload.get("prompt") or ""
    )
    body = render(fmt, finals, duration, detected, granularities)
    if isinstance(body, dict):
        return JSONResponse(body)
    return PlainTextResponse(body, media_type=MEDIA_TYPES[fmt])


def _meta(upload: Upload, basis: str, default_call_id: str) -> RecordingMeta:
    legs = _names(upload, "legs") or None
    meta = RecordingMeta(
        call_id=(upload.get("call_id") or "").strip() or default_call_id,
        consent_basis=basis,
        legs=legs,
        language=_language(upload),
        purposes=_names(upload, "purposes"),
        caller=upload.get("caller") or None,
        redaction=upload.get("redaction") or None,
        special_categories=upload.get("special_categories") or None,
        prompt=upload.get("prompt") or "",
        model=(upload.get("model") or "").strip(),
    )
    channels = len(legs) if legs and len(legs) <= 2 else 1
    try:  # the same rules as a live call's start message (lengths, counts, choices)
        Start(
            meta.call_id,
            AudioFormat("pcm_s16le", 16000, channels),
            legs or ("caller",),
            language=meta.language,
            purposes=meta.purposes,
            redaction=cast(Any, meta.redaction),
            special_categories=cast(Any, meta.special_categories),
            caller=meta.caller,
        )
    except ProtocolError as exc:
        raise BadRequest(str(exc).replace("start.", "")) from None
    return meta


async def create_recording(request: Request, service: FilesService, tenant: str) -> Response:
    upload = await read_upload(request, service.config.max_upload_bytes)
    basis = _consent(service, upload, None)
    assert upload.data is not None
    job = service.start_job(
        tenant, _meta(upload, basis, f"recording-{len(service.jobs) + 1}"), upload.data, upload.filename, _raw(upload)
    )
    log.info("recording_queued", job=job.id, tenant=tenant, bytes=len(upload.data))
    return JSONResponse(
        {"id": job.id, "status": job.status, "url": f"/v1/recordings/{job.id}"},
        status_code=202,
        headers={"Location": f"/v1/recordings/{job.id}"},
    )


def job_json(job: RecordingJob) -> dict[str, Any]:
    """A job as `GET /v1/recordings/{id}` shows it: status, progress, finals per leg with words and times."""
    return {
        "id": job.id,
        "status": job.status,
        "progress": round(job.progress, 3),
        "call_id": job.meta.call_id,
        "duration": round(job.duration, 3),
        "language": job.meta.language,
        "purposes": list(job.meta.purposes),
        "consent_basis": job.meta.consent_basis,
        "stored": job.stored,
        "error": None if job.error is None else {"code": job.error.code, "message": job.error.message},
        "legs": {
            leg.name: {
                "progress": round(leg.progress, 3),
                "language": leg.language,
                "finals": [
                    {
                        "seq": f.final.seq,
                        "utterance_id": f.final.utterance_id,
                        "text": f.final.text,
                        "start": f.final.start,
                        "end": f.final.end,
                        "language": f.final.language,
                        "words": [
                            {"word": w.word, "start": w.start, "end": w.end, "probability": round(w.probability, 3)}
                            for w in f.final.words
                        ],
                        "redactions": [{"kind": r.kind, "start": r.start, "end": r.end} for r in f.final.redactions],
                        "special": list(f.final.special),
                    }
                    for f in leg.finals
                ],
            }
            for leg in job.legs
        },
    }


async def get_recording(request: Request, service: FilesService, tenant: str) -> Response:
    return JSONResponse(job_json(service.job(tenant, request.path_params["job_id"])))


def routes(runtime: Runtime) -> list[BaseRoute]:
    """The file routes (add with `*files_http.routes(runtime)` in create_app)."""
    return [
        Route("/v1/audio/transcriptions", _endpoint(runtime, transcriptions), methods=["POST"]),
        Route("/v1/recordings", _endpoint(runtime, create_recording), methods=["POST"]),
        Route("/v1/recordings/{job_id}", _endpoint(runtime, get_recording), methods=["GET"]),
    ]


async def shutdown(runtime: Runtime) -> None:
    """Lifespan helper: cancel running recording jobs (call before the scheduler closes)."""
    await service_for(runtime).aclose()
