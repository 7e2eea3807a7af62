"""Purpose binding, retention purges, the consent guard and the audit hash chain, on both backends."""

from __future__ import annotations

import json

import pytest

from gateway.store_listener import StoreListener
from protocol.messages import CallEnded, Ready
from store import PurposeDenied, SqlTranscriptStore
from store.__main__ import main as store_cli
from tests.call_events import publish_to
from tests.store.conftest import DAY, T0, Backend, Clock
from tests.store.helpers import TENANT, call, consent, final, start


async def test_reading_requires_a_declared_purpose(store: SqlTranscriptStore) -> None:
    """A transcript is returned only for one of the call's purposes, and only to its own tenant."""
    call(StoreListener(store), "c1", ("quality",), ["hallo", "dag"])
    await store.flush()
    assert [f.seq for f in (await store.read_transcript(TENANT, "c1", "quality", "t")).finals] == [1, 2]
    with pytest.raises(PurposeDenied):
        await store.read_transcript(TENANT, "c1", "marketing", "t")
    assert [c.call_id for c in await store.list_calls("tenant-b")] == []


async def test_unknown_purposes_are_dropped_and_calls_without_one_not_stored(store: SqlTranscriptStore) -> None:
    """Only configured purposes are recorded; a call declaring none of them stores nothing."""
    listener = StoreListener(store)
    call(listener, "mixed", ("quality", "marketing"), ["een"])
    call(listener, "none", ("marketing",), ["twee"])
    call(listener, "empty", (), ["drie"])
    await store.flush()
    calls = await store.list_calls(TENANT)
    assert [(c.call_id, c.purposes, c.finals) for c in calls] == [("mixed", ("quality",), 1)]


async def test_purge_follows_the_longest_purpose(store: SqlTranscriptStore, clock: Clock) -> None:
    """A call expires after the longest retention of its purposes; purges erase exactly the expired calls."""
    listener = StoreListener(store)
    call(listener, "q", ("quality",), ["kwaliteit"])
    call(listener, "qc", ("quality", "complaint"), ["klacht"])
    await store.flush()
    clock.now = T0 + 30 * DAY - 1
    assert await store.purge() == 0
    clock.now = T0 + 30 * DAY
    assert await store.purge() == 1
    assert [c.call_id for c in await store.list_calls(TENANT)] == ["qc"]
    assert (await store.read_transcript(TENANT, "qc", "quality", "t")).finals[0].text == "klacht"
    clock.now = T0 + 365 * DAY
    assert await store.purge() == 1
    assert await store.list_calls(TENANT) == []
    assert (await store.verify()).ok


async def test_nothing_stored_before_consent_is_active(store: SqlTranscriptStore) -> None:
    """Finals published while consent is pending are not stored; after `active` they are."""
    listener = StoreListener(store)
    publish_to(listener, TENANT, "p", start("p", ("quality",), consent="pending"))
    publish_to(listener, TENANT, "p", Ready("s", "p", "pending", "base", ("nl",)))
    publish_to(listener, TENANT, "p", final(1, "te vroeg"))
    await store.flush()
    assert await store.list_calls(TENANT) == []
    consent(listener, "p", "active", 4.0)
    publish_to(listener, TENANT, "p", final(2, "op tijd"))
    consent(listener, "p", "paused", 6.0)
    publish_to(listener, TENANT, "p", final(3, "van voor de pauze"))
    publish_to(listener, TENANT, "p", CallEnded("p", 3))
    await store.flush()
    finals = (await store.read_transcript(TENANT, "p", "quality", "t")).finals
    assert [(f.seq, f.text) for f in finals] == [(2, "op tijd"), (3, "van voor de pauze")]
    (summary,) = await store.list_calls(TENANT)
    assert summary.consent == "paused" and summary.ended_at is not None


async def test_declined_erases_what_was_stored(store: SqlTranscriptStore, backend: Backend) -> None:
    """An opt-out mid-call erases the call's key and finals, and later finals are not stored."""
    listener = StoreListener(store)
    call(listener, "d", ("quality",), ["voor de opt-out"], end=False)
    await store.flush()
    assert len(await store.list_calls(TENANT)) == 1
    consent(listener, "d", "declined", 9.5)
    publish_to(listener, TENANT, "d", final(2, "na de opt-out"))
    await store.flush()
    assert await store.list_calls(TENANT) == []
    assert backend.query("SELECT COUNT(*) FROM finals") == [(0,)]
    actions = [
        (r[0], json.loads(str(r[1])))
        for r in backend.query("SELECT action, details FROM audit_log WHERE call_id = 'd' ORDER BY id")
    ]
    assert [a for a, _ in actions] == ["consent", "call_opened", "consent", "erase_call"]
    assert actions[2][1]["state"] == "declined" and actions[2][1]["at"] == 9.5
    assert actions[3][1]["reason"] == "consent_declined"


async def test_audit_chain_detects_an_edited_row(
    store: SqlTranscriptStore, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    """Editing an audit row in the database makes `verify` fail at exactly that row."""
    call(StoreListener(store), "a", ("quality",), ["een"])
    await store.flush()
    await store.read_transcript(TENANT, "a", "quality", "admin:alice")
    await store.erase_call(TENANT, "a", "admin:alice")
    assert (await store.verify()).ok
    assert store_cli(["verify", "--dsn", backend.dsn]) == 0
    rows = backend.query("SELECT id FROM audit_log WHERE action = 'read'")
    target = int(rows[0][0])
    with pytest.raises(Exception, match="append-only"):
        backend.sql(f"UPDATE audit_log SET details = '{{}}' WHERE id = {target}")
    if backend.pg is not None:
        backend.sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
    else:
        backend.sql("DROP TRIGGER audit_no_update")
    backend.sql(f"UPDATE audit_log SET details = replace(details, 'alice', 'mallory') WHERE id = {target}")
    report = await store.verify()
    assert not report.ok and report.broken_at == target
    assert store_cli(["verify", "--dsn", backend.dsn]) == 1
    assert f"BROKEN at row {target}" in capsys.readouterr().out
