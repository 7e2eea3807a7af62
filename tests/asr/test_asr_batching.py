"""The pure batching policy: priorities, replacement, batch limits, the window and the queue bound."""

from __future__ import annotations

import pytest

from asr.batching import BatcherConfig, BatchQueue, Job


def job(kind: str, leg: str = "a", call: str = "c1", at: float = 0.0, engine: str = "tiny") -> Job[str]:
    return Job(engine, kind, (call, leg), call, f"{call}/{leg}/{kind}@{at}", at)


def queue(max_batch: int = 16, window_s: float = 0.0, max_pending: int = 256) -> BatchQueue[str]:
    return BatchQueue(BatcherConfig(max_batch=max_batch, window_s=window_s, max_pending=max_pending))


@pytest.mark.parametrize(("max_batch", "window_s", "max_pending"), [(0, 0.01, 1), (1, -0.1, 1), (1, 0.0, 0)])
def test_config_rejects_nonsense(max_batch: int, window_s: float, max_pending: int) -> None:
    """A batch size or queue bound below 1, or a negative window, is refused at construction."""
    with pytest.raises(ValueError, match="max_batch"):
        BatcherConfig(max_batch=max_batch, window_s=window_s, max_pending=max_pending)


def test_empty_queue_cuts_nothing() -> None:
    """An empty queue has no deadline and yields no batch."""
    q = queue()
    assert q.next_deadline() is None
    assert q.take(100.0) == []


def test_finals_go_before_older_partials() -> None:
    """A waiting final is cut before partials that were queued earlier."""
    q = queue()
    q.submit(job("partial", leg="a", at=0.0))
    q.submit(job("partial", leg="b", at=0.1))
    q.submit(job("final", leg="c", at=0.2))
    first = q.take(1.0)
    assert [j.kind for j in first] == ["final"]
    second = q.take(1.0)
    assert [j.kind for j in second] == ["partial", "partial"]
    assert len(q) == 0


def test_batch_holds_one_kind() -> None:
    """Finals and partials never share a batch, even when the batch has room."""
    q = queue()
    for i in range(3):
        q.submit(job("final", leg=f"f{i}", at=i * 0.01))
        q.submit(job("partial", leg=f"p{i}", at=i * 0.01))
    batches = [q.take(1.0), q.take(1.0)]
    assert [{j.kind for j in b} for b in batches] == [{"final"}, {"partial"}]
    assert [len(b) for b in batches] == [3, 3]


def test_batch_holds_one_engine_starting_with_the_oldest_job() -> None:
    """A batch holds jobs of the engine of the oldest waiting job only; the other engine waits its turn."""
    q = queue()
    q.submit(job("final", leg="a", at=0.0, engine="base"))
    q.submit(job("final", leg="b", at=0.1, engine="tiny"))
    q.submit(job("final", leg="c", at=0.2, engine="base"))
    first = q.take(1.0)
    assert [j.engine for j in first] == ["base", "base"]
    assert [j.leg_key for j in first] == [("c1", "a"), ("c1", "c")]
    second = q.take(1.0)
    assert [j.engine for j in second] == ["tiny"]


def test_newer_partial_of_a_leg_replaces_the_queued_one() -> None:
    """A second partial for the same leg displaces the first, which comes back marked `replaced`."""
    q = queue()
    old = job("partial", leg="a", at=0.0)
    new = job("partial", leg="a", at=0.5)
    assert q.submit(old) is None
    displaced = q.submit(new)
    assert displaced is old
    assert old.replaced
    assert not new.replaced
    assert len(q) == 1
    assert q.take(10.0) == [new]


def test_partials_of_different_legs_or_calls_do_not_replace_each_other() -> None:
    """Replacement is per (call, leg): the same leg name in another call is a different leg."""
    q = queue()
    assert q.submit(job("partial", leg="a", call="c1")) is None
    assert q.submit(job("partial", leg="b", call="c1")) is None
    assert q.submit(job("partial", leg="a", call="c2")) is None
    assert len(q) == 3


def test_finals_of_one_leg_never_replace_each_other() -> None:
    """Two finals of the same leg both stay queued, in order."""
    q = queue()
    first, second = job("final", leg="a", at=0.0), job("final", leg="a", at=0.1)
    assert q.submit(first) is None
    assert q.submit(second) is None
    assert q.take(1.0) == [first, second]


def test_max_batch_is_respected_in_queue_order() -> None:
    """Batches never exceed `max_batch` and are cut oldest first."""
    q = queue(max_batch=2)
    jobs = [job("final", leg=f"l{i}", at=i * 0.01) for i in range(5)]
    for j in jobs:
        q.submit(j)
    batches = [q.take(1.0) for _ in range(3)]
    assert batches == [jobs[0:2], jobs[2:4], jobs[4:5]]
    assert q.take(1.0) == []


