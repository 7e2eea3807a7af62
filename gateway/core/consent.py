"""The consent state machine (pure, table-driven).

Rules (PROTOCOL.md "Consent states"):

    state      event                 -> state     notes
    pending    granted               -> active
    pending    announced             -> pending   starts the opt-out window (audio seconds)
    pending    window_elapsed        -> active    only after `announced`
    active     paused                -> paused
    paused     resumed               -> active
    active     announced / granted   -> active    no-op (repeated announcement)
    paused     paused                -> paused    no-op
    active     resumed               -> active    no-op
    active     window_elapsed        -> active    no-op (granted before the window ended)
    any        declined / opt_out    -> declined  terminal
    declined   *                     -> declined  ignored (still audited)
    any        halt                  -> (same)    `halted` from then on, for good (special-category stop)

Anything else is illegal: `process` raises `IllegalTransition` and leaves the state unchanged.
Only audio while `processing` (state `active` and not halted) is processed. `halt` is the special-category
policy `stop`: the wire state stays what it was (PROTOCOL.md knows four states) but nothing more of the
call is processed, whatever consent events follow. Time (`now`) is the stream's audio clock in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.vocab import ConsentEventKind, ConsentStatus, InitialConsent

State = ConsentStatus
Event = ConsentEventKind
_S, _E = ConsentStatus, ConsentEventKind
_EVENTS = frozenset(ConsentEventKind)


class IllegalTransition(Exception):
    """The event is not allowed in the current state (the caller maps it to a protocol error)."""


@dataclass(frozen=True, slots=True)
class Transition:
    """What changed: the audit trail and the client both hear about it when `changed`."""

    event: Event
    before: State
    after: State
    at: float
    announcement: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


TRANSITIONS: dict[tuple[State, Event], State] = {
    (_S.PENDING, _E.GRANTED): _S.ACTIVE,
    (_S.PENDING, _E.ANNOUNCED): _S.PENDING,
    (_S.PENDING, _E.WINDOW_ELAPSED): _S.ACTIVE,
    (_S.ACTIVE, _E.PAUSED): _S.PAUSED,
    (_S.PAUSED, _E.RESUMED): _S.ACTIVE,
    (_S.ACTIVE, _E.ANNOUNCED): _S.ACTIVE,
    (_S.ACTIVE, _E.GRANTED): _S.ACTIVE,
    (_S.ACTIVE, _E.RESUMED): _S.ACTIVE,
    (_S.PAUSED, _E.PAUSED): _S.PAUSED,
    (_S.ACTIVE, _E.WINDOW_ELAPSED): _S.ACTIVE,
}


class ConsentMachine:
    """Consent of one call. `opt_out_window_s` is how long after `announced` an opt-out is awaited."""

    def __init__(self, initial: InitialConsent | str, opt_out_window_s: float) -> None:
        if opt_out_window_s < 0:
            raise ValueError("opt_out_window_s must be >= 0")
        self.state = _S.ACTIVE if initial == InitialConsent.GRANTED else _S.PENDING
        self.window_s = opt_out_window_s
        self.announced_at: float | None = None
        self.announcement: str | None = None
        self.halted = False

    @property
    def processing(self) -> bool:
        """Whether audio is transcribed now: consent `active` and no special-category halt."""
        return self.state == "active" and not self.halted

    @property
    def window_ends_at(self) -> float | None:
        """Audio time at which a pending announced call becomes active, if one is running."""
        if self.state is not _S.PENDING or self.announced_at is None:
            return None
        return self.announced_at + self.window_s

    def process(self, event: Event | str, now: float, announcement: str | None = None) -> Transition:
        """Apply an event at audio time `now`; raises IllegalTransition for a forbidden one."""
        if event not in _EVENTS:
            raise IllegalTransition(f"unknown consent event {event!r}")
        event, before = ConsentEventKind(event), self.state
        if event is _E.HALT:
            self.halted = True
            return Transition(event, before, before, now, self.announcement)
        if event in (_E.DECLINED, _E.OPT_OUT) or before is _S.DECLINED:
            after = _S.DECLINED
        elif (before, event) in TRANSITIONS:
            if event is _E.WINDOW_ELAPSED and before is _S.PENDING and self.announced_at is None:
                raise IllegalTransition("the opt-out window runs only after an announcement")
            after = TRANSITIONS[(before, event)]
        else:
            raise IllegalTransition(f"consent event {event!r} is not allowed while {before}")
        if event is _E.ANNOUNCED and before is _S.PENDING and self.announced_at is None:
            self.announced_at = now
        if announcement is not None:
            self.announcement = announcement
        self.state = after
        return Transition(event, before, after, now, self.announcement)
