"""Bearer-token authentication of upgrade and HTTP requests."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

from starlette.responses import JSONResponse


def bearer_token(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The token from `Authorization: Bearer ...`, or `?token=` for browsers that cannot set headers."""
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    token = query.get("token")
    return token or None


def basic_password(headers: Mapping[str, str]) -> str | None:
    """The password of `Authorization: Basic ...` (any user name), as the token of a media server that can
    send nothing else (Asterisk `websocket_client.conf` `username`/`password`, jambonz `listen` auth)."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    _, sep, password = decoded.partition(":")
    return password if sep and password else None


def media_server_token(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The token of a telephony upgrade: a bearer token, `?token=`, or HTTP Basic with the token as password."""
    return bearer_token(headers, query) or basic_password(headers)


def tenant_for(token: str | None, tokens: Mapping[str, str]) -> str | None:
    """The tenant a token belongs to, compared in constant time; None when unknown."""
    if token is None:
        return None
    found: str | None = None
    for known, tenant in tokens.items():
        if hmac.compare_digest(known.encode(), token.encode()):
            found = tenant
    return found


def denial(status: int, message: str | None = None) -> JSONResponse:
    """The HTTP refusal of a request or upgrade: 401 (no valid credentials) or 403 (not yours)."""
    code = "unauthorized" if status == 401 else "forbidden"
    body = {
        "code": code,
        "message": message
        or ("a valid bearer token is required" if status == 401 else "these credentials do not open this resource"),
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)
