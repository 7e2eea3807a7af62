"""Bearer-token authentication of upgrade and HTTP requests."""

from __future__ import annotations

import hmac
from collections.abc import Mapping


def bearer_token(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The token from `Authorization: Bearer ...`, or `?token=` for browsers that cannot set headers."""
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    token = query.get("token")
    return token or None


def tenant_for(token: str | None, tokens: Mapping[str, str]) -> str | None:
    """The tenant a token belongs to, compared in constant time; None when unknown."""
    if token is None:
        return None
    found: str | None = None
    for known, tenant in tokens.items():
        if hmac.compare_digest(known.encode(), token.encode()):
            found = tenant
    return found
