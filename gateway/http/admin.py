"""The admin HTTP API over the transcript store, and the store's start-up/shut-down in the app lifespan.

    GET    /v1/admin/calls                                  the tenant's stored calls (metadata only)
    GET    /v1/admin/calls/{call_id}/transcript?purpose=P   decrypted finals; 403 unless P is a declared purpose
    POST   /v1/admin/calls/{call_id}/subjects               {"subject": id}: link a data subject (keyed hash)
    DELETE /v1/admin/calls/{call_id}                        art. 17 erasure of one call
    POST   /v1/admin/subjects/export   {"caller": number}   art. 15 export: transcripts, purposes, recipients,
                                                            retention dates (or {"subject": id})
    POST   /v1/admin/subjects/erase    {"caller": number}   art. 17 erasure of every call of a subject

A subject identifier is never part of a URL (reverse proxies and access logs record paths): it travels in
the JSON body only.

Authentication: `Authorization: Bearer <admin token>` (ServerConfig.admin_tokens, token -> tenant; never a
query parameter); every operation is scoped to the token's tenant and audited with the token's fingerprint.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.auth import bearer_token, denial, tenant_for
from gateway.core.events import EraseReason
from gateway.insights_listener import InsightsListener
from gateway.runtime import Runtime
from gateway.store_listener import StoreListener
from insights import settings as insights_settings
from protocol.serialize import server_to_dict
from store import (
    CallNotFound,
    CallSummary,
    PurposeDenied,
    SqlTranscriptStore,
    StoreError,
    Transcript,
    TranscriptStore,
    load_keyring,
    maintain,
)
from store.backlog import is_transient

log = structlog.get_logger("gateway.http.admin")
Handler = Callable[[Request, TranscriptStore, str, str], Awaitable[Response]]


# -- lifespan ---------------------------------------------------------------------------------------------


async def open_store(app: Starlette, runtime: Runtime) -> None:
    """Open the store when `store_dsn` is set: migrations, the listener, retention purges (and a pending
    key rotation) in the background. Sets `app.state.store` (None when storage is off)."""
    app.state.store = app.state.store_task = app.state.insights_listener = None
    config = runtime.config
    if config.store_dsn is None:
        return
    ring = load_keyring(config.store, os.environ)
    store = await SqlTranscriptStore.open(config.store_dsn, config.store, ring)
    listener = StoreListener(store)
    runtime.bus.subscribe(listener)
    app.state.store, app.state.store_listener = store, listener
    app.state.insights_listener = await _attach_insights(app, runtime, store)
    runtime.seq_source = store.last_seq  # a call resumed after a restart numbers on from its stored finals
    runtime.store_degraded = lambda: store.degraded  # writes wait for the database: refuse new calls
    runtime.store_backlog = store.backlog
    app.state.store_task = asyncio.create_task(
        maintain(
            store,
            config.store.purge_interval_s,
            rotate=bool(ring.previous),
            anchor_file=config.store.anchor_file,
            anchor_interval_s=config.store.anchor_interval_s,
        ),
        name="store-maintenance",
    )


async def close_store(app: Starlette, runtime: Runtime) -> None:
    """After the drain: stop the background task, apply every posted write, close the store."""
    store: SqlTranscriptStore | None = app.state.store
    if store is None:
        return
    task: asyncio.Task[None] = app.state.store_task
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    runtime.bus.unsubscribe(app.state.store_listener)
    insights_listener: InsightsListener | None = app.state.insights_listener
    if insights_listener is not None:
        runtime.bus.unsubscribe(insights_listener)
        await insights_listener.aclose()
        await insights_settings.detach(app)
    if runtime.config.store.anchor_file is not None:
        await store.flush()
        await store.anchor(Path(runtime.config.store.anchor_file))  # the head as the gateway leaves it
    runtime.seq_source = None
    runtime.store_degraded = lambda: False
    runtime.store_backlog = None
    await store.aclose()


async def _attach_insights(app: Starlette, runtime: Runtime, store: TranscriptStore) -> InsightsListener | None:
    """Start the insights worker on closed calls when enabled (it stores its results in the store)."""
    options = runtime.config.insights
    if not options.enabled:
        return None
    secret = os.environ.get(insights_settings.SECRET_ENV, "").encode()
    if options.webhook_secret_file:
        secret = (await asyncio.to_thread(Path(options.webhook_secret_file).read_bytes)).strip()
    dsn = runtime.config.store_dsn or ""
    data_dir = str(Path(dsn.removeprefix("sqlite:///")).parent) if dsn.startswith("sqlite:///") else "data"
    worker = await insights_settings.attach(app, store, options.to_config(data_dir, secret))
    listener = InsightsListener(worker, options.timezone)
    runtime.bus.subscribe(listener)
    return listener


# -- HTTP -------------------------------------------------------------------------------------------------


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def _admin(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate the admin token, resolve the store, map store errors to HTTP statuses."""

    async def endpoint(request: Request) -> Response:
        rt: Runtime = request.app.state.runtime
        token = bearer_token(request.headers, {})
        tenant = tenant_for(token, rt.config.admin_tokens)
        if token is None or tenant is None:
            return denial(401)
        store: TranscriptStore | None = getattr(request.app.state, "store", None)
        if store is None:
            return _error(503, "unavailable", "transcript storage is not configured")
        actor = "admin:" + hashlib.sha256(token.encode()).hexdigest()[:12]
        try:
            return await handler(request, store, tenant, actor)
        except PurposeDenied as exc:
            return _error(403, "forbidden", str(exc))
        except CallNotFound as exc:
            return _error(404, "not_found", str(exc))
        except StoreError as exc:
            log.error("admin_request_failed", path=request.url.path, exc_info=exc)
            return _error(500, "internal", "the store could not complete the request")
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.error("admin_request_failed", path=request.url.path, error=type(exc).__name__)
            return _error(
                503,
                "unavailable",
                "the store cannot complete the request now (disk full or database unreachable); retry later",
            )

    return endpoint


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat()


