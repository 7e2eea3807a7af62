"""The store's exception hierarchy (one root).

StoreError                  root: every exception raised on purpose by this package
├── StoreConfigError        bad configuration or key material (start-up)
├── CallNotFound            no such call for this tenant (HTTP 404)
├── PurposeDenied           the named purpose is not one the call declared (HTTP 403)
└── KeyUnavailable          a wrapped key's master key is not in the key ring
"""

from __future__ import annotations


class StoreError(Exception):
    """Root of every exception raised by the store; messages never carry transcript text or subject ids."""


class StoreConfigError(StoreError):
    """The configuration or the key material is unusable."""


class CallNotFound(StoreError):
    """No call with this id is stored for this tenant (never stored, purged or erased)."""


class PurposeDenied(StoreError):
    """Reading a transcript requires naming one of the purposes the call declared."""


class KeyUnavailable(StoreError):
    """A data key is wrapped under a master key that is not in the configured key ring."""
