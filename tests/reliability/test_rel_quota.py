"""Per-tenant call quotas: one tenant cannot take every slot (finding 5)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from asr.types import Transcriber
from gateway.limits import LimitsConfig
from tests.conftest import TOKEN_B, Gateway, make_config, start_gateway
from tests.reliability.conftest import connect
from vad.silero import SileroModel


@pytest.fixture
async def quota_gw(engines: dict[str, Transcriber], vad_model: SileroModel) -> AsyncIterator[Gateway]:
    config = make_config(limits=LimitsConfig(max_calls_per_tenant=2))
    gw, task = await start_gateway(config, engines, vad_model)
    yield gw
    gw.server.should_exit = True
    await task


async def test_a_tenant_at_its_quota_is_refused_while_another_is_served(quota_gw: Gateway) -> None:
    """With a quota of 2, tenant A's third concurrent call gets `overloaded` (1013) while tenant B's call
    is admitted; the refusal is counted by reason."""
    a = [await connect(quota_gw, f"a-{i}") for i in range(2)]
    for client in a:
        await client.until("ready")
    third = await connect(quota_gw, "a-2")
    await third.closed()
    assert [e["code"] for e in third.of_type("error")] == ["overloaded"] and third.ws.close_code == 1013
    b = await connect(quota_gw, "b-0", token=TOKEN_B)
    await b.until("ready")
    assert quota_gw.runtime.refusals == {"tenant_quota": 1}
    for client in (*a, b):
        await client.ws.close()