def _call(call: CallSummary) -> dict[str, object]:
    return {
        "call_id": call.call_id,
        "purposes": list(call.purposes),
        "consent": call.consent,
        "created_at": _iso(call.created_at),
        "retained_until": _iso(call.expires_at),
        "ended_at": _iso(call.ended_at),
        "finals": call.finals,
    }


def _transcript(t: Transcript) -> dict[str, object]:
    finals = [{k: v for k, v in server_to_dict(f).items() if k != "type"} for f in t.finals]
    return {**_call(t.call), "transcript": finals}


async def list_calls(request: Request, store: TranscriptStore, tenant: str, actor: str) -> Response:
    return JSONResponse({"calls": [_call(c) for c in await store.list_calls(tenant)]})


async def read_transcript(request: Request, store: TranscriptStore, tenant: str, actor: str) -> Response:
    purpose = request.query_params.get("purpose")
    if not purpose:
        return _error(403, "forbidden", "name the purpose of this read: ?purpose=...")
    transcript = await store.read_transcript(tenant, request.path_params["call_id"], purpose, actor)
    return JSONResponse(_transcript(transcript))


async def _subject_of(request: Request) -> str | None:
    """The data subject named in the JSON body (`subject`, or `caller` for a phone number), never in a path:
    reverse proxies log paths."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    subject = body.get("subject", body.get("caller")) if isinstance(body, dict) else None
    return subject if isinstance(subject, str) and subject.strip() else None


_NO_SUBJECT = 'expected {"subject": "<identifier>"} or {"caller": "<number>"}'


async def link_subject(request: Request, store: TranscriptStore, tenant: str, actor: str) -> Response:
    subject = await _subject_of(request)
    if subject is None:
        return _error(400, "bad_request", _NO_SUBJECT)
    await store.link_subject(tenant, request.path_params["call_id"], subject, actor)
    return Response(status_code=204)


async def erase_call(request: Request, store: TranscriptStore, tenant: str, actor: str) -> Response:
    call_id = request.path_params["call_id"]
    runtime: Runtime = request.app.state.runtime
    runtime.erase_call(tenant, call_id, EraseReason.REQUEST)  # first: no listener stores or replays it again
    await store.erase_call(tenant, call_id, actor)
    if (insights := getattr(request.app.state, "insights_worker", None)) is not None:
        await insights.call_erased(tenant, call_id)  # tell the CRM (art. 17)
    return JSONResponse({"erased": 1})


async def export_subject(request: Request, store: TranscriptStore, tenant: str, actor: str) -> Response:
    subject = await _subject_of(request)
    if subject is None:
        return _error(400, "bad_request", _NO_SUBJECT)
    export = await store.export_subject(tenant, subject, actor)
    calls = [
        {
            **_transcript(c.transcript),
            "recipients": {p: list(r) for p, r in c.recipients.items()},
            "insights": c.insights,
        }
        for c in export.calls
    ]
    return JSONResponse({"calls": calls})


async def erase_subject(request: Request, store: TranscriptStore, tenant: str, actor: str) -> Response:
    subject = await _subject_of(request)
    if subject is None:
        return _error(400, "bad_request", _NO_SUBJECT)
    insights = getattr(request.app.state, "insights_worker", None)
    if insights is None:
        return JSONResponse({"erased": await store.erase_subject(tenant, subject, actor)})
    calls = await store.subject_calls(tenant, subject)
    erased = await store.erase_subject(tenant, subject, actor)
    for call_id in calls:  # tell the CRM to delete its copies (art. 17)
        await insights.call_erased(tenant, call_id)
    return JSONResponse({"erased": erased})


def routes() -> list[BaseRoute]:
    """The admin routes (add with `*admin.routes()` in create_app)."""
    return [
        Route("/v1/admin/calls", _admin(list_calls), methods=["GET"]),
        Route("/v1/admin/calls/{call_id}/transcript", _admin(read_transcript), methods=["GET"]),
        Route("/v1/admin/calls/{call_id}/subjects", _admin(link_subject), methods=["POST"]),
        Route("/v1/admin/calls/{call_id}", _admin(erase_call), methods=["DELETE"]),
        Route("/v1/admin/subjects/export", _admin(export_subject), methods=["POST"]),
        Route("/v1/admin/subjects/erase", _admin(erase_subject), methods=["POST"]),
    ]
