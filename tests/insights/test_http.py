"""`GET /v1/calls/{call_id}/insights` on a real gateway over loopback, the data-subject export, retention."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from asr.testing import FakeTranscriber
from insights.config import InsightsConfig
from insights.fake import FakeCrm
from insights.worker import InsightsWorker
from store import CallNotFound, KeyRing, MasterKey, SqlTranscriptStore, StoreConfig
from store.keys import write_key_file
from tests.conftest import Gateway, make_config, start_gateway
from tests.insights.calls import dutch_call
from tests.insights.conftest import SECRET, STORE_CONFIG, app_of, open_call
from tests.store.conftest import DAY, T0, Clock
from vad.silero import SileroModel

ADMIN_A = "admin-token-tenant-a-0123456789"
ADMIN_B = "admin-token-tenant-b-0123456789"


@pytest.fixture
async def gw(tmp_path: Path, vad_model: SileroModel) -> AsyncIterator[Gateway]:
    key_file = tmp_path / "master.key"
    write_key_file(key_file, MasterKey.generate())
    config = make_config(
        store_dsn=f"sqlite:///{tmp_path}/store.db",
        store=StoreConfig(
            retention_days=STORE_CONFIG.retention_days,
            recipients=STORE_CONFIG.recipients,
            master_key_file=str(key_file),
        ),
        admin_tokens={ADMIN_A: "tenant-a", ADMIN_B: "tenant-b"},
    )
    engines = {"tiny.en": FakeTranscriber("tiny.en"), "base": FakeTranscriber("base")}
    gateway, task = await start_gateway(config, engines, vad_model)  # type: ignore[arg-type]
    yield gateway
    gateway.server.should_exit = True
    await task


def _store(gw: Gateway) -> SqlTranscriptStore:
    store: SqlTranscriptStore = app_of(gw).state.store
    return store


async def _analysed(gw: Gateway, tmp_path: Path) -> None:
    store = _store(gw)
    await open_call(store, "tenant-a", "call-nl")
    await store.link_subject("tenant-a", "call-nl", "+31612345678", "admin:test")
    worker = InsightsWorker(store, InsightsConfig(outbox_path=str(tmp_path / "outbox.db")))
    try:
        assert await worker.call_closed(dutch_call()) is not None
    finally:
        await worker.aclose()


async def test_endpoint_returns_displayable_insights(gw: Gateway, tmp_path: Path) -> None:
    """The tenant's admin reads summary, agreements and sentiment for a declared purpose, without contacts."""
    await _analysed(gw, tmp_path)
    async with httpx.AsyncClient(base_url=gw.http) as client:
        r = await client.get(
            "/v1/calls/call-nl/insights", params={"purpose": "quality"}, headers={"Authorization": f"Bearer {ADMIN_A}"}
        )
    assert r.status_code == 200
    body = r.json()
    assert "contacts" not in body and "devries" not in r.text
    assert body["agreements"][0] == {
        "owner": "agent",
        "utterance": 2,
        "what": "De monteur komt morgen tussen acht en tien bij u langs.",
        "due": {"start": "2026-12-02T08:00:00+01:00", "end": "2026-12-02T10:00:00+01:00"},
    }
    assert body["sentiment"]["legs"]["caller"]["trend"] == "improving"


@pytest.mark.parametrize(
    ("token", "params", "status", "code"),
    [
        (None, {"purpose": "quality"}, 401, "unauthorized"),
        (ADMIN_A, {}, 403, "forbidden"),
        (ADMIN_A, {"purpose": "training"}, 403, "forbidden"),
        (ADMIN_B, {"purpose": "quality"}, 404, "not_found"),
    ],
)
async def test_endpoint_is_tenant_scoped_and_purpose_checked(
    gw: Gateway, tmp_path: Path, token: str | None, params: dict[str, str], status: int, code: str
) -> None:
    """No token, no purpose, an undeclared purpose or another tenant's call: a typed error, never the data."""
    await _analysed(gw, tmp_path)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=gw.http) as client:
        r = await client.get("/v1/calls/call-nl/insights", params=params, headers=headers)
    assert (r.status_code, r.json()["code"]) == (status, code)


