"""Purpose-bound, encrypted transcript storage with a data-subject API and a hash-chained audit trail.

- :class:`TranscriptStore` is the interface; :class:`SqlTranscriptStore` implements it on SQLite
  (embedded default, WAL) or PostgreSQL (psycopg 3), chosen by the DSN.
- Each call's finals are sealed with the call's own data key (AES-256-GCM), wrapped by a master key
  (:mod:`store.keys`); erasing a call deletes its key (crypto-shredding) and its rows.
- Reading requires naming one of the call's declared purposes (:class:`PurposeDenied` otherwise).
- ``gateway.store_listener.StoreListener`` feeds it from the gateway's call events.
- ``python -m store verify|rotate|purge|keygen``.

Exceptions: :class:`StoreError` is the root of everything raised here.
"""

from store.audit import ChainReport
from store.config import StoreConfig
from store.errors import CallNotFound, KeyUnavailable, PurposeDenied, StoreConfigError, StoreError
from store.keys import KeyRing, MasterKey, load_keyring
from store.model import (
    CallEnd,
    CallSummary,
    ConsentChange,
    ExportedCall,
    StoreFinal,
    SubjectExport,
    SubjectLink,
    Transcript,
    WriteCommand,
)
from store.service import SqlTranscriptStore, TranscriptStore, maintain

__all__ = [
    "CallEnd",
    "CallNotFound",
    "CallSummary",
    "ChainReport",
    "ConsentChange",
    "ExportedCall",
    "KeyRing",
    "KeyUnavailable",
    "MasterKey",
    "PurposeDenied",
    "SqlTranscriptStore",
    "StoreConfig",
    "StoreConfigError",
    "StoreError",
    "StoreFinal",
    "SubjectExport",
    "SubjectLink",
    "Transcript",
    "TranscriptStore",
    "WriteCommand",
    "load_keyring",
    "maintain",
]
