"""The Origin check of the browser-facing endpoints (captions WebSocket, WebRTC offer).

Browsers send `Origin` on every WebSocket upgrade and cross-site POST, and the gateway's token may sit
in a page a third-party site can script (`?token=`): a WebSocket is not covered by CORS, so a page on
another origin could otherwise open captions with a token it got hold of. Allowed: requests with no
`Origin` (media servers, SDKs, curl), same-origin requests (the Origin's host:port is the Host header:
our own captions and softphone pages), and the origins in `limits.allowed_origins` (`*`: any).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit


def origin_allowed(headers: Mapping[str, str], allowed: tuple[str, ...]) -> bool:
    """Whether a request with these headers may use a browser-facing endpoint (see the module doc)."""
    origin = headers.get("origin")
    if origin is None:
        return True
    origin = origin.strip().rstrip("/").lower()
    if "*" in allowed or origin in {a.rstrip("/").lower() for a in allowed}:
        return True
    host = headers.get("host", "").strip().lower()
    parts = urlsplit(origin)
    return bool(host) and parts.scheme in ("http", "https") and parts.netloc == host
