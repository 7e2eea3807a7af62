"""How the compatible APIs authenticate and which operator options their calls get (rows of `ENDPOINTS`).

Deepgram clients present their key as `Authorization: Token <key>` (the SDK's default), `Authorization:
Bearer <key>` / `bearer <key>` (temporary tokens), or, from browsers, the subprotocols `token, <key>`
(`bearer, <key>`); OpenAI clients as `Authorization: Bearer <key>` or, from browsers, the subprotocol
`openai-insecure-api-key.<key>` (sources: `../shared/reference/compat-apis.md` 1.1 and 2.1). The key is
one of the gateway's stream tokens (`ServerConfig.tokens`), which names the tenant.

Consent: these clients send none, so `ServerConfig.compat` names each entry point's mode; `off` refuses
the upgrade with 403. The mode is put into the adapter's params over the query, so no client can set it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket

from gateway.auth import bearer_token
from gateway.config import ServerConfig

__all__ = ["deepgram_key", "deepgram_options", "deepgram_refusal", "openai_key", "openai_options"]

_OPENAI_KEY_PREFIX = "openai-insecure-api-key."


def _subprotocols(ws: WebSocket) -> list[str]:
    return [str(p) for p in ws.scope.get("subprotocols") or []]


def deepgram_key(ws: WebSocket) -> str | None:
    """`Authorization: Token|Bearer <key>`, the subprotocol pair `token, <key>`, or `?token=`."""
    scheme, _, value = ws.headers.get("authorization", "").partition(" ")
    if scheme.lower() in ("token", "bearer") and value.strip():
        return value.strip()
    offered = _subprotocols(ws)
    if len(offered) >= 2 and offered[0].lower() in ("token", "bearer") and offered[1]:
        return offered[1]
    return bearer_token(ws.headers, ws.query_params)


def openai_key(ws: WebSocket) -> str | None:
    """`Authorization: Bearer <key>`, the subprotocol `openai-insecure-api-key.<key>`, or `?token=`."""
    for offered in _subprotocols(ws):
        if offered.startswith(_OPENAI_KEY_PREFIX) and len(offered) > len(_OPENAI_KEY_PREFIX):
            return offered[len(_OPENAI_KEY_PREFIX) :]
    return bearer_token(ws.headers, ws.query_params)


def deepgram_options(ws: WebSocket, config: ServerConfig) -> Mapping[str, str] | int:
    """The entry point's consent mode, or 403 while it is `off`."""
    del ws
    mode = config.compat.deepgram_consent
    return 403 if mode == "off" else {"consent": mode}


def openai_options(ws: WebSocket, config: ServerConfig) -> Mapping[str, str] | int:
    """The consent mode (403 while `off`), the dialect (`OpenAI-Beta: realtime=v1`) and the effective VAD."""
    mode = config.compat.openai_consent
    if mode == "off":
        return 403
    beta = "realtime=v1" in ws.headers.get("openai-beta", "")
    vad = config.vad
    return {
        "consent": mode,
        "dialect": "beta" if beta else "ga",
        "vad_threshold": str(vad.threshold),
        "vad_prefix_padding_ms": str(vad.pre_roll_ms),
        "vad_silence_duration_ms": str(vad.min_silence_ms),
    }


def deepgram_refusal(status: int, message: str | None) -> Response:
    """Deepgram's shape of a refused upgrade: a JSON body and the `dg-error`/`dg-request-id` headers."""
    text = message or {
        401: "Websocket initialized with invalid credentials.",
        403: "these credentials do not open this resource",
    }.get(status, "bad request")
    request_id = str(uuid.uuid4())
    code = {400: "Bad Request", 401: "INVALID_AUTH", 403: "INSUFFICIENT_PERMISSIONS"}.get(status, "ERROR")
    return JSONResponse(
        {"err_code": code, "err_msg": text, "request_id": request_id},
        status_code=status,
        headers={"dg-error": text, "dg-request-id": request_id},
    )
