"""Value types: the write commands the listener posts, and what reads return."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from protocol.messages import ConsentStateName, Final
from store.errors import StoreError

CONSENT_STATES = tuple(ConsentStateName)
STORABLE = frozenset({ConsentStateName.ACTIVE, ConsentStateName.PAUSED})
"""Consent states in which finals may be stored (`paused`: finals of speech from before the pause)."""


def _ids(tenant: str, call_id: str) -> None:
    if not tenant or not call_id:
        raise StoreError("tenant and call_id must be non-empty")


@dataclass(frozen=True, slots=True)
class ConsentChange:
    """The call's consent state is now `state` (`at`: audio seconds); `active` opens the call for storage."""

    tenant: str
    call_id: str
    state: ConsentStateName
    at: float
    purposes: tuple[str, ...]
    announcement: str | None = None

    def __post_init__(self) -> None:
        _ids(self.tenant, self.call_id)
        if self.state not in CONSENT_STATES:
            raise StoreError(f"unknown consent state {self.state!r}")


@dataclass(frozen=True, slots=True)
class StoreFinal:
    """A final (already redacted per the call's policy) to persist, encrypted."""

    tenant: str
    call_id: str
    final: Final

    def __post_init__(self) -> None:
        _ids(self.tenant, self.call_id)


@dataclass(frozen=True, slots=True)
class CallEnd:
    """The call's connection ended (its row records the end time)."""

    tenant: str
    call_id: str

    def __post_init__(self) -> None:
        _ids(self.tenant, self.call_id)


@dataclass(frozen=True, slots=True)
class SubjectLink:
    """Link the call to a data subject (stored as a keyed hash only); ignored for a call with no row.

    `subject` is personal data (a phone number): it is left out of the repr so that it can never reach
    a log line through this command.
    """

    tenant: str
    call_id: str
    subject: str = field(repr=False)
    actor: str

    def __post_init__(self) -> None:
        _ids(self.tenant, self.call_id)
        if not self.subject.strip():
            raise StoreError("subject must be non-empty")


@dataclass(frozen=True, slots=True)
class SpecialStop:
    """The call stopped on a special-category mention (policy `stop`): audited, whether or not stored.

    `category` names the GDPR art. 9 category (never the text); `at` is in audio seconds.
    """

    tenant: str
    call_id: str
    category: str
    at: float

    def __post_init__(self) -> None:
        _ids(self.tenant, self.call_id)
        if not self.category:
            raise StoreError("category must be non-empty")


WriteCommand = ConsentChange | StoreFinal | CallEnd | SubjectLink | SpecialStop


@dataclass(frozen=True, slots=True)
class CallSummary:
    """A stored call's metadata (no transcript content). Times are Unix seconds."""

    call_id: str
    purposes: tuple[str, ...]
    consent: str
    created_at: float
    expires_at: float
    ended_at: float | None
    finals: int


@dataclass(frozen=True, slots=True)
class Transcript:
    """A call's decrypted finals in seq order."""

    call: CallSummary
    finals: tuple[Final, ...]


@dataclass(frozen=True, slots=True)
class ExportedCall:
    """One call in a data-subject export (art. 15): content, purposes, recipients, retention date."""

    transcript: Transcript
    recipients: dict[str, tuple[str, ...]]
    insights: dict[str, Any] | None = None
    """The call's post-call insights (insights/), contact details included, when they were computed."""


@dataclass(frozen=True, slots=True)
class SubjectExport:
    """Everything stored about one data subject for one tenant."""

    calls: tuple[ExportedCall, ...]
