"""Caption fan-out: each call's outbound messages to every agent watching it (sans-I/O).

Theory of operation
-------------------
The runtime's event bus feeds `on_event` synchronously, from inside the call's own code path, so the
hub never blocks, awaits or raises there: it encodes each message once and offers the frame to every
viewer's bounded queue (`gateway.core.caption_viewer`, which also holds the slow-viewer policy).

Per call, keyed by (tenant, call_id) so that tenants never see each other's calls, the hub keeps the
legs, the consent state and the finals so far (the last `max_history`; all dropped on `CallErased`,
when the caller declines or an erasure request removes the call, and none kept after it). A late
joiner is first sent a `call` frame (call_id, legs, started_at), the current `consent` state and the
finals so far, then the live stream, ending with `call_ended`. A final whose `seq` was
already published (a resumed connection replays them) is not sent twice. An ended call stays
available for `ended_ttl_s`, so a viewer that reconnects just after the end still gets every final.

A viewer may subscribe before the call starts when it asks to wait (`wait=True`); the call is then
created empty and filled by its `Start`. Without `wait`, an unknown call is `NotVisible`.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.core.caption_viewer import TOO_SLOW, HubConfig, HubCounters, Key, NotVisible, TooManyViewers, Viewer
from gateway.core.events import CallErased, CallEvent, CallOpened, ConnectionClosed, ConsentChanged, Sent
from protocol.codec import Mode, encode_server
from protocol.messages import (
    CallEnded,
    ConsentState,
    ConsentStateName,
    Final,
    Partial,
    ServerMessage,
    Start,
)


def _frame(msg: ServerMessage) -> str:
    frame = encode_server(msg, Mode.JSON)
    assert isinstance(frame, str)
    return frame


def iso_time(epoch_s: float) -> str:
    """Wall-clock seconds as an ISO 8601 UTC timestamp (milliseconds)."""
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class CallSummary:
    """One active call as listed by `GET /v1/calls`."""

    call_id: str
    legs: tuple[str, ...]
    started_at: float
    duration_s: float
    consent: str
    viewers: int

    def to_dict(self) -> dict[str, object]:
        """The JSON form (`started_at` as ISO 8601 UTC)."""
        return {
            "call_id": self.call_id,
            "legs": list(self.legs),
            "started_at": iso_time(self.started_at),
            "duration_s": round(self.duration_s, 1),
            "consent": self.consent,
            "viewers": self.viewers,
        }


class _Call:
    """What the hub knows about one call: legs, consent, the finals so far, its viewers."""

    __slots__ = ("consent", "ended_at", "erased", "finals", "last_seq", "legs", "live", "started_at", "viewers")

    def __init__(self, max_history: int) -> None:
        self.legs: tuple[str, ...] = ()
        self.started_at: float | None = None  # None: viewers wait for a call that has not started
        self.live = False
        self.ended_at: float | None = None
        self.consent: tuple[ConsentStateName, float] = (ConsentStateName.PENDING, 0.0)
        self.finals: deque[str] = deque(maxlen=max_history)
        self.last_seq = 0
        self.erased = False  # declined or erased on request: finals are no longer kept or replayed
        self.viewers: list[Viewer] = []

    def call_frame(self, call_id: str) -> str:
        assert self.started_at is not None
        return json.dumps(
            {"type": "call", "call_id": call_id, "legs": list(self.legs), "started_at": iso_time(self.started_at)},
            separators=(",", ":"),
            ensure_ascii=False,
        )

    def backlog(self, call_id: str) -> list[str]:
        """What a late joiner receives first."""
        if self.started_at is None:
            return []
        state, at = self.consent
        frames = [self.call_frame(call_id), _frame(ConsentState(state, at)), *self.finals]
        if not self.live:
            frames.append(_frame(CallEnded(call_id, self.last_seq)))
        return frames


class CaptionHub:
    """Fan-out of every call's captions to its viewers; see the module docstring for the policy."""

    def __init__(self, config: HubConfig | None = None) -> None:
        self.config = config or HubConfig()
        self.counters = HubCounters()
        self._calls: dict[Key, _Call] = {}

    def on_event(self, event: CallEvent, now: float) -> None:
        """Take one call event (the bus listener); `now` is wall-clock seconds. Never blocks."""
        key = (event.tenant, event.call_id)
        if isinstance(event, CallOpened):
            self._expire(now)
            self._begin(key, event.start, now)
            return
        call = self._calls.get(key)
        if call is None:
            return
        if isinstance(event, CallErased):
            call.finals.clear()  # nothing of the call is kept, and a late joiner is sent none of it
            call.last_seq = 0
            call.erased = True
            return
        if not call.live:
            return
        if isinstance(event, ConsentChanged):
            self._consent(call, event.state, event.at)
        elif isinstance(event, Sent):
            self._message(call, event.message)
        elif isinstance(event, ConnectionClosed):
            call.live, call.ended_at = False, now
            self._fan_out(call, _frame(CallEnded(event.call_id, event.finals)), last=True)
            call.viewers.clear()

    def _message(self, call: _Call, msg: ServerMessage) -> None:
        if isinstance(msg, Partial):
            frame = _frame(msg)
            for viewer in call.viewers:
                viewer.offer_partial(msg.utterance_id, frame)
        elif isinstance(msg, Final) and not call.erased:
            self._final(call, msg)

    def subscribe(self, tenant: str, call_id: str, wake: Callable[[], None], now: float, wait: bool = False) -> Viewer:
        """A new viewer of the tenant's call; `wait` admits a call that has not started yet.

        Raises `NotVisible` for a call this tenant does not have (whatever other tenants have) and
        `TooManyViewers` past the limits.
        """
        self._expire(now)
        key = (tenant, call_id)
        call = self._calls.get(key)
        if call is None:
            if not wait:
                raise NotVisible("no such call for this token")
            waiting = sum(1 for (t, _), c in self._calls.items() if t == tenant and c.started_at is None)
            if waiting >= self.config.max_waiting_calls:
                raise TooManyViewers("too many calls waited for")
            call = self._calls[key] = _Call(self.config.max_history)
        if len(call.viewers) >= self.config.max_viewers_per_call:
            raise TooManyViewers("too many viewers for this call")
        ended = call.started_at is not None and not call.live  # ended: the backlog, then close
        viewer = Viewer(key, call.backlog(call_id), self.config, self.counters, wake, ended=ended)
        if not ended:
            call.viewers.append(viewer)
        self.counters.viewers_subscribed += 1
        return viewer

    def unsubscribe(self, viewer: Viewer) -> None:
        """The viewer's socket is gone; forget a waited-for call nobody waits for any more."""
        call = self._calls.get(viewer.key)
        if call is None:
            return
        if viewer in call.viewers:
            call.viewers.remove(viewer)
        if call.started_at is None and not call.viewers:
            del self._calls[viewer.key]

    def viewers(self, tenant: str, call_id: str) -> list[Viewer]:
        """The current viewers of a call (for tests and metrics)."""
        call = self._calls.get((tenant, call_id))
        return list(call.viewers) if call is not None else []

    @property
    def viewers_live(self) -> int:
        """Viewers subscribed now, over every call and tenant (for metrics)."""
        return sum(len(call.viewers) for call in self._calls.values())

    def active_calls(self, tenant: str, now: float) -> list[CallSummary]:
        """The tenant's live calls, oldest first."""
        self._expire(now)
        out = [
            CallSummary(cid, c.legs, c.started_at, max(0.0, now - c.started_at), c.consent[0], len(c.viewers))
            for (t, cid), c in self._calls.items()
            if t == tenant and c.live and c.started_at is not None
        ]
        return sorted(out, key=lambda s: (s.started_at, s.call_id))

    # -- internals ----------------------------------------------------------------------------------

    def _begin(self, key: Key, start: Start, now: float) -> None:
        call = self._calls.get(key)
        if call is None:
            call = self._calls[key] = _Call(self.config.max_history)
        call.legs, call.live, call.ended_at = start.legs, True, None
        if call.started_at is None:
            call.started_at = now
        call.consent = (ConsentStateName.PENDING, 0.0)
        self._fan_out(call, call.call_frame(key[1]))

    def _final(self, call: _Call, msg: Final) -> None:
        if msg.seq <= call.last_seq:
            return  # replayed to a resumed connection: viewers already have it
        call.last_seq = msg.seq
        frame = _frame(msg)
        call.finals.append(frame)
        self._fan_out(call, frame, final_uid=msg.utterance_id)

    def _consent(self, call: _Call, state: ConsentStateName, at: float) -> None:
        call.consent = (state, at)
        self._fan_out(call, _frame(ConsentState(state, at)))

    def _fan_out(self, call: _Call, frame: str, final_uid: str | None = None, last: bool = False) -> None:
        for viewer in list(call.viewers):
            viewer.offer(frame, final_uid, last)
            if viewer.close_code == TOO_SLOW:
                call.viewers.remove(viewer)

    def _expire(self, now: float) -> None:
        ttl = self.config.ended_ttl_s
        stale = [k for k, c in self._calls.items() if c.ended_at is not None and now - c.ended_at > ttl]
        for key in stale:
            del self._calls[key]
