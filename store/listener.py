"""The runtime listener that persists each call's finals (and audits its consent changes).

It is called synchronously on the event loop with (tenant, call_id, message): the call's `Start`, then
every message the call sends (`Ready` carries the initial consent state, `ConsentState` each change and
the announcement version it rests on), then `CallEnded`. It keeps a little state per call (purposes,
consent) and only posts commands to the store's worker: it never blocks and never touches the database
itself. Finals are posted only while consent is `active` or `paused`; the store checks again before
writing. The `Start`'s `caller` (compatible extension: the calling party's number) is linked as the
call's data subject right after the consent first becomes `active` (the call's row exists from then on),
and only as a keyed hash; a call declined before that is never linked. A special-category stop
(`privacy` event) is audited (category and time only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from protocol.messages import (
    CallEnded,
    ConsentState,
    ConsentStateName,
    Final,
    PrivacyEvent,
    Ready,
    ServerMessage,
    Start,
)
from store.model import CONSENT_STATES, STORABLE, CallEnd, ConsentChange, SpecialStop, StoreFinal, SubjectLink
from store.service import TranscriptStore

CALLER_ACTOR = "gateway:start.caller"
"""The actor recorded on the audit row of a subject linked from `start.caller`."""


@dataclass(slots=True)
class _Call:
    purposes: tuple[str, ...]
    caller: str | None = field(default=None, repr=False)  # None once linked
    consent: ConsentStateName = "pending"


class StoreListener:
    """`runtime.listeners.append(StoreListener(store))`: persists finals per (tenant, call_id)."""

    def __init__(self, store: TranscriptStore) -> None:
        self._store = store
        self._calls: dict[tuple[str, str], _Call] = {}

    @property
    def open_calls(self) -> int:
        return len(self._calls)

    def __call__(self, tenant: str, call_id: str, msg: ServerMessage | Start) -> None:
        key = (tenant, call_id)
        if isinstance(msg, Start):
            self._calls[key] = _Call(msg.purposes, msg.caller)
            return
        call = self._calls.get(key)
        if call is None:
            return  # a call that started before this listener was attached
        if isinstance(msg, Ready) and msg.consent in CONSENT_STATES:
            self._consent(key, call, cast(ConsentStateName, msg.consent), 0.0, None)
        elif isinstance(msg, ConsentState):
            self._consent(key, call, msg.state, msg.at, msg.announcement)
        elif isinstance(msg, Final) and call.consent in STORABLE:
            self._store.post(StoreFinal(tenant, call_id, msg))
        elif isinstance(msg, PrivacyEvent) and msg.event == "special_category_stop":
            self._store.post(SpecialStop(tenant, call_id, msg.category, msg.at))
        elif isinstance(msg, CallEnded):
            del self._calls[key]
            self._store.post(CallEnd(tenant, call_id))

    def _consent(self, key: tuple[str, str], call: _Call, state: ConsentStateName, at: float,
                 announcement: str | None) -> None:
        """Record the new state; the audit row names the announcement version the consent rests on."""
        call.consent = state
        self._store.post(ConsentChange(key[0], key[1], state, at, call.purposes, announcement))
        if state == "active" and call.caller is not None:
            self._store.post(SubjectLink(key[0], key[1], call.caller, CALLER_ACTOR))
            call.caller = None

