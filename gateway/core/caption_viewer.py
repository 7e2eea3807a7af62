"""One caption viewer's bounded outbound queue, and the hub's limits (sans-I/O).

Theory of operation
-------------------
The hub (`gateway.core.caption_hub`) offers each viewer pre-encoded JSON frames from inside the call's own
code path, so offering never blocks: it appends to this queue and calls `wake`. The async shell pops
frames with `pop()` at whatever pace the viewer's socket takes, and closes the socket with
`close_code` once `pop()` returns None and the viewer is finished.

Slow-viewer policy (one queue per viewer):
* a `partial` replaces the queued, unsent partial of the same utterance; otherwise it is dropped when
  `viewer_queue` frames are already waiting (partials are cheap, a newer one follows);
* a final (or a consent / end frame, which must arrive) is queued unless `viewer_max_finals` such
  frames already wait: then the viewer is evicted, its queue freed at once, and the shell closes the
  socket with 1013 "viewer too slow" (the page reconnects and is sent the finals so far again);
* a final supersedes its utterance's unsent partial.
The late-joiner backlog (the finals so far) is sent first and is not counted against these bounds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Key = tuple[str, str]
CloseCode = tuple[int, str]

CALL_ENDED: CloseCode = (1000, "call ended")
TOO_SLOW: CloseCode = (1013, "viewer too slow")


class CaptionError(Exception):
    """Root of the captions errors: a subscription the hub refuses (mapped to an HTTP status)."""

    status = 400


class NotVisible(CaptionError):
    """No such call for this tenant (the same answer whether or not another tenant has that call_id)."""

    status = 403


class TooManyViewers(CaptionError):
    """The per-call viewer limit or the per-tenant limit of waiting calls is reached."""

    status = 503


@dataclass(frozen=True, slots=True)
class HubConfig:
    """Bounds of the caption hub; each field has a line of advice."""

    viewer_queue: int = 32
    """Frames waiting for one viewer beyond which its new partials are dropped. A few seconds of speech."""
    viewer_max_finals: int = 256
    """Finals (and consent/end frames) waiting for one viewer beyond which it is disconnected (1013)."""
    max_history: int = 2000
    """Finals kept per call for late joiners (the oldest are forgotten first)."""
    max_viewers_per_call: int = 32
    """Viewers of one call; the next gets HTTP 503."""
    max_waiting_calls: int = 64
    """Per tenant: calls that viewers wait for before they start; the next gets HTTP 503."""
    ended_ttl_s: float = 60.0
    """How long an ended call's finals stay available to viewers that reconnect after the end."""

    def __post_init__(self) -> None:
        if min(self.viewer_queue, self.viewer_max_finals, self.max_history) < 1:
            raise ValueError("queue and history bounds must be >= 1")
        if self.max_viewers_per_call < 1 or self.max_waiting_calls < 0 or self.ended_ttl_s < 0:
            raise ValueError("viewer limits must be >= 1 and ended_ttl_s >= 0")


@dataclass(slots=True)
class HubCounters:
    """Totals since start-up, for tests and metrics."""

    viewers_subscribed: int = 0
    viewers_evicted: int = 0
    partials_dropped: int = 0
    partials_coalesced: int = 0
    frames_queued: int = 0


class _Item:
    __slots__ = ("frame", "must", "uid")

    def __init__(self, frame: str | None, must: bool, uid: str | None) -> None:
        self.frame, self.must, self.uid = frame, must, uid


class Viewer:
    """One subscriber's outbound queue. The shell calls `pop()` until None, then checks `close_code`."""

    def __init__(
        self,
        key: Key,
        backlog: list[str],
        config: HubConfig,
        counters: HubCounters,
        wake: Callable[[], None],
        ended: bool = False,
    ) -> None:
        self.key = key
        self.wake = wake
        self.partials_dropped = 0
        self.max_finals_queued = 0
        self._backlog = deque(backlog)
        self._queue: deque[_Item] = deque()
        self._partials: dict[str, _Item] = {}
        self._finals_queued = 0
        self._config = config
        self._counters = counters
        self._state: Literal["open", "ended", "evicted"] = "ended" if ended else "open"

    @property
    def queued(self) -> int:
        """Frames waiting in the live queue (not counting the late-joiner backlog)."""
        return len(self._queue)

    @property
    def close_code(self) -> CloseCode | None:
        """Why to close once `pop()` returned None: None while the viewer should keep waiting."""
        if self._state == "evicted":
            return TOO_SLOW
        return CALL_ENDED if self._state == "ended" else None

    def pop(self) -> str | None:
        """The next frame to send, or None when nothing is waiting."""
        if self._backlog:
            return self._backlog.popleft()
        while self._queue:
            item = self._queue.popleft()
            if item.must:
                self._finals_queued -= 1
            elif item.uid is not None and self._partials.get(item.uid) is item:
                del self._partials[item.uid]
            if item.frame is not None:
                return item.frame
        return None

    def offer_partial(self, uid: str, frame: str) -> None:
        """Queue a partial: replace this utterance's unsent one, else drop it when the queue is full."""
        if self._state != "open":
            return
        pending = self._partials.get(uid)
        if pending is not None:
            pending.frame = frame
            self._counters.partials_coalesced += 1
        elif len(self._queue) >= self._config.viewer_queue:
            self.partials_dropped += 1
            self._counters.partials_dropped += 1
            return
        else:
            item = _Item(frame, False, uid)
            self._partials[uid] = item
            self._queue.append(item)
        self._counters.frames_queued += 1
        self.wake()

    def offer(self, frame: str, final_uid: str | None = None, last: bool = False) -> None:
        """Queue a frame that must arrive (evicts a viewer that has too many waiting); `last` ends it."""
        if self._state != "open":
            return
        if self._finals_queued >= self._config.viewer_max_finals:
            self.evict()
            return
        if final_uid is not None and (stale := self._partials.pop(final_uid, None)) is not None:
            stale.frame = None  # the final supersedes its unsent partial
        self._queue.append(_Item(frame, True, None))
        self._finals_queued += 1
        self.max_finals_queued = max(self.max_finals_queued, self._finals_queued)
        self._counters.frames_queued += 1
        if last:
            self._state = "ended"
        self.wake()

    def evict(self) -> None:
        """Too slow: free the queue now; the shell closes the socket with 1013."""
        self._state = "evicted"
        self._backlog.clear()
        self._queue.clear()
        self._partials.clear()
        self._finals_queued = 0
        self._counters.viewers_evicted += 1
        self.wake()