def test_window_holds_a_lone_job_until_its_deadline() -> None:
    """Nothing is cut before the oldest job's window closes when the batch is not full."""
    q = queue(max_batch=4, window_s=0.05)
    q.submit(job("final", leg="a", at=1.0))
    q.submit(job("final", leg="b", at=1.02))
    assert q.next_deadline() == pytest.approx(1.05)
    assert q.take(1.0) == []
    assert q.take(1.049) == []
    assert len(q.take(1.05)) == 2


def test_window_follows_the_oldest_job() -> None:
    """The deadline is set by the oldest waiting job, also when that job is a partial."""
    q = queue(window_s=0.1)
    q.submit(job("partial", leg="a", at=2.0))
    q.submit(job("final", leg="b", at=2.05))
    assert q.next_deadline() == pytest.approx(2.1)
    assert q.take(2.09) == []
    assert [j.kind for j in q.take(2.1)] == ["final"]


def test_full_batch_is_cut_before_the_window_closes() -> None:
    """A full batch waiting is cut at once, without waiting for the window."""
    q = queue(max_batch=3, window_s=10.0)
    for i in range(3):
        q.submit(job("partial", leg=f"l{i}", at=0.0))
    assert len(q.take(0.0)) == 3


def test_would_overload_at_max_pending() -> None:
    """Admission is refused exactly when `max_pending` jobs wait."""
    q = queue(max_pending=3)
    q.submit(job("final", leg="a"))
    q.submit(job("partial", leg="b"))
    assert not q.would_overload()
    q.submit(job("final", leg="c"))
    assert q.would_overload()


def test_oldest_partial_is_shed_beyond_max_pending() -> None:
    """A new partial past the bound sheds the oldest waiting partial, which comes back `replaced`."""
    q = queue(max_pending=3)
    oldest = job("partial", leg="a", at=0.0)
    q.submit(oldest)
    q.submit(job("partial", leg="b", at=0.1))
    q.submit(job("final", leg="c", at=0.2))
    shed = q.submit(job("partial", leg="d", at=0.3))
    assert shed is oldest
    assert oldest.replaced
    assert len(q) == 3
    remaining = {j.leg_key for j in q.take(10.0) + q.take(10.0)}
    assert remaining == {("c1", "b"), ("c1", "c"), ("c1", "d")}


def test_finals_are_never_shed() -> None:
    """Finals past the bound are all kept (and reported as overload), none is displaced."""
    q = queue(max_batch=100, max_pending=2)
    jobs = [job("final", leg=f"l{i}", at=i * 0.01) for i in range(6)]
    assert [q.submit(j) for j in jobs] == [None] * 6
    assert len(q) == 6
    assert q.would_overload()
    assert q.take(1.0) == jobs
    assert not any(j.replaced for j in jobs)


def test_finals_over_the_bound_shed_partials_not_finals() -> None:
    """With the queue over its bound, a new partial still sheds the oldest partial, not a final."""
    q = queue(max_pending=2)
    finals = [job("final", leg=f"f{i}", at=0.0) for i in range(2)]
    for f in finals:
        q.submit(f)
    p1 = job("partial", leg="a", at=0.1)
    q.submit(p1)
    shed = q.submit(job("partial", leg="b", at=0.2))
    assert shed is p1
    assert not any(f.replaced for f in finals)
    assert q.take(1.0) == finals


def test_partial_batches_are_capped_finals_are_not() -> None:
    """max_partial_batch bounds a batch of partials (so a final never waits long behind one); finals fill
    max_batch; 0 means max_batch for partials too; a negative cap is refused."""
    q = BatchQueue(BatcherConfig(max_batch=8, window_s=0.0, max_partial_batch=3))
    for i in range(6):
        q.submit(job("final", leg=f"f{i}", at=0.0))
        q.submit(job("partial", leg=f"p{i}", at=0.0))
    assert [j.kind for j in q.take(1.0)] == ["final"] * 6
    assert [len(q.take(1.0)) for _ in range(3)] == [3, 3, 0]
    q = BatchQueue(BatcherConfig(max_batch=8, window_s=0.0, max_partial_batch=0))
    for i in range(10):
        q.submit(job("partial", leg=f"p{i}", at=0.0))
    assert len(q.take(1.0)) == 8
    with pytest.raises(ValueError, match="max_partial_batch"):
        BatcherConfig(max_partial_batch=-1)
