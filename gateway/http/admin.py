"""The admin HTTP API over the transcript store, and the store's start-up/shut-down in the app lifespan.

    GET    /v1/admin/calls                                  the tenant's stored calls (metadata only)
    GET    /v1/admin/calls/{call_id}/transcript?purpose=P   decrypted finals; 403 unless P is a declared purpose
    POST   /v1/admin/calls/{call_id}/subjects               {"subject": id}: link a data subject (keyed hash)
    DELETE /v1/admin/calls/{call_id}                        art. 17 erasure of one call
    GET    /v1/admin/subjects/{subject}/export              art. 15 export: transcripts, purposes, recipients,
                                                            retention dates
    DELETE /v1/admin/subjects/{subject}                     art. 17 erasure of every call of a subject

Authentication: `Authorization: Bearer <admin token>` (ServerConfig.admin_tokens, token -> tenant; never a
query parameter); every operation is scoped to the token's tenant and audited with the token's fingerprint.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.auth import bearer_token, denial, tenant_for
from gateway.core.events import EraseReason
from gateway.runtime import Runtime
from gateway.store_listener import StoreListener
from protocol.serialize import server_to_dict
from store import (
    CallNotFound,
    CallSummary,
    PurposeDenied,
    SqlTranscriptStore,
    StoreConfig,
    StoreError,
    Transcript,
    TranscriptStore,
    load_keyring,
    maintain,
)
from store.backlog import is_transient
from store.keys import MasterKey, write_key_file

log = structlog.get_logger("gateway.http.admin")
Handler = Callable[[Request, TranscriptStore, str, str], Awaitable[Response]]


# -- command line (`callscribe`) ----------------------------------------------------------------------------

def add_store_arguments(p: argparse.ArgumentParser) -> None:
    """The store's options of `callscribe` (each also read from an environment variable)."""
    p.add_argument("--data-dir", default=os.environ.get("CALLSCRIBE_DATA_DIR", "data"),
                   help="where the embedded store (and a generated development master key) live")
    p.add_argument("--store-dsn", default=os.environ.get("CALLSCRIBE_STORE_DSN"),
                   help="sqlite:///path.db or postgresql://...; default sqlite:///<data dir>/callscribe.db; "
                        "'none' stores nothing")
    p.add_argument("--master-key-file", default=os.environ.get("CALLSCRIBE_MASTER_KEY_FILE"),
                   help="base64 256-bit key (`python -m store keygen FILE`); else CALLSCRIBE_MASTER_KEY; "
                        "else <data dir>/master.key, generated on first run (development only)")
    p.add_argument("--old-master-key-file", action="append", default=[],
                   help="a previous master key during a rotation (repeatable)")
    p.add_argument("--admin-token", action="append", default=[],
                   help="TOKEN[:TENANT] for /v1/admin (repeatable); also CALLSCRIBE_ADMIN_TOKENS (comma-separated)")


def store_settings(args: argparse.Namespace,
                   environ: Mapping[str, str]) -> tuple[str | None, StoreConfig, dict[str, str]]:
    """(store DSN or None, StoreConfig, admin tokens) from the parsed options of `add_store_arguments`."""
    admin: dict[str, str] = {}
    for item in args.admin_token + [t for t in environ.get("CALLSCRIBE_ADMIN_TOKENS", "").split(",") if t]:
        token, _, tenant = item.partition(":")
        admin[token] = tenant or "default"
    dsn = args.store_dsn or f"sqlite:///{Path(args.data_dir).resolve() / 'callscribe.db'}"
    if dsn.lower() == "none":
        return None, StoreConfig(), admin
    key_file = args.master_key_file
    if key_file is None and not environ.get(StoreConfig().master_key_env):
        path = Path(args.data_dir) / "master.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_key_file(path, MasterKey.generate())
            log.warning("master_key_generated", path=str(path),
                        advice="development only: keep production keys away from the data they protect")
        key_file = str(path)
    return dsn, StoreConfig(master_key_file=key_file, old_master_key_files=tuple(args.old_master_key_file)), admin


