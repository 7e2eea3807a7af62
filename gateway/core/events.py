"""The gateway's internal vocabulary: what happens to a call, for every listener (pure).

Theory of operation. Transports and the wire protocol come and go; listeners (the caption hub, the
transcript store, post-call work) want to know what happened to a *call*. The runtime's `EventBus`
delivers these events synchronously, in order, on the event loop; a listener never blocks and never
raises into the call (a failing listener is logged and skipped).

Per call, in this order::

    CallOpened          a connection started the call (or resumed it: `resumed` > 0)
    ConsentChanged      the initial consent state, then every change (typed, with its announcement)
    Sent                every server message of the call, already redacted (partials, finals, ...)
    ConnectionClosed    that connection ended; `resumable` when a resume may still follow
    ... CallOpened (resumed) ... ConnectionClosed ...
    CallClosed          exactly once: the call is over for good (stop / hang-up / normal close,
                        declined, the resume window of a dropped connection expired, shutdown)

`CallErased` may come at any time: the caller declined, or an erasure request removed the call. Every
listener drops all it holds of the call (finals, history, outbox); it is the one place "declined
erases" is decided. After it, nothing more of the call is published but its `ConnectionClosed` and
`CallClosed`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from protocol.messages import ConsentStateName, Final, ServerMessage, Start


class CloseReason(enum.StrEnum):
    """Why a call is over for good (`CallClosed.reason`)."""

    STOPPED = "stopped"
    """`stop`, the media server's hang-up, an idle timeout: every final was flushed."""
    DECLINED = "declined"
    """The caller opted out; nothing of the call is kept."""
    EXPIRED = "expired"
    """A connection dropped and no resume came within the resume window."""
    SHUTDOWN = "shutdown"
    """The gateway drained for shutdown (finals flushed)."""


class EraseReason(enum.StrEnum):
    """Why a call's data is erased (`CallErased.reason`)."""

    DECLINED = "declined"
    REQUEST = "erasure_request"
    """An admin erasure (GDPR art. 17) of the call or of its data subject."""


@dataclass(frozen=True, slots=True)
class CallOpened:
    """A connection started (`resumed` == 0) or resumed a call."""

    tenant: str
    call_id: str
    start: Start
    resumed: int = 0
    """How many connections of this call came before this one."""
    transport: str = "native"


@dataclass(frozen=True, slots=True)
class ConsentChanged:
    """The call's consent state: first its initial state (`initial`), then each change."""

    tenant: str
    call_id: str
    state: ConsentStateName
    at: float
    """Audio seconds of the connection's stream at which it took effect."""
    announcement: str | None = None
    initial: bool = False


@dataclass(frozen=True, slots=True)
class Sent:
    """A server message of the call, as every client of it sees it (redacted)."""

    tenant: str
    call_id: str
    message: ServerMessage
    raw_text: str | None = field(default=None, repr=False)
    """A final's text before redaction (None otherwise, and for finals with a special-category mention):
    for in-process extraction only; never to be shown, logged or stored in clear."""


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """One connection of the call ended; `resumable` when the call may continue on a new connection."""

    tenant: str
    call_id: str
    finals: int
    """Finals of the call so far (the last `seq`)."""
    resumable: bool


@dataclass(frozen=True, slots=True)
class CallClosed:
    """The call is over for good; fired exactly once per call. `finals` is its whole (redacted) transcript."""

    tenant: str
    call_id: str
    reason: CloseReason
    start: Start
    finals: tuple[Final, ...]
    consent: ConsentStateName
    raw_texts: tuple[str | None, ...] = field(default=(), repr=False)
    """Per final (same order), its text before redaction, as in `Sent.raw_text`; empty when erased."""
    started_at: float = 0.0
    """Wall-clock Unix seconds at which the call's first connection started."""


@dataclass(frozen=True, slots=True)
class CallErased:
    """Drop everything held of the call (finals, history, retention, outbox)."""

    tenant: str
    call_id: str
    reason: EraseReason


CallEvent = CallOpened | ConsentChanged | Sent | ConnectionClosed | CallClosed | CallErased
Listener = Callable[[CallEvent], None]
"""A bus subscriber: called synchronously with each event; must not block."""
