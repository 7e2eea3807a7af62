"""Bearer-token extraction and tenant lookup."""

from __future__ import annotations

import pytest

from gateway.auth import bearer_token, tenant_for

TOKENS = {"secret-a": "tenant-a", "secret-b": "tenant-b"}


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        ({"authorization": "Bearer secret-a"}, {}, "secret-a"),
        ({"authorization": "bearer  secret-a "}, {}, "secret-a"),
        ({"authorization": "BEARER secret-a"}, {"token": "secret-b"}, "secret-a"),
        ({}, {"token": "secret-b"}, "secret-b"),
        ({"authorization": "Bearer "}, {"token": "secret-b"}, "secret-b"),
        ({"authorization": "Basic dXNlcjpwYXNz"}, {}, None),
        ({"authorization": "Bearer"}, {}, None),
        ({}, {"token": ""}, None),
        ({}, {}, None),
    ],
)
def test_bearer_token(headers: dict[str, str], query: dict[str, str], expected: str | None) -> None:
    """The header's bearer token wins, `?token=` is the fallback, other schemes and blanks give None."""
    assert bearer_token(headers, query) == expected


def test_tenant_for_known_and_unknown_tokens() -> None:
    """A known token maps to its tenant; unknown, near-miss, non-ASCII and missing tokens map to None."""
    assert tenant_for("secret-a", TOKENS) == "tenant-a"
    assert tenant_for("secret-b", TOKENS) == "tenant-b"
    assert tenant_for("secret-", TOKENS) is None
    assert tenant_for("secret-a ", TOKENS) is None
    assert tenant_for("sécret-a", TOKENS) is None
    assert tenant_for(None, TOKENS) is None
    assert tenant_for("secret-a", {}) is None
