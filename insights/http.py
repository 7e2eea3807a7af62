"""`GET /v1/calls/{call_id}/insights?purpose=P`: a call's insights as JSON (displayable, no contact details).

Authentication: `Authorization: Bearer <admin token>` (ServerConfig.admin_tokens, token -> tenant); the
read is scoped to the token's tenant, needs one of the call's declared purposes and is audited.
401 unauthorized, 403 forbidden (no/undeclared purpose), 404 not_found (no such call, or no insights),
503 unavailable (no store), 500 internal (the store failed).
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


def routes() -> list[BaseRoute]:
    return [Route("/v1/calls/{call_id}/insights", read_insights, methods=["GET"])]
