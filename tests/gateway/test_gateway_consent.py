"""The consent machine: every allowed transition, the illegal ones, the terminal state, the window."""

from __future__ import annotations

import contextlib

import pytest

from gateway.core.consent import TRANSITIONS, ConsentMachine, Event, IllegalTransition, State

STATES: tuple[State, ...] = tuple(State)
EVENTS: tuple[Event, ...] = tuple(Event)
LIVE_STATES = tuple(s for s in STATES if s != "declined")
DECLINE_EVENTS = ("declined", "opt_out")
ANY_STATE_EVENTS = (*DECLINE_EVENTS, "halt")


def machine_in(state: State, announced: bool = False, window_s: float = 5.0) -> ConsentMachine:
    """A machine brought into `state` through legal events (announced at t=1 when asked)."""
    m = ConsentMachine("granted" if state in ("active", "paused") else "pending", window_s)
    if announced:
        m.process("announced", 1.0, "v1")
    if state == "paused":
        m.process("paused", 1.5)
    elif state == "declined":
        m.process("declined", 1.5)
    assert m.state == state
    return m


@pytest.mark.parametrize(("before", "event"), sorted(TRANSITIONS))
def test_every_table_row(before: State, event: Event) -> None:
    """Each row of TRANSITIONS moves the machine to the state the table names."""
    m = machine_in(before, announced=True)
    t = m.process(event, 10.0)
    assert (t.before, t.after, t.event, t.at) == (before, TRANSITIONS[(before, event)], event, 10.0)
    assert m.state == TRANSITIONS[(before, event)]
    assert t.changed == (t.before != t.after)


ILLEGAL = [(s, e) for s in LIVE_STATES for e in EVENTS if e not in ANY_STATE_EVENTS and (s, e) not in TRANSITIONS]


def test_illegal_pairs_exist() -> None:
    """The table forbids something: resuming a pending call, announcing into a paused one, and more."""
    assert ("pending", "resumed") in ILLEGAL
    assert ("pending", "paused") in ILLEGAL
    assert ("paused", "granted") in ILLEGAL


@pytest.mark.parametrize(("before", "event"), ILLEGAL)
def test_illegal_transition_raises_and_keeps_the_state(before: State, event: Event) -> None:
    """An event the table does not allow raises IllegalTransition and leaves the state unchanged."""
    m = machine_in(before, announced=True)
    with pytest.raises(IllegalTransition):
        m.process(event, 10.0)
    assert m.state == before


@pytest.mark.parametrize("before", LIVE_STATES)
@pytest.mark.parametrize("event", DECLINE_EVENTS)
def test_decline_from_any_state(before: State, event: Event) -> None:
    """`declined` and the opt-out key end consent from every state."""
    m = machine_in(before)
    t = m.process(event, 3.0)
    assert m.state == "declined"
    assert t.changed


@pytest.mark.parametrize("event", EVENTS)
def test_declined_is_terminal(event: Event) -> None:
    """Once declined, every event is accepted (for the audit trail) and the state stays declined."""
    m = machine_in("declined")
    t = m.process(event, 4.0)
    assert m.state == "declined"
    assert not t.changed
    assert (t.before, t.after, t.event) == ("declined", "declined", event)


def test_window_elapsed_requires_an_announcement() -> None:
    """The opt-out window cannot end on a pending call that was never announced."""
    m = ConsentMachine("pending", 5.0)
    with pytest.raises(IllegalTransition):
        m.process("window_elapsed", 6.0)
    assert m.state == "pending"


def test_window_ends_at() -> None:
    """The window end is known only while an announced call is pending, at announcement time + window."""
    m = ConsentMachine("pending", 5.0)
    assert m.window_ends_at is None
    m.process("announced", 2.5, "prompt-v3")
    assert m.window_ends_at == pytest.approx(7.5)
    assert m.announcement == "prompt-v3"
    m.process("window_elapsed", 7.5)
    assert m.state == "active"
    assert m.window_ends_at is None


def test_granted_start_has_no_window() -> None:
    """A call that starts `granted` is active at once and runs no opt-out window."""
    m = ConsentMachine("granted", 5.0)
    assert m.state == "active"
    m.process("announced", 1.0)
    assert m.window_ends_at is None


def test_decline_while_window_runs_clears_it() -> None:
    """An opt-out inside the window declines the call, and the window no longer ends anywhere."""
    m = ConsentMachine("pending", 5.0)
    m.process("announced", 0.0)
    m.process("opt_out", 2.0)
    assert m.state == "declined"
    assert m.window_ends_at is None


def test_transition_carries_the_announcement() -> None:
    """Every transition records the announcement version last named, for the audit trail."""
    m = ConsentMachine("pending", 0.0)
    t1 = m.process("announced", 0.0, "v7")
    t2 = m.process("window_elapsed", 0.0)
    assert (t1.announcement, t2.announcement) == ("v7", "v7")
    assert not t1.changed and t2.changed


def test_negative_window_is_refused() -> None:
    """A negative opt-out window is a configuration error."""
    with pytest.raises(ValueError, match="opt_out_window_s"):
        ConsentMachine("pending", -1.0)


@pytest.mark.parametrize("state", STATES)
def test_halt_stops_processing_for_good_in_any_state(state: State) -> None:
    """`halt` (a special-category stop) keeps the wire state but nothing is processed again, even after
    `granted` or `resumed`."""
    m = machine_in(state)
    t = m.process("halt", 3.0)
    assert (t.before, t.after, t.changed) == (state, state, False)
    assert m.halted and not m.processing
    for event in ("granted", "resumed"):
        with contextlib.suppress(IllegalTransition):
            m.process(event, 4.0)  # type: ignore[arg-type]
        assert not m.processing


def test_processing_only_while_active() -> None:
    """Audio is processed exactly while the state is `active` and the call is not halted."""
    m = ConsentMachine("pending", 5.0)
    assert not m.processing
    m.process("granted", 0.0)
    assert m.processing
    m.process("paused", 1.0)
    assert not m.processing
