"""Key material: master keys, the key ring, envelope encryption of per-call data keys, row sealing.

Theory of operation (envelope encryption, crypto-shredding):

    master key (file/env, never stored)  --wraps-->  data key of a call (random 256 bits, stored wrapped)
    data key                              --seals-->  each stored final (AES-256-GCM, fresh 96-bit nonce)

A wrapped data key is bound to (key id, tenant, call id) as associated data, a sealed row to (tenant,
call id, seq): a row copied onto another call, or a key onto another row, fails authentication instead
of decrypting. Erasing a call deletes its wrapped data key: every copy of its rows (backups, WAL, freed
pages) becomes undecryptable. Rotation: the ring holds the new master key as `current` and the old ones
until every wrapped key is rewrapped under `current`; reads work with either meanwhile (no downtime).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from store.config import StoreConfig
from store.errors import KeyUnavailable, StoreConfigError, StoreError

KEY_BYTES = 32
NONCE_BYTES = 12
_PHONE = re.compile(r"\+?[0-9().-]{6,}")


@dataclass(frozen=True, slots=True, repr=False)
class MasterKey:
    """A 256-bit master key and its public id (a fingerprint, safe to store and log)."""

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise StoreConfigError("a master key must be 32 bytes (base64 of 256 random bits)")

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"callscribe.master-key-id\x00" + self.secret).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id!r})"

    @classmethod
    def from_base64(cls, text: str) -> MasterKey:
        try:
            return cls(base64.b64decode(text.strip(), validate=True))
        except (binascii.Error, ValueError):
            raise StoreConfigError("a master key must be base64 of 32 random bytes") from None

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    def to_base64(self) -> str:
        return base64.b64encode(self.secret).decode()


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The current master key (wraps new data keys) and older ones still able to unwrap."""

    current: MasterKey
    previous: tuple[MasterKey, ...] = ()

    def get(self, key_id: str) -> MasterKey:
        for key in (self.current, *self.previous):
            if key.key_id == key_id:
                return key
        raise KeyUnavailable(f"master key {key_id} is not in the key ring")


def write_key_file(path: Path, key: MasterKey) -> None:
    """Create a key file readable by its owner only (refuses to overwrite)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.to_base64() + "\n")


def read_key_file(path: str | Path) -> MasterKey:
    try:
        return MasterKey.from_base64(Path(path).read_text())
    except OSError as exc:
        raise StoreConfigError(f"cannot read master key file {path}: {exc.strerror}") from None


def load_keyring(config: StoreConfig, environ: Mapping[str, str]) -> KeyRing:
    """The key ring the configuration names: `master_key_file`, else the env var; plus old key files."""
    if config.master_key_file is not None:
        current = read_key_file(config.master_key_file)
    elif environ.get(config.master_key_env):
        current = MasterKey.from_base64(environ[config.master_key_env])
    else:
        raise StoreConfigError(f"no master key: set {config.master_key_env} or a master key file")
    return KeyRing(current, tuple(read_key_file(p) for p in config.old_master_key_files))


def _wrap_ad(key_id: str, tenant: str, call_id: str) -> bytes:
    return b"\x00".join([b"callscribe.dk.v1", key_id.encode(), tenant.encode(), call_id.encode()])


def _row_ad(tenant: str, call_id: str, seq: int) -> bytes:
    return b"\x00".join([b"callscribe.row.v1", tenant.encode(), call_id.encode(), str(seq).encode()])


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def wrap(master: MasterKey, data_key: bytes, tenant: str, call_id: str) -> bytes:
    """nonce || AES-GCM(master, data key), bound to (master key id, tenant, call id)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(master.secret).encrypt(nonce, data_key, _wrap_ad(master.key_id, tenant, call_id))


def unwrap(ring: KeyRing, key_id: str, wrapped: bytes, tenant: str, call_id: str) -> bytes:
    master = ring.get(key_id)
    try:
        return AESGCM(master.secret).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_ad(key_id, tenant, call_id)
        )
    except InvalidTag:
        raise StoreError("a wrapped data key failed authentication") from None


def seal(data_key: bytes, plaintext: bytes, tenant: str, call_id: str, seq: int) -> tuple[bytes, bytes]:
    """(nonce, ciphertext) of one row; a fresh random nonce per row."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce, AESGCM(data_key).encrypt(nonce, plaintext, _row_ad(tenant, call_id, seq))


def open_sealed(data_key: bytes, nonce: bytes, ciphertext: bytes, tenant: str, call_id: str, seq: int) -> bytes:
    try:
        return AESGCM(data_key).decrypt(nonce, ciphertext, _row_ad(tenant, call_id, seq))
    except InvalidTag:
        raise StoreError("a stored row failed authentication") from None


def subject_hash(hmac_key: bytes, tenant: str, subject: str) -> str:
    """Keyed hash of a data-subject identifier (e.g. a phone number), per tenant; the clear id is never kept."""
    normalized = "".join(subject.split()).lower()
    if _PHONE.fullmatch(normalized):  # "+31 6-1234 5678" and "+31612345678" are the same subject
        normalized = ("+" if normalized.startswith("+") else "") + re.sub(r"[^0-9]", "", normalized)
    return hmac.new(hmac_key, f"{tenant}\x00{normalized}".encode(), hashlib.sha256).hexdigest()
