"""Numbered schema migrations, applied at start-up inside one transaction each (`schema_version` table).

Never edit a released migration: append a new number. `{blob}` is BLOB on SQLite and BYTEA on PostgreSQL.
Clear-text columns hold only metadata (ids, purposes, times, legs, language); transcript text and words
live only in `finals.ciphertext`, and subject ids only as keyed hashes.
"""

from __future__ import annotations

from store.db import Database, Tx

_V1 = [
    """CREATE TABLE calls (
        tenant TEXT NOT NULL, call_id TEXT NOT NULL, purposes TEXT NOT NULL, consent TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
        ended_at DOUBLE PRECISION, key_id TEXT NOT NULL, wrapped_key {blob} NOT NULL,
        PRIMARY KEY (tenant, call_id))""",
    "CREATE INDEX calls_expiry ON calls (expires_at)",
    "CREATE INDEX calls_key ON calls (key_id)",
    """CREATE TABLE finals (
        tenant TEXT NOT NULL, call_id TEXT NOT NULL, seq INTEGER NOT NULL, leg TEXT NOT NULL,
        start_s DOUBLE PRECISION NOT NULL, end_s DOUBLE PRECISION NOT NULL, language TEXT NOT NULL,
        nonce {blob} NOT NULL, ciphertext {blob} NOT NULL,
        PRIMARY KEY (tenant, call_id, seq),
        FOREIGN KEY (tenant, call_id) REFERENCES calls (tenant, call_id) ON DELETE CASCADE)""",
    """CREATE TABLE subjects (
        tenant TEXT NOT NULL, subject_hash TEXT NOT NULL, call_id TEXT NOT NULL,
        linked_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (tenant, subject_hash, call_id),
        FOREIGN KEY (tenant, call_id) REFERENCES calls (tenant, call_id) ON DELETE CASCADE)""",
    "CREATE TABLE store_secrets (name TEXT PRIMARY KEY, key_id TEXT NOT NULL, wrapped {blob} NOT NULL)",
    """CREATE TABLE audit_log (
        id BIGINT PRIMARY KEY, at DOUBLE PRECISION NOT NULL, tenant TEXT NOT NULL, call_id TEXT,
        action TEXT NOT NULL, details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)""",
]

_V2_SQLITE = [  # the audit log is append-only for the application (an attacker with file access is
    # caught by the hash chain instead)
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
]

_V2_POSTGRES = [
    """CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
       $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
    """CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
    """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()""",
]


_V3 = [  # post-call insights (insights/): one sealed JSON document per call, erased with the call
    """CREATE TABLE insights (
        tenant TEXT NOT NULL, call_id TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
        nonce {blob} NOT NULL, ciphertext {blob} NOT NULL,
        PRIMARY KEY (tenant, call_id),
        FOREIGN KEY (tenant, call_id) REFERENCES calls (tenant, call_id) ON DELETE CASCADE)""",
]


def migrations(dialect: str) -> list[tuple[int, list[str]]]:
    """(version, statements) in order, for `sqlite` or `postgres`."""
    blob = "BYTEA" if dialect == "postgres" else "BLOB"
    return [
        (1, [s.replace("{blob}", blob) for s in _V1]),
        (2, _V2_POSTGRES if dialect == "postgres" else _V2_SQLITE),
        (3, [s.replace("{blob}", blob) for s in _V3]),
    ]


def current_version(tx: Tx) -> int:
    rows = tx.execute("SELECT MAX(version) FROM schema_version")
    return int(rows[0][0] or 0)


def migrate(db: Database, now: float) -> int:
    """Apply every migration newer than the database's version; returns the resulting version."""
    with db.transaction() as tx:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
        )
    version = 0
    for number, statements in migrations(db.dialect):
        with db.transaction() as tx:
            tx.lock_audit()  # also serialises concurrent start-ups on PostgreSQL
            version = current_version(tx)
            if number <= version:
                continue
            for statement in statements:
                tx.execute(statement)
            tx.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (number, now))
            version = number
    return version
