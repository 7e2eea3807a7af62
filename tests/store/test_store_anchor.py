"""Audit chain anchoring: deleting the newest audit rows is detected through the anchor file, and a
special-category stop and `final.special` reach the store, on both backends."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import http.server
import json
import threading
from pathlib import Path
from typing import ClassVar

import pytest

from gateway.store_listener import StoreListener
from protocol.messages import PrivacyEvent
from store import KeyRing, SqlTranscriptStore, StoreConfig, maintain
from store.__main__ import main as store_cli
from store.anchor import latest_anchor
from tests.call_events import publish_to
from tests.store.conftest import CONFIG, Backend, Clock
from tests.store.helpers import TENANT, call, final


def _delete_newest(backend: Backend, rows: int) -> None:
    """What an attacker with database access does: drop the append-only guard, delete the newest rows."""
    if backend.pg is not None:
        backend.sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
    else:
        backend.sql("DROP TRIGGER audit_no_delete")
    backend.sql(f"DELETE FROM audit_log WHERE id > (SELECT MAX(id) - {rows} FROM audit_log)")


async def test_verify_detects_deleted_newest_rows_only_with_an_anchor(
    store: SqlTranscriptStore, backend: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After the head is anchored, deleting the two newest audit rows passes the bare chain check but
    fails `python -m store verify --anchor-file` at the anchored row."""
    anchors = tmp_path / "anchors" / "audit.jsonl"
    call(StoreListener(store), "a", ("quality",), ["een"])
    await store.flush()
    await store.read_transcript(TENANT, "a", "quality", "admin:alice")
    await store.erase_call(TENANT, "a", "admin:alice")
    anchor = await store.anchor(anchors)
    assert anchor is not None and latest_anchor(anchors) == anchor
    assert store_cli(["verify", "--dsn", backend.dsn, "--anchor-file", str(anchors)]) == 0
    _delete_newest(backend, 2)
    assert store_cli(["verify", "--dsn", backend.dsn]) == 0  # the chain alone cannot see it
    assert store_cli(["verify", "--dsn", backend.dsn, "--anchor-file", str(anchors)]) == 1
    out = capsys.readouterr().out
    assert f"BROKEN at row {anchor.head_id}" in out and "newest audit rows were deleted" in out


async def test_anchor_command_and_periodic_anchoring(
    backend: Backend, tmp_path: Path, clock: Clock, ring: KeyRing
) -> None:
    """`python -m store anchor` appends the head; the maintenance task anchors at start and each interval,
    and the store's own `verify` checks the configured anchor file."""
    anchors = tmp_path / "audit-anchor.jsonl"
    config = StoreConfig(retention_days=CONFIG.retention_days, anchor_file=str(anchors), anchor_interval_s=0.05)
    store = await SqlTranscriptStore.open(backend.dsn, config, ring, clock)
    try:
        call(StoreListener(store), "a", ("quality",), ["een"])
        await store.flush()
        task = asyncio.create_task(
            maintain(
                store, 3600.0, rotate=False, anchor_file=config.anchor_file, anchor_interval_s=config.anchor_interval_s
            )
        )
        await asyncio.sleep(0.3)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        lines = anchors.read_text().splitlines()
        assert len(lines) >= 2 and all(json.loads(x)["head_id"] >= 2 for x in lines)
        assert store_cli(["anchor", "--dsn", backend.dsn, "--anchor-file", str(anchors)]) == 0
        assert len(anchors.read_text().splitlines()) == len(lines) + 1
        assert (await store.verify()).ok
        _delete_newest(backend, 1)
        report = await store.verify()
        assert not report.ok and "deleted" in (report.reason or "")
    finally:
        await store.aclose()


async def test_special_stop_is_audited_and_final_special_stored(store: SqlTranscriptStore, backend: Backend) -> None:
    """A `special_category_stop` event becomes a `special_stop` audit row (category and time, no text),
    and a final's `special` categories are stored with it and read back."""
    listener = StoreListener(store)
    call(listener, "s", ("quality",), [], end=False)
    publish_to(listener, TENANT, "s", dataclasses.replace(final(1, "[SPECIAL:health]"), special=("health",)))
    publish_to(listener, TENANT, "s", PrivacyEvent("special_category_stop", "health", 3.5))
    await store.flush()
    rows = backend.query("SELECT details FROM audit_log WHERE action = 'special_stop'")
    assert [json.loads(d) for (d,) in rows] == [{"at": 3.5, "category": "health"}]
    transcript = await store.read_transcript(TENANT, "s", "quality", "admin:alice")
    assert [f.special for f in transcript.finals] == [("health",)]


class _Witness(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # keep the test output clean
        return


async def test_anchor_is_posted_to_the_webhook_and_survives_its_failure(
    backend: Backend, tmp_path: Path, clock: Clock, ring: KeyRing
) -> None:
    """With `anchor_webhook`, each anchor is also POSTed as JSON to a real loopback HTTP server; a webhook
    that is down does not lose the anchor in the file nor raise."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Witness)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    anchors = tmp_path / "anchors.jsonl"
    up = StoreConfig(anchor_webhook=f"http://127.0.0.1:{server.server_port}/anchor")
    store = await SqlTranscriptStore.open(backend.dsn, up, ring, clock)
    try:
        call(StoreListener(store), "w", ("quality",), ["een"])
        await store.flush()
        anchor = await store.anchor(anchors)
        assert anchor is not None and _Witness.received[-1]["head_hash"] == anchor.head_hash
    finally:
        await store.aclose()
        server.shutdown()
        server.server_close()
    down = StoreConfig(anchor_webhook=f"http://127.0.0.1:{server.server_port}/anchor")
    store = await SqlTranscriptStore.open(backend.dsn, down, ring, clock)
    try:
        again = await store.anchor(anchors)
        assert again is not None and latest_anchor(anchors) == again
    finally:
        await store.aclose()
