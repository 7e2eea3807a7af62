"""Webhook signatures (pure): HMAC-SHA256 over the timestamp and the body.

Header sent with every delivery::

    X-Callscribe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
    Idempotency-Key: <event id, the same on every retry of one event>

A receiver recomputes v1 over the raw body it got, compares in constant time, and rejects a `t` older
than its tolerance (replays); it applies each Idempotency-Key once.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Callscribe-Signature"
IDEMPOTENCY = "Idempotency-Key"
EVENT = "X-Callscribe-Event"
TOLERANCE_S = 300


class SignatureError(ValueError):
    """A delivery whose signature header is missing, malformed, wrong or too old."""


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: bytes, header: str | None, body: bytes, now: float, tolerance_s: float = TOLERANCE_S) -> int:
    """The signed timestamp when `header` is a valid signature of `body`; SignatureError otherwise."""
    if not header:
        raise SignatureError("missing signature header")
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        raise SignatureError("malformed signature header") from None
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise SignatureError("signature does not match")
    if abs(now - timestamp) > tolerance_s:
        raise SignatureError("signature timestamp outside tolerance")
    return timestamp
