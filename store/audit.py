"""The audit trail's hash chain (pure): canonical rows, their hashes, and verification.

Each audit row is (id, at, tenant, call_id, action, details). Its hash is
``sha256(prev_hash || canonical_json(row))`` where ``prev_hash`` is the previous row's hash (64 zeros
for the first row) and canonical JSON has sorted keys, no spaces and UTF-8. Editing a row changes its
hash; recomputing that hash breaks the next row's link; deleting a row breaks its successor's link.
Only the removal of the newest rows is invisible to the chain alone: :mod:`store.anchor` writes the head
out of the database for that.
Details never carry transcript text or clear subject ids.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

ACTIONS = frozenset(
    {
        "call_opened",
        "consent",
        "read",
        "export",
        "erase_call",
        "erase_subject",
        "purge",
        "key_rotated",
        "subject_linked",
        "special_stop",
    }
)


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One stored audit row, as read back from the database."""

    id: int
    at: float
    tenant: str
    call_id: str | None
    action: str
    details: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Result of verifying the chain: `broken_at` is the id of the first bad row, None when intact."""

    rows: int
    broken_at: int | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def canonical(
    row_id: int, at: float, tenant: str, call_id: str | None, action: str, details: Mapping[str, Any]
) -> bytes:
    """The bytes a row's hash covers (everything but the hashes themselves)."""
    body = {"id": row_id, "at": at, "tenant": tenant, "call_id": call_id, "action": action, "details": details}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + body).hexdigest()


def encode_details(details: Mapping[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def verify_chain(rows: Iterable[AuditRow]) -> ChainReport:
    """Walk the rows in id order; report the first whose link or hash does not match."""
    prev = GENESIS
    count = 0
    for row in rows:
        count += 1
        if row.prev_hash != prev:
            return ChainReport(count, row.id, "link to the previous row does not match")
        body = canonical(row.id, row.at, row.tenant, row.call_id, row.action, row.details)
        if chain_hash(prev, body) != row.hash:
            return ChainReport(count, row.id, "row content does not match its hash")
        prev = row.hash
    return ChainReport(count, None)
