"""The bus listener that persists each call's finals (and audits its consent changes).

It is called synchronously on the event loop with the call events of `gateway.core.events`:
`CallOpened` (purposes, caller), `ConsentChanged` (the initial state, then each change and the
announcement version it rests on), `Sent` (finals), `ConnectionClosed`, `CallErased`. It keeps a little
state per call and only posts commands to the store's worker: it never blocks and never touches the
database itself. Finals are posted only while consent is `active` or `paused`; the store checks again
before writing. The `Start`'s `caller` (compatible extension: the calling party's number) is linked as
the call's data subject right after the consent first becomes `active` (the call's row exists from then
on), and only as a keyed hash; a call declined before that is never linked. After `CallErased` (an
erasure request) nothing more of that call is written, not even by a resumed connection. A
special-category stop (`privacy` event) is audited (category and time only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.core.events import CallErased, CallEvent, CallOpened, ConnectionClosed, ConsentChanged, EraseReason, Sent
from protocol.messages import ConsentStateName, Final, PrivacyEvent
from store.model import STORABLE, CallEnd, ConsentChange, SpecialStop, StoreFinal, SubjectLink
from store.service import TranscriptStore

CALLER_ACTOR = "gateway:start.caller"
"""The actor recorded on the audit row of a subject linked from `start.caller`."""


@dataclass(slots=True)
class _Call:
    purposes: tuple[str, ...]
    caller: str | None = field(default=None, repr=False)  # None once linked
    consent: ConsentStateName = ConsentStateName.PENDING


class StoreListener:
    """`runtime.bus.subscribe(StoreListener(store))`: persists finals per (tenant, call_id)."""

    def __init__(self, store: TranscriptStore) -> None:
        self._store = store
        self._calls: dict[tuple[str, str], _Call] = {}
        self._erased: set[tuple[str, str]] = set()

    @property
    def open_calls(self) -> int:
        return len(self._calls)

    def __call__(self, event: CallEvent) -> None:
        key = (event.tenant, event.call_id)
        if isinstance(event, CallOpened):
            if key not in self._erased:
                self._calls[key] = _Call(event.start.purposes, event.start.caller)
            return
        if isinstance(event, CallErased) and event.reason is EraseReason.REQUEST:
            self._calls.pop(key, None)  # the store erased it; a resumed connection must not write it back
            self._erased.add(key)
            return
        call = self._calls.get(key)
        if call is None:
            return  # a call that started before this listener was attached, or one erased on request
        if isinstance(event, ConsentChanged):
            self._consent(key, call, event.state, event.at, event.announcement)
        elif isinstance(event, Sent) and isinstance(event.message, Final) and call.consent in STORABLE:
            self._store.post(StoreFinal(event.tenant, event.call_id, event.message))
        elif isinstance(event, Sent) and isinstance(event.message, PrivacyEvent):
            if event.message.event == "special_category_stop":  # audited: category and time only
                self._store.post(SpecialStop(event.tenant, event.call_id, event.message.category, event.message.at))
        elif isinstance(event, ConnectionClosed):
            del self._calls[key]
            self._store.post(CallEnd(event.tenant, event.call_id))

    def _consent(
        self, key: tuple[str, str], call: _Call, state: ConsentStateName, at: float, announcement: str | None
    ) -> None:
        """Record the new state; the audit row names the announcement version the consent rests on."""
        call.consent = state
        self._store.post(ConsentChange(key[0], key[1], state, at, call.purposes, announcement))
        if state == "active" and call.caller is not None:
            self._store.post(SubjectLink(key[0], key[1], call.caller, CALLER_ACTOR))
            call.caller = None
