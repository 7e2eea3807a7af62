"""The call registry: one live connection per call, finals kept for resumption, expiry, erasure."""

from __future__ import annotations

from gateway.registry import CallRegistry
from protocol.messages import Final


class Clock:
    """A settable clock (seconds)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def final(seq: int) -> Final:
    return Final(seq, "caller", f"caller-{seq}", "hello", 0.0, 1.0, "en")


def test_a_live_call_cannot_be_opened_twice() -> None:
    """A second connection for a call that is still streaming is refused; another tenant's same id is not."""
    reg = CallRegistry(ttl_s=60)
    record = reg.open("t1", "call-1")
    assert record is not None
    assert reg.open("t1", "call-1") is None
    assert reg.open("t2", "call-1") is not None
    assert reg.live == 2


def test_ended_call_resumes_with_its_finals_and_seq() -> None:
    """Reopening an ended call returns the same record: finals so far and the next seq number."""
    reg = CallRegistry(ttl_s=60)
    record = reg.open("t1", "call-1")
    assert record is not None
    assert record.next_seq == 1
    record.finals += [final(1), final(2)]
    reg.close(record)
    assert reg.live == 0
    again = reg.open("t1", "call-1")
    assert again is record
    assert again.next_seq == 3
    assert again.connections == 2
    assert again.live and again.ended_at is None


def test_ended_calls_expire_after_ttl() -> None:
    """After `ttl_s` an ended call is forgotten: reopening it starts over at seq 1."""
    clock = Clock()
    reg = CallRegistry(ttl_s=10, clock=clock)
    record = reg.open("t1", "call-1")
    assert record is not None
    record.finals.append(final(1))
    reg.close(record)
    clock.now = 10.0
    kept = reg.open("t1", "call-1")
    assert kept is record
    reg.close(record)
    clock.now = 20.5
    fresh = reg.open("t1", "call-1")
    assert fresh is not None and fresh is not record
    assert fresh.next_seq == 1
    assert fresh.connections == 1


def test_live_calls_never_expire() -> None:
    """A call still streaming is kept however long it runs."""
    clock = Clock()
    reg = CallRegistry(ttl_s=1, clock=clock)
    record = reg.open("t1", "call-1")
    clock.now = 1000.0
    reg.open("t1", "other")
    assert reg.get("t1", "call-1") is record


def test_erased_call_is_forgotten_at_once() -> None:
    """Closing with `erase` (a declined call) drops the record and its finals immediately."""
    reg = CallRegistry(ttl_s=60)
    record = reg.open("t1", "call-1")
    assert record is not None
    record.finals.append(final(1))
    reg.close(record, erase=True)
    assert reg.get("t1", "call-1") is None
    fresh = reg.open("t1", "call-1")
    assert fresh is not None and fresh.finals == []
