"""Insights fixtures: a real SQLite transcript store with an open call, and a real loopback CRM receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from insights.fake import FakeCrm
from store import ConsentChange, KeyRing, MasterKey, SqlTranscriptStore, StoreConfig
from tests.conftest import Gateway

SECRET = b"webhook-secret-0123456789abcdef"
STORE_CONFIG = StoreConfig(retention_days={"quality": 30, "complaint": 365}, recipients={"quality": ("QA team", "CRM")})


async def open_call(
    store: SqlTranscriptStore,
    tenant: str,
    call_id: str,
    purposes: tuple[str, ...] = ("quality",),
) -> None:
    """Open the call in the store the way the listener does (consent becomes active)."""
    await store.apply(ConsentChange(tenant, call_id, "active", 0.0, purposes))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlTranscriptStore]:
    opened = await SqlTranscriptStore.open(
        f"sqlite:///{tmp_path}/store.db", STORE_CONFIG, KeyRing(MasterKey.generate())
    )
    yield opened
    await opened.aclose()


@pytest.fixture
async def crm() -> AsyncIterator[FakeCrm]:
    async with FakeCrm(SECRET) as receiver:
        yield receiver


def app_of(gw: Gateway) -> Starlette:
    """The running gateway's Starlette app (its state holds the store and the insights worker)."""
    app = gw.server.config.app
    assert isinstance(app, Starlette)
    return app
