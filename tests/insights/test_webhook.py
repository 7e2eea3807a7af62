"""The CRM webhook: HMAC signatures, the persisted outbox, exactly-once across a restart, erasure notices."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from insights.config import InsightsConfig
from insights.fake import FakeCrm
from insights.model import InsightsError
from insights.signing import SignatureError, sign, verify
from insights.worker import InsightsWorker
from store import CallNotFound, ConsentChange, SqlTranscriptStore
from tests.insights.calls import dutch_call
from tests.insights.conftest import SECRET, open_call


def _config(tmp_path: Path, crm: FakeCrm, **overrides: object) -> InsightsConfig:
    values: dict[str, object] = {
        "outbox_path": str(tmp_path / "outbox.db"),
        "webhook_url": crm.url,
        "webhook_secret": SECRET,
        "backoff_base_s": 0.05,
        "backoff_max_s": 0.2,
    }
    values.update(overrides)
    return InsightsConfig(**values)  # type: ignore[arg-type]


async def _drained(worker: InsightsWorker) -> None:
    """Wait (bounded) until the worker has marked every outbox event delivered."""
    async with asyncio.timeout(10):
        while worker.outbox.pending():  # noqa: ASYNC110 (bounded poll of another component's state)
            await asyncio.sleep(0.05)


def test_signature_verifies_and_rejects_tampering() -> None:
    """A signature verifies over the exact body; another body, secret or an old timestamp is rejected."""
    body = b'{"id":"e1"}'
    header = sign(SECRET, 1_800_000_000, body)
    assert header.startswith("t=1800000000,v1=")
    assert verify(SECRET, header, body, now=1_800_000_010) == 1_800_000_000
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, header, b'{"id":"e2"}', now=1_800_000_010)
    with pytest.raises(SignatureError, match="does not match"):
        verify(b"another-secret-0123456789", header, body, now=1_800_000_010)
    with pytest.raises(SignatureError, match="tolerance"):
        verify(SECRET, header, body, now=1_800_001_000)
    with pytest.raises(SignatureError, match="malformed"):
        verify(SECRET, "v1=abc", body, now=1_800_000_010)


def test_bad_webhook_setting_names_itself() -> None:
    """A webhook URL without a secret is refused with an error naming the setting."""
    with pytest.raises(InsightsError, match="webhook_secret"):
        InsightsConfig(webhook_url="http://127.0.0.1:9/hook")


async def test_delivery_is_signed_and_carries_contacts(tmp_path: Path, store: SqlTranscriptStore, crm: FakeCrm) -> None:
    """The CRM gets one signed call.insights event with the agreements and the contact details."""
    await open_call(store, "tenant-a", "call-nl")
    worker = InsightsWorker(store, _config(tmp_path, crm))
    worker.start()
    try:
        assert await worker.call_closed(dutch_call()) is not None
        await crm.wait_for(1)
    finally:
        await worker.aclose()
    event = crm.events[0]
    assert event["type"] == "call.insights" and event["call_id"] == "call-nl"
    assert {"kind": "email", "value": "jan.devries@voorbeeld.nl", "utterance": 3, "role": "caller"} in event[
        "insights"
    ]["contacts"]
    assert event["insights"]["agreements"][0]["due"]["start"] == "2026-12-02T08:00:00+01:00"
    assert crm.deliveries[0].status == 200 and crm.deliveries[0].key == event["id"]


async def test_retries_with_backoff_until_accepted(tmp_path: Path, store: SqlTranscriptStore, crm: FakeCrm) -> None:
    """Two 503 answers are retried with back-off; the event is applied once, on the third attempt."""
    await open_call(store, "tenant-a", "call-nl")
    crm.fail_next = 2
    worker = InsightsWorker(store, _config(tmp_path, crm))
    worker.start()
    try:
        await worker.call_closed(dutch_call())
        await crm.wait_for(1)
        await _drained(worker)
    finally:
        await worker.aclose()
    assert [d.status for d in crm.deliveries] == [503, 503, 200]
    assert len({d.key for d in crm.deliveries}) == 1
    assert worker.outbox.pending() == 0


async def test_restart_mid_delivery_applies_exactly_once(
    tmp_path: Path, store: SqlTranscriptStore, crm: FakeCrm
) -> None:
    """The CRM applied the event but the sender died before the answer: the restarted worker resends the same
    Idempotency-Key from the persisted outbox and the CRM applies it once."""
    await open_call(store, "tenant-a", "call-nl")
    crm.reply_delay_s = 5.0
    first = InsightsWorker(store, _config(tmp_path, crm))
    first.start()
    await first.call_closed(dutch_call())
    await crm.wait_for(1)
    await first.aclose()  # the process stops while the POST is still waiting for its answer
    assert first.outbox.pending() == 1
    crm.reply_delay_s = 0.0
    second = InsightsWorker(store, _config(tmp_path, crm))  # same outbox file: a new process
    second.start()
    try:
        await _drained(second)
    finally:
        await second.aclose()
    assert len(crm.deliveries) == 2 and crm.deliveries[0].key == crm.deliveries[1].key
    assert len(crm.events) == 1


async def test_erasure_is_forwarded_and_removes_insights(
    tmp_path: Path, store: SqlTranscriptStore, crm: FakeCrm
) -> None:
    """Erasing the call deletes its stored insights and the CRM receives a signed call.erased notice."""
    await open_call(store, "tenant-a", "call-nl")
    worker = InsightsWorker(store, _config(tmp_path, crm))
    worker.start()
    try:
        await worker.call_closed(dutch_call())
        await crm.wait_for(1)
        await store.erase_call("tenant-a", "call-nl", "admin:test")
        await worker.call_erased("tenant-a", "call-nl")
        await crm.wait_for(2)
    finally:
        await worker.aclose()
    assert crm.events[1]["type"] == "call.erased" and crm.events[1]["call_id"] == "call-nl"
    assert "insights" not in crm.events[1]
    with pytest.raises(CallNotFound):
        await store.read_insights("tenant-a", "call-nl", "quality", "admin:test")


async def test_pending_delivery_of_an_erased_call_is_dropped(
    tmp_path: Path, store: SqlTranscriptStore, crm: FakeCrm
) -> None:
    """Insights still in the outbox when the call is erased never reach the CRM; the erasure notice does."""
    await open_call(store, "tenant-a", "call-nl")
    worker = InsightsWorker(store, _config(tmp_path, crm))  # not started: the delivery stays pending
    await worker.call_closed(dutch_call())
    await store.erase_call("tenant-a", "call-nl", "admin:test")
    await worker.call_erased("tenant-a", "call-nl")
    worker.start()
    try:
        await crm.wait_for(1)
    finally:
        await worker.aclose()
    assert [e["type"] for e in crm.events] == ["call.erased"]


async def test_declined_call_gets_no_insights_anywhere(tmp_path: Path, store: SqlTranscriptStore, crm: FakeCrm) -> None:
    """A declined call is not analysed; a call whose consent the store saw declined keeps nothing either."""
    worker = InsightsWorker(store, _config(tmp_path, crm))
    worker.start()
    try:
        assert await worker.call_closed(dutch_call(consent="declined")) is None
        await open_call(store, "tenant-a", "call-late")
        await store.apply(ConsentChange("tenant-a", "call-late", "declined", 3.0, ("quality",)))
        assert await worker.call_closed(dutch_call(call_id="call-late")) is None
        await asyncio.sleep(0.3)
    finally:
        await worker.aclose()
    assert crm.deliveries == [] and worker.outbox.pending() == 0
    with pytest.raises(CallNotFound):
        await store.read_insights("tenant-a", "call-late", "quality", "admin:test")


async def test_crm_purposes_gate_delivery(tmp_path: Path, store: SqlTranscriptStore, crm: FakeCrm) -> None:
    """A call not recorded for a CRM purpose is stored but never sent to the CRM."""
    await open_call(store, "tenant-a", "call-nl")
    worker = InsightsWorker(store, _config(tmp_path, crm, crm_purposes=("complaint",)))
    worker.start()
    try:
        assert await worker.call_closed(dutch_call()) is not None
        await asyncio.sleep(0.3)
    finally:
        await worker.aclose()
    assert crm.deliveries == []
    stored = await store.read_insights("tenant-a", "call-nl", "quality", "admin:test")
    assert stored["call_id"] == "call-nl"
    assert json.dumps(stored, ensure_ascii=False).count("jan.devries@voorbeeld.nl") == 1  # kept, encrypted
