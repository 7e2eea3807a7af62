"""The insights routes: displayable JSON (redacted text, no contact details).

* `GET /v1/calls/{call_id}/insights?purpose=P`: from the store. `Authorization: Bearer <admin token>`
  (ServerConfig.admin_tokens, token -> tenant); scoped to the token's tenant, needs one of the call's
  declared purposes, audited. 401 unauthorized, 403 forbidden (no/undeclared purpose), 404 not_found (no
  such call, or no insights), 503 unavailable (no store), 500 internal (the store failed).
* `GET /v1/calls/{call_id}/insights/live`: for the captions page right after the call, with the caption
  token (ServerConfig.tokens, `?token=` allowed); served from the worker's short in-memory list of recent
  calls (`app.state.insights_worker.recent`), never from the store. 401, 404 not_found (not (yet) there,
  or another tenant's), 503 unavailable (no insights worker).
"""

from __future__ import annotations

import hashlib

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.auth import bearer_token, tenant_for
from store import CallNotFound, PurposeDenied, StoreError, TranscriptStore

log = structlog.get_logger("insights.http")


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


async def read_insights(request: Request) -> Response:
    token = bearer_token(request.headers, {})
    tenant = tenant_for(token, request.app.state.runtime.config.admin_tokens)
    if token is None or tenant is None:
        return JSONResponse({"code": "unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    store: TranscriptStore | None = getattr(request.app.state, "store", None)
    if store is None:
        return _error(503, "unavailable", "transcript storage is not configured")
    purpose = request.query_params.get("purpose")
    if not purpose:
        return _error(403, "forbidden", "name the purpose of this read: ?purpose=...")
    actor = "admin:" + hashlib.sha256(token.encode()).hexdigest()[:12]
    try:
        document = await store.read_insights(tenant, request.path_params["call_id"], purpose, actor)
    except PurposeDenied as exc:
        return _error(403, "forbidden", str(exc))
    except CallNotFound as exc:
        return _error(404, "not_found", str(exc))
    except StoreError as exc:
        log.error("insights_read_failed", exc_info=exc)
        return _error(500, "internal", "the store could not complete the request")
    document.pop("contacts", None)  # contact details go to the CRM only
    return JSONResponse(document)


async def live_insights(request: Request) -> Response:
    tenant = tenant_for(bearer_token(request.headers, request.query_params), request.app.state.runtime.config.tokens)
    if tenant is None:
        return JSONResponse({"code": "unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    worker = getattr(request.app.state, "insights_worker", None)
    if worker is None:
        return _error(503, "unavailable", "post-call insights are not configured")
    document = worker.recent.get(tenant, request.path_params["call_id"])
    if document is None:
        return _error(404, "not_found", "no insights for this call (yet)")
    return JSONResponse(document, headers={"Cache-Control": "no-store"})


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/calls/{call_id}/insights", read_insights, methods=["GET"]),
        Route("/v1/calls/{call_id}/insights/live", live_insights, methods=["GET"]),
    ]