# -- lifespan ---------------------------------------------------------------------------------------------

async def open_store(app: Starlette, runtime: Runtime) -> None:
    """Open the store when `store_dsn` is set: migrations, the listener, retention purges (and a pending
    key rotation) in the background. Sets `app.state.store` (None when storage is off)."""
    app.state.store = app.state.store_task = None
    config = runtime.config
    if config.store_dsn is None:
        return
    ring = load_keyring(config.store, os.environ)
    store = await SqlTranscriptStore.open(config.store_dsn, config.store, ring)
    listener = StoreListener(store)
    runtime.bus.subscribe(listener)
    app.state.store, app.state.store_listener = store, listener
    runtime.seq_source = store.last_seq  # a call resumed after a restart numbers on from its stored finals
    runtime.store_degraded = lambda: store.degraded  # writes wait for the database: refuse new calls
    runtime.store_backlog = store.backlog
    app.state.store_task = asyncio.create_task(
        maintain(store, config.store.purge_interval_s, rotate=bool(ring.previous)), name="store-maintenance")


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
    runtime.seq_source = None
    runtime.store_degraded = lambda: False
    runtime.store_backlog = None
    await store.aclose()


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
            return _error(503, "unavailable", "the store cannot complete the request now (disk full or "
                                              "database unreachable); retry later")

    return endpoint


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat()


def _call(call: CallSummary) -> dict[str, object]:
    return {"call_id": call.call_id, "purposes": list(call.purposes), "consent": call.consent,
            "created_at": _iso(call.created_at), "retained_until": _iso(call.expires_at),
            "ended_at": _iso(call.ended_at), "finals": call.finals}


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


async def link_subject(request: Request, store: TranscriptStore, tenant: str, actor: str) -> Response:
    try:
        body = await request.json()
    except ValueError:
        body = None
    subject = body.get("subject") if isinstance(body, dict) else None
    if not isinstance(subject, str) or not subject.strip():
        return _error(400, "bad_request", 'expected {"subject": "<identifier>"}')
    await store.link_subject(tenant, request.path_params["call_id"], subject, actor)
    return Response(status_code=204)


async def erase_call(request: Request, store: TranscriptStore, tenant: str, actor: str) -> Response:
    call_id = request.path_params["call_id"]
    runtime: Runtime = request.app.state.runtime
    runtime.erase_call(tenant, call_id, EraseReason.REQUEST)  # first: no listener stores or replays it again
    await store.erase_call(tenant, call_id, actor)
    return JSONResponse({"erased": 1})


async def export_subject(request: Request, store: TranscriptStore, tenant: str, actor: str) -> Response:
    export = await store.export_subject(tenant, request.path_params["subject"], actor)
    calls = [{**_transcript(c.transcript), "recipients": {p: list(r) for p, r in c.recipients.items()}}
             for c in export.calls]
    return JSONResponse({"calls": calls})


async def erase_subject(request: Request, store: TranscriptStore, tenant: str, actor: str) -> Response:
    return JSONResponse({"erased": await store.erase_subject(tenant, request.path_params["subject"], actor)})


def routes() -> list[BaseRoute]:
    """The admin routes (add with `*privacy_api.routes()` in create_app)."""
    return [
        Route("/v1/admin/calls", _admin(list_calls), methods=["GET"]),
        Route("/v1/admin/calls/{call_id}/transcript", _admin(read_transcript), methods=["GET"]),
        Route("/v1/admin/calls/{call_id}/subjects", _admin(link_subject), methods=["POST"]),
        Route("/v1/admin/calls/{call_id}", _admin(erase_call), methods=["DELETE"]),
        Route("/v1/admin/subjects/{subject}/export", _admin(export_subject), methods=["GET"]),
        Route("/v1/admin/subjects/{subject}", _admin(erase_subject), methods=["DELETE"]),
    ]
