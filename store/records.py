"""Row-level helpers shared by the store's operations: audit appends, call rows, sealed finals."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from protocol.errors import InternalError
from protocol.messages import Final, Redaction, Word
from protocol.serialize import server_to_dict
from store.audit import GENESIS, AuditRow, canonical, chain_hash, encode_details
from store.db import Row, Tx
from store.errors import CallNotFound, StoreError
from store.keys import KeyRing, open_sealed, seal, unwrap
from store.model import CallSummary

CALL_COLUMNS = (
    "call_id, purposes, consent, created_at, expires_at, ended_at, "
    "(SELECT COUNT(*) FROM finals f WHERE f.tenant = c.tenant AND f.call_id = c.call_id)"
)


def append_audit(tx: Tx, at: float, tenant: str, call_id: str | None, action: str, details: Mapping[str, Any]) -> None:
    """Append one row to the hash chain (holds the audit lock until the transaction ends)."""
    tx.lock_audit()
    last = tx.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
    row_id, prev = (int(last[0][0]) + 1, str(last[0][1])) if last else (1, GENESIS)
    text = encode_details(details)
    body = canonical(row_id, float(at), tenant, call_id, action, json.loads(text))
    tx.execute(
        "INSERT INTO audit_log (id, at, tenant, call_id, action, details, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (row_id, float(at), tenant, call_id, action, text, prev, chain_hash(prev, body)),
    )


def audit_rows(tx: Tx, after_id: int, limit: int) -> list[AuditRow]:
    rows = tx.execute(
        "SELECT id, at, tenant, call_id, action, details, prev_hash, hash FROM audit_log "
        "WHERE id > ? ORDER BY id LIMIT ?",
        (after_id, limit),
    )
    return [AuditRow(int(r[0]), float(r[1]), r[2], r[3], r[4], json.loads(r[5]), r[6], r[7]) for r in rows]


def chain_head(tx: Tx) -> tuple[int, int, str] | None:
    """(row count, newest id, newest hash) of the audit chain, None when it is empty."""
    last = tx.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
    if not last:
        return None
    count = tx.execute("SELECT COUNT(*) FROM audit_log")[0][0]
    return int(count), int(last[0][0]), str(last[0][1])


def summary(row: Row) -> CallSummary:
    return CallSummary(
        call_id=row[0],
        purposes=tuple(json.loads(row[1])),
        consent=row[2],
        created_at=float(row[3]),
        expires_at=float(row[4]),
        ended_at=None if row[5] is None else float(row[5]),
        finals=int(row[6]),
    )


def call_summary(tx: Tx, tenant: str, call_id: str) -> CallSummary:
    rows = tx.execute(f"SELECT {CALL_COLUMNS} FROM calls c WHERE tenant = ? AND call_id = ?", (tenant, call_id))
    if not rows:
        raise CallNotFound("no such call")
    return summary(rows[0])


def data_key(tx: Tx, ring: KeyRing, tenant: str, call_id: str) -> bytes | None:
    """The call's unwrapped data key, or None when the call is not stored (or was erased)."""
    rows = tx.execute("SELECT key_id, wrapped_key FROM calls WHERE tenant = ? AND call_id = ?", (tenant, call_id))
    if not rows:
        return None
    return unwrap(ring, rows[0][0], bytes(rows[0][1]), tenant, call_id)


def insert_final(tx: Tx, key: bytes, tenant: str, call_id: str, final: Final) -> None:
    """Seal the final's content (text, words, redactions, utterance id); idempotent per seq."""
    wire = server_to_dict(final)
    secret = {k: wire[k] for k in ("utterance_id", "text", "words", "redactions")}
    if final.special:
        secret["special"] = list(final.special)  # art. 9 categories: sealed with the content
    nonce, ciphertext = seal(key, json.dumps(secret, ensure_ascii=False).encode(), tenant, call_id, final.seq)
    tx.execute(
        "INSERT INTO finals (tenant, call_id, seq, leg, start_s, end_s, language, nonce, ciphertext) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (tenant, call_id, final.seq, final.leg, final.start, final.end, final.language, nonce, ciphertext),
    )


def read_finals(tx: Tx, key: bytes, tenant: str, call_id: str) -> tuple[Final, ...]:
    rows = tx.execute(
        "SELECT seq, leg, start_s, end_s, language, nonce, ciphertext FROM finals "
        "WHERE tenant = ? AND call_id = ? ORDER BY seq",
        (tenant, call_id),
    )
    return tuple(
        _final(row, open_sealed(key, bytes(row[5]), bytes(row[6]), tenant, call_id, int(row[0]))) for row in rows
    )


def _final(row: Row, plaintext: bytes) -> Final:
    try:
        content = json.loads(plaintext)
        words = tuple(Word(w["word"], w["start"], w["end"], w["probability"]) for w in content["words"])
        redactions = tuple(Redaction(r["kind"], r["start"], r["end"]) for r in content["redactions"])
        special = tuple(str(c) for c in content.get("special", ()))
        return Final(
            int(row[0]),
            row[1],
            content["utterance_id"],
            content["text"],
            float(row[2]),
            float(row[3]),
            row[4],
            words,
            redactions,
            special,
        )
    except (ValueError, KeyError, TypeError, InternalError):
        raise StoreError("a stored final could not be decoded") from None


INSIGHTS_SEQ = 0
"""The row number an insights document is sealed under (finals count from 1, so it never collides)."""


def write_insights(tx: Tx, key: bytes, now: float, tenant: str, call_id: str, document: str) -> None:
    """Seal the call's insights JSON with its data key; a later analysis replaces an earlier one."""
    nonce, ciphertext = seal(key, document.encode(), tenant, call_id, INSIGHTS_SEQ)
    tx.execute("DELETE FROM insights WHERE tenant = ? AND call_id = ?", (tenant, call_id))
    tx.execute(
        "INSERT INTO insights (tenant, call_id, created_at, nonce, ciphertext) VALUES (?, ?, ?, ?, ?)",
        (tenant, call_id, now, nonce, ciphertext),
    )


def read_insights(tx: Tx, key: bytes, tenant: str, call_id: str) -> dict[str, Any] | None:
    rows = tx.execute("SELECT nonce, ciphertext FROM insights WHERE tenant = ? AND call_id = ?", (tenant, call_id))
    if not rows:
        return None
    plaintext = open_sealed(key, bytes(rows[0][0]), bytes(rows[0][1]), tenant, call_id, INSIGHTS_SEQ)
    try:
        document = json.loads(plaintext)
    except ValueError:
        raise StoreError("stored insights could not be decoded") from None
    if not isinstance(document, dict):
        raise StoreError("stored insights could not be decoded")
    return document