async def test_subject_export_includes_insights_and_erasure_removes_them(gw: Gateway, tmp_path: Path) -> None:
    """Art. 15: the export carries the insights with the contact details; art. 17 erases them with the call."""
    await _analysed(gw, tmp_path)
    auth = {"Authorization": f"Bearer {ADMIN_A}"}
    async with httpx.AsyncClient(base_url=gw.http) as client:
        export = (await client.post("/v1/admin/subjects/export", json={"caller": "+31612345678"}, headers=auth)).json()
        erased = await client.post("/v1/admin/subjects/erase", json={"caller": "+31612345678"}, headers=auth)
        assert erased.status_code == 200
        after = await client.get("/v1/calls/call-nl/insights", params={"purpose": "quality"}, headers=auth)
    contacts = export["calls"][0]["insights"]["contacts"]
    assert {"kind": "phone", "value": "+31612345678", "utterance": 3, "role": "caller"} in contacts
    assert after.status_code == 404


async def test_insights_expire_with_the_call(tmp_path: Path) -> None:
    """The retention purge erases the call's insights together with its transcript."""
    clock = Clock(T0)
    store = await SqlTranscriptStore.open(
        f"sqlite:///{tmp_path}/s.db", STORE_CONFIG, KeyRing(MasterKey.generate()), clock
    )
    try:
        await open_call(store, "tenant-a", "call-nl")
        assert await store.put_insights("tenant-a", "call-nl", '{"call_id": "call-nl"}')
        clock.now = T0 + 31 * DAY
        assert await store.purge() == 1
        with pytest.raises(CallNotFound):
            await store.read_insights("tenant-a", "call-nl", "quality", "admin:test")
    finally:
        await store.aclose()


async def test_admin_erasure_sends_the_erasure_notice(gw: Gateway, tmp_path: Path) -> None:
    """DELETE /v1/admin/calls/{id} forwards a signed call.erased notice to the CRM through the worker."""
    store = _store(gw)
    await open_call(store, "tenant-a", "call-nl")
    async with FakeCrm(SECRET) as crm:
        worker = InsightsWorker(
            store, InsightsConfig(outbox_path=str(tmp_path / "o.db"), webhook_url=crm.url, webhook_secret=SECRET)
        )
        app_of(gw).state.insights_worker = worker
        worker.start()
        try:
            await worker.call_closed(dutch_call())
            await crm.wait_for(1)
            async with httpx.AsyncClient(base_url=gw.http) as client:
                r = await client.delete("/v1/admin/calls/call-nl", headers={"Authorization": f"Bearer {ADMIN_A}"})
            assert r.status_code == 200
            await crm.wait_for(2)
        finally:
            await worker.aclose()
    assert [e["type"] for e in crm.events] == ["call.insights", "call.erased"]


async def test_subject_erasure_sends_a_notice_per_call(gw: Gateway, tmp_path: Path) -> None:
    """POST /v1/admin/subjects/erase erases the subject's calls and sends one call.erased per call."""
    store = _store(gw)
    for call_id in ("call-1", "call-2"):
        await open_call(store, "tenant-a", call_id)
        await store.link_subject("tenant-a", call_id, "+31612345678", "admin:test")
    async with FakeCrm(SECRET) as crm:
        worker = InsightsWorker(
            store, InsightsConfig(outbox_path=str(tmp_path / "o.db"), webhook_url=crm.url, webhook_secret=SECRET)
        )
        app_of(gw).state.insights_worker = worker
        worker.start()
        try:
            async with httpx.AsyncClient(base_url=gw.http) as client:
                r = await client.post(
                    "/v1/admin/subjects/erase",
                    json={"caller": "+31612345678"},
                    headers={"Authorization": f"Bearer {ADMIN_A}"},
                )
            assert r.json() == {"erased": 2}
            await crm.wait_for(2)
        finally:
            await worker.aclose()
    assert sorted((e["type"], e["call_id"]) for e in crm.events) == [
        ("call.erased", "call-1"),
        ("call.erased", "call-2"),
    ]
