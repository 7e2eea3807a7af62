"""The store's operations, run on its single worker thread (blocking database calls live only here).

Theory of operation: a call gets a row (and a fresh data key) the first time its consent becomes
`active`, never before; finals are sealed with that key and stored only while consent is `active`
or `paused`; `declined` erases whatever was stored (the wrapped key first: crypto-shredding). Every
consent change, read, export, erasure, purge and rotation appends to the audit hash chain inside the
same transaction as the change it records, so the trail and the data never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from store import records
from store.anchor import Anchor, append_anchor, check_anchor, latest_anchor, post_anchor
from store.audit import AuditRow, ChainReport, verify_chain
from store.config import StoreConfig
from store.db import Database, Tx
from store.errors import CallNotFound, PurposeDenied, StoreError
from store.keys import KeyRing, new_data_key, subject_hash, unwrap, wrap
from store.migrations import migrate
from store.model import (
    STORABLE,
    CallEnd,
    CallSummary,
    ConsentChange,
    ExportedCall,
    SpecialStop,
    StoreFinal,
    SubjectExport,
    SubjectLink,
    Transcript,
    WriteCommand,
)

log = structlog.get_logger("store")
_SUBJECT_SECRET = "subject_hmac"
SYSTEM = "*"
"""Tenant recorded on audit rows that concern the whole store (key rotation)."""


class StoreCore:
    """Synchronous store operations on one database connection (one thread only)."""

    def __init__(self, db: Database, ring: KeyRing, config: StoreConfig, clock: Callable[[], float]) -> None:
        self.db, self.ring, self.config, self.clock = db, ring, config, clock
        self.version = migrate(db, clock())
        self._subject_key = self._load_subject_key()

    def _load_subject_key(self) -> bytes:
        """The HMAC key for subject ids: random, stored wrapped (so rotation does not change the hashes)."""
        with self.db.transaction() as tx:
            tx.lock_audit()
            rows = tx.execute("SELECT key_id, wrapped FROM store_secrets WHERE name = ?", (_SUBJECT_SECRET,))
            if rows:
                return unwrap(self.ring, rows[0][0], bytes(rows[0][1]), SYSTEM, _SUBJECT_SECRET)
            key = new_data_key()
            tx.execute(
                "INSERT INTO store_secrets (name, key_id, wrapped) VALUES (?, ?, ?)",
                (_SUBJECT_SECRET, self.ring.current.key_id, wrap(self.ring.current, key, SYSTEM, _SUBJECT_SECRET)),
            )
            return key

    # -- writes from the listener --------------------------------------------------------------------

    def apply(self, cmd: WriteCommand) -> None:
        """Apply one write command (see `store.model`)."""
        if isinstance(cmd, ConsentChange):
            self._consent(cmd)
        elif isinstance(cmd, StoreFinal):
            self._final(cmd)
        elif isinstance(cmd, SubjectLink):
            self._subject_link(cmd)
        elif isinstance(cmd, SpecialStop):
            with self.db.transaction() as tx:
                records.append_audit(
                    tx, self.clock(), cmd.tenant, cmd.call_id, "special_stop", {"category": cmd.category, "at": cmd.at}
                )
        else:
            self._end(cmd)

    def _consent(self, cmd: ConsentChange) -> None:
        now = self.clock()
        with self.db.transaction() as tx:
            records.append_audit(
                tx,
                now,
                cmd.tenant,
                cmd.call_id,
                "consent",
                {"state": cmd.state, "at": cmd.at, "announcement": cmd.announcement},
            )
            exists = bool(tx.execute("SELECT 1 FROM calls WHERE tenant = ? AND call_id = ?", (cmd.tenant, cmd.call_id)))
            if cmd.state == "declined":
                if exists:
                    self._erase(tx, now, cmd.tenant, cmd.call_id, "consent_declined", None)
            elif exists:
                tx.execute(
                    "UPDATE calls SET consent = ? WHERE tenant = ? AND call_id = ?",
                    (cmd.state, cmd.tenant, cmd.call_id),
                )
            elif cmd.state == "active":
                self._open(tx, now, cmd)
        if cmd.state == "declined" and exists:
            self.db.compact()

    def _open(self, tx: Tx, now: float, cmd: ConsentChange) -> None:
        purposes = self.config.kept_purposes(cmd.purposes)
        retention = self.config.retention_for(purposes)
        if retention is None:
            log.info("call_not_stored", call_id=cmd.call_id, tenant=cmd.tenant, reason="no_known_purpose")
            return
        key = new_data_key()
        tx.execute(
            "INSERT INTO calls (tenant, call_id, purposes, consent, created_at, expires_at, key_id, "
            "wrapped_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cmd.tenant,
                cmd.call_id,
                json.dumps(list(purposes)),
                cmd.state,
                now,
                now + retention,
                self.ring.current.key_id,
                wrap(self.ring.current, key, cmd.tenant, cmd.call_id),
            ),
        )
        records.append_audit(
            tx,
            now,
            cmd.tenant,
            cmd.call_id,
            "call_opened",
            {"purposes": list(purposes), "expires_at": now + retention, "key_id": self.ring.current.key_id},
        )

    def _final(self, cmd: StoreFinal) -> None:
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT consent FROM calls WHERE tenant = ? AND call_id = ?", (cmd.tenant, cmd.call_id))
            if not rows:  # not stored at all (no known purpose), or erased
                return
            if rows[0][0] not in STORABLE:  # the listener posts finals only while storable: a bug upstream
                log.warning(
                    "final_not_stored", call_id=cmd.call_id, tenant=cmd.tenant, seq=cmd.final.seq, consent=rows[0][0]
                )
                return
            key = records.data_key(tx, self.ring, cmd.tenant, cmd.call_id)
            assert key is not None  # the row exists in this transaction
            records.insert_final(tx, key, cmd.tenant, cmd.call_id, cmd.final)

    def _end(self, cmd: CallEnd) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE calls SET ended_at = ? WHERE tenant = ? AND call_id = ?",
                (self.clock(), cmd.tenant, cmd.call_id),
            )

    def _subject_link(self, cmd: SubjectLink) -> None:
        """The listener's link (from `start.caller`): skipped when the call has no row (not stored)."""
        now = self.clock()
        with self.db.transaction() as tx:
            if tx.execute("SELECT 1 FROM calls WHERE tenant = ? AND call_id = ?", (cmd.tenant, cmd.call_id)):
                self._link(tx, now, cmd.tenant, cmd.call_id, cmd.subject, cmd.actor)

    def link_subject(self, tenant: str, call_id: str, subject: str, actor: str) -> None:
        """Record that the call concerns this data subject (only the keyed hash of the id is stored)."""
        now = self.clock()
        with self.db.transaction() as tx:
            records.call_summary(tx, tenant, call_id)  # CallNotFound when absent
            self._link(tx, now, tenant, call_id, subject, actor)

    def _link(self, tx: Tx, now: float, tenant: str, call_id: str, subject: str, actor: str) -> None:
        tx.execute(
            "INSERT INTO subjects (tenant, subject_hash, call_id, linked_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (tenant, subject_hash(self._subject_key, tenant, subject), call_id, now),
        )
        records.append_audit(tx, now, tenant, call_id, "subject_linked", {"actor": actor})

    # -- reads ---------------------------------------------------------------------------------------

    def last_seq(self, tenant: str, call_id: str) -> int | None:
        """The highest stored final seq of the call (None: nothing stored); a resumed call numbers on from it."""
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT MAX(seq) FROM finals WHERE tenant = ? AND call_id = ?", (tenant, call_id))
        return None if not rows or rows[0][0] is None else int(rows[0][0])

    def list_calls(self, tenant: str) -> list[CallSummary]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                f"SELECT {records.CALL_COLUMNS} FROM calls c WHERE tenant = ? ORDER BY created_at, call_id", (tenant,)
            )
        return [records.summary(r) for r in rows]

    def read(self, tenant: str, call_id: str, purpose: str, actor: str) -> Transcript:
        """The call's transcript for one of its declared purposes; PurposeDenied otherwise (audited)."""
        now = self.clock()
        with self.db.transaction() as tx:
            call = records.call_summary(tx, tenant, call_id)
            allowed = purpose in call.purposes
            records.append_audit(
                tx, now, tenant, call_id, "read", {"purpose": purpose, "actor": actor, "allowed": allowed}
            )
            if allowed:
                key = records.data_key(tx, self.ring, tenant, call_id)
                assert key is not None
                return Transcript(call, records.read_finals(tx, key, tenant, call_id))
        raise PurposeDenied("the call was not recorded for this purpose")

    def export_subject(self, tenant: str, subject: str, actor: str) -> SubjectExport:
        """Art. 15: every call linked to the subject, with purposes, recipients and retention dates."""
        now = self.clock()
        digest = subject_hash(self._subject_key, tenant, subject)
        with self.db.transaction() as tx:
            ids = [
                r[0]
                for r in tx.execute(
                    "SELECT call_id FROM subjects WHERE tenant = ? AND subject_hash = ? ORDER BY linked_at, call_id",
                    (tenant, digest),
                )
            ]
            calls = []
            for call_id in ids:
                call = records.call_summary(tx, tenant, call_id)
                key = records.data_key(tx, self.ring, tenant, call_id)
                assert key is not None
                recipients = {p: self.config.recipients.get(p, ()) for p in call.purposes}
                calls.append(
                    ExportedCall(
                        Transcript(call, records.read_finals(tx, key, tenant, call_id)),
                        recipients,
                        records.read_insights(tx, key, tenant, call_id),
                    )
                )
            records.append_audit(tx, now, tenant, None, "export", {"actor": actor, "calls": ids})
        return SubjectExport(tuple(calls))

    def put_insights(self, tenant: str, call_id: str, document: str) -> bool:
        """Seal a call's insights (JSON) under its data key; False (nothing kept) when the call is not stored
        or its consent is no longer storable (declined, erased, never opened)."""
        now = self.clock()
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT consent FROM calls WHERE tenant = ? AND call_id = ?", (tenant, call_id))
            if not rows or rows[0][0] not in STORABLE:
                return False
            key = records.data_key(tx, self.ring, tenant, call_id)
            assert key is not None
            records.write_insights(tx, key, now, tenant, call_id, document)
            records.append_audit(tx, now, tenant, call_id, "insights_stored", {})
        return True

    def read_insights(self, tenant: str, call_id: str, purpose: str, actor: str) -> dict[str, Any]:
        """A call's insights for one of its declared purposes (audited); CallNotFound when there are none."""
        now = self.clock()
        with self.db.transaction() as tx:
            call = records.call_summary(tx, tenant, call_id)
            allowed = purpose in call.purposes
            records.append_audit(
                tx, now, tenant, call_id, "read_insights", {"purpose": purpose, "actor": actor, "allowed": allowed}
            )
            if allowed:
                key = records.data_key(tx, self.ring, tenant, call_id)
                assert key is not None
                document = records.read_insights(tx, key, tenant, call_id)
                if document is None:
                    raise CallNotFound("no insights for this call")
                return document
        raise PurposeDenied("the call was not recorded for this purpose")

    def verify(self) -> ChainReport:
        """Check the whole audit hash chain (and its anchor file, when configured)."""
        path = self.config.anchor_file
        return verify_database(self.db, anchor=latest_anchor(Path(path)) if path and Path(path).is_file() else None)

    def anchor(self, path: Path) -> Anchor | None:
        """Append the current chain head to the anchor file ``path``; None when the chain is empty."""
        with self.db.transaction() as tx:
            head = records.chain_head(tx)
        if head is None:
            return None
        anchor = Anchor(self.clock(), *head)
        append_anchor(path, anchor)
        if self.config.anchor_webhook is not None:
            try:
                post_anchor(self.config.anchor_webhook, anchor)
            except OSError as exc:  # the file holds the anchor; the webhook gets the next one
                log.warning("anchor_webhook_failed", error=type(exc).__name__, rows=anchor.rows)
        return anchor

    # -- erasure, retention, rotation ----------------------------------------------------------------

    def _erase(self, tx: Tx, now: float, tenant: str, call_id: str, reason: str, actor: str | None) -> None:
        tx.execute("UPDATE calls SET wrapped_key = ? WHERE tenant = ? AND call_id = ?", (b"", tenant, call_id))
        for table in ("finals", "insights", "subjects", "calls"):
            tx.execute(f"DELETE FROM {table} WHERE tenant = ? AND call_id = ?", (tenant, call_id))
        records.append_audit(tx, now, tenant, call_id, "erase_call", {"reason": reason, "actor": actor})

    def erase_call(self, tenant: str, call_id: str, actor: str) -> None:
        """Art. 17 for one call: its data key and rows are deleted; CallNotFound when absent."""
        now = self.clock()
        with self.db.transaction() as tx:
            records.call_summary(tx, tenant, call_id)
            self._erase(tx, now, tenant, call_id, "request", actor)
        self.db.compact()

    def subject_calls(self, tenant: str, subject: str) -> list[str]:
        """The ids of the calls linked to a data subject (ids only; e.g. to notify recipients of an erasure)."""
        digest = subject_hash(self._subject_key, tenant, subject)
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT call_id FROM subjects WHERE tenant = ? AND subject_hash = ? ORDER BY call_id", (tenant, digest)
            )
        return [r[0] for r in rows]

    def erase_subject(self, tenant: str, subject: str, actor: str) -> int:
        """Art. 17 for a data subject: every linked call is erased; returns how many."""
        now = self.clock()
        digest = subject_hash(self._subject_key, tenant, subject)
        with self.db.transaction() as tx:
            ids = [
                r[0]
                for r in tx.execute(
                    "SELECT call_id FROM subjects WHERE tenant = ? AND subject_hash = ?", (tenant, digest)
                )
            ]
            for call_id in ids:
                self._erase(tx, now, tenant, call_id, "subject_request", actor)
            records.append_audit(tx, now, tenant, None, "erase_subject", {"actor": actor, "calls": ids})
        self.db.compact()
        return len(ids)

    def purge(self) -> int:
        """Erase every call past its retention date (the clock is injected); returns how many."""
        now = self.clock()
        with self.db.transaction() as tx:
            expired = tx.execute(
                "SELECT tenant, call_id FROM calls WHERE expires_at <= ? ORDER BY tenant, call_id", (now,)
            )
            for tenant, call_id in expired:
                self._erase(tx, now, tenant, call_id, "retention", None)
            for tenant in sorted({t for t, _ in expired}):
                records.append_audit(tx, now, tenant, None, "purge", {"calls": [c for t, c in expired if t == tenant]})
        if expired:
            self.db.compact()
        return len(expired)

    def rotate(self) -> int:
        """Rewrap every data key (and the subject secret) under the current master key, in batches."""
        current, total = self.ring.current, 0
        old_ids: set[str] = set()
        while True:
            with self.db.transaction() as tx:
                rows = tx.execute(
                    "SELECT tenant, call_id, key_id, wrapped_key FROM calls WHERE key_id <> ? LIMIT ?",
                    (current.key_id, self.config.rotate_batch),
                )
                for tenant, call_id, key_id, wrapped in rows:
                    key = unwrap(self.ring, key_id, bytes(wrapped), tenant, call_id)
                    tx.execute(
                        "UPDATE calls SET key_id = ?, wrapped_key = ? WHERE tenant = ? AND call_id = ?",
                        (current.key_id, wrap(current, key, tenant, call_id), tenant, call_id),
                    )
                    old_ids.add(key_id)
            total += len(rows)
            if not rows:
                break
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE store_secrets SET key_id = ?, wrapped = ? WHERE name = ?",
                (current.key_id, wrap(current, self._subject_key, SYSTEM, _SUBJECT_SECRET), _SUBJECT_SECRET),
            )
            if total:
                records.append_audit(
                    tx,
                    self.clock(),
                    SYSTEM,
                    None,
                    "key_rotated",
                    {"from": sorted(old_ids), "to": current.key_id, "data_keys": total},
                )
        return total

    def close(self) -> None:
        self.db.close()


def verify_database(db: Database, page: int = 1000, anchor: Anchor | None = None) -> ChainReport:
    """Check the audit hash chain of a database (needs no keys), reading it page by page; with an
    ``anchor`` (:mod:`store.anchor`), also that the anchored head is still there, unchanged."""
    if not db.has_table("audit_log"):
        raise StoreError("this database has no transcript store schema")
    rows: list[AuditRow] = []
    with db.transaction() as tx:
        while batch := records.audit_rows(tx, rows[-1].id if rows else 0, page):
            rows.extend(batch)
    return check_anchor(rows, verify_chain(rows), anchor)
