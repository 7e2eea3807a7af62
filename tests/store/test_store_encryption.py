"""Encryption at rest, crypto-shredding and key rotation, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from gateway.store_listener import StoreListener
from store import CallNotFound, KeyRing, MasterKey, SqlTranscriptStore
from tests.store.conftest import CONFIG, Backend, Clock
from tests.store.helpers import TENANT, call, files_containing

NAME = "Quirinus Vandermolenbeek"
IBAN = "NL91ABNA0417164300"
BSN = "111222333"
PHONE = "+31 6 4817 2290"
CANARY_TEXTS = [
    f"goedemiddag u spreekt met {NAME}",
    f"mijn rekeningnummer is {IBAN} en mijn bsn is {BSN}",
    f"bel me terug op {PHONE} alstublieft",
]
CANARIES = [NAME, "Vandermolenbeek", IBAN, BSN, PHONE, PHONE.replace(" ", "")]


async def _canary_call(store: SqlTranscriptStore) -> None:
    listener = StoreListener(store)
    call(listener, "canary-1", ("quality", "complaint"), CANARY_TEXTS)
    await store.flush()
    await store.link_subject(TENANT, "canary-1", PHONE, "admin:test")


async def test_canary_never_on_disk_in_clear(
    store: SqlTranscriptStore, backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Unredacted names, IBANs, BSNs and phone numbers reach no file (database, WAL, temp dirs) or log in clear."""
    with capture_logs() as logs:
        await _canary_call(store)
        transcript = await store.read_transcript(TENANT, "canary-1", "quality", "admin:test")
        export = await store.export_subject(TENANT, PHONE, "admin:test")
        await store.flush()
    backend.checkpoint()
    assert [f.text for f in transcript.finals] == CANARY_TEXTS
    assert [f.text for f in export.calls[0].transcript.finals] == CANARY_TEXTS
    assert len(backend.query("SELECT * FROM finals")) == 3
    roots = {backend.files, tmp_path_factory.getbasetemp()}  # the database (and WAL/server log), temp dirs
    for canary in CANARIES:
        for needle in (canary.encode(), canary.encode("utf-16-le")):
            for root in roots:
                assert files_containing(root, needle) == [], canary
        assert canary not in repr(logs)


async def test_erasure_shreds_the_key_and_rows(store: SqlTranscriptStore, backend: Backend) -> None:
    """After erasing a call its wrapped data key and rows are gone, so no stored copy can be decrypted."""
    await _canary_call(store)
    wrapped = bytes(backend.query("SELECT wrapped_key FROM calls WHERE call_id = 'canary-1'")[0][0])
    sealed = backend.query("SELECT nonce, ciphertext FROM finals WHERE call_id = 'canary-1'")
    assert len(sealed) == 3
    await store.erase_call(TENANT, "canary-1", "admin:test")
    for table in ("calls", "finals", "subjects"):
        assert backend.query(f"SELECT COUNT(*) FROM {table} WHERE call_id = 'canary-1'") == [(0,)]
    with pytest.raises(CallNotFound):
        await store.read_transcript(TENANT, "canary-1", "quality", "admin:test")
    assert (await store.export_subject(TENANT, PHONE, "admin:test")).calls == ()
    if backend.pg is None:  # SQLite: secure_delete + WAL truncation leave no copy of the key or rows on disk
        assert files_containing(backend.files, wrapped) == []
        for _nonce, ciphertext in sealed:
            assert files_containing(backend.files, bytes(ciphertext)) == []


async def test_rotation_rewraps_and_keeps_everything_readable(backend: Backend, clock: Clock) -> None:
    """Rotating the master key rewraps every data key; reads work during and after, and the old key can go."""
    old, new = MasterKey.generate(), MasterKey.generate()
    first = await SqlTranscriptStore.open(backend.dsn, CONFIG, KeyRing(old), clock)
    call(StoreListener(first), "before", ("quality",), ["voor de rotatie"])
    await first.flush()
    await first.link_subject(TENANT, "before", "+31201234567", "admin:test")
    await first.aclose()

    during = await SqlTranscriptStore.open(backend.dsn, CONFIG, KeyRing(new, (old,)), clock)
    call(StoreListener(during), "after", ("quality",), ["na de rotatie"])
    await during.flush()
    assert (await during.read_transcript(TENANT, "before", "quality", "t")).finals[0].text == "voor de rotatie"
    assert await during.rotate() == 1
    assert await during.rotate() == 0
    await during.aclose()

    only_new = await SqlTranscriptStore.open(backend.dsn, CONFIG, KeyRing(new), clock)
    try:
        for call_id, text in (("before", "voor de rotatie"), ("after", "na de rotatie")):
            assert (await only_new.read_transcript(TENANT, call_id, "quality", "t")).finals[0].text == text
        export = await only_new.export_subject(TENANT, "+31 20 123 4567", "t")
        assert [c.transcript.call.call_id for c in export.calls] == ["before"]
        assert (await only_new.verify()).ok
    finally:
        await only_new.aclose()
