"""The caption hub without sockets: late joiners, per-tenant calls, slow-viewer bounds, privacy on decline."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.core.caption_hub import CaptionHub
from gateway.core.caption_viewer import CALL_ENDED, TOO_SLOW, HubConfig, NotVisible, TooManyViewers, Viewer
from protocol.messages import AudioFormat, CallEnded, ConsentState, Final, Partial, Ready, Start
from tests.call_events import feed_hub

START = Start("c1", AudioFormat("mulaw", 8000, 2), ("agent", "caller"))


def final(seq: int, text: str = "hello", leg: str = "agent") -> Final:
    return Final(seq, leg, f"u{seq}", text, float(seq), seq + 0.5, "en")


def partial(uid: int, text: str = "hel") -> Partial:
    return Partial("agent", f"u{uid}", text, float(uid), uid + 0.2)


def drain(viewer: Viewer) -> list[dict[str, Any]]:
    out = []
    while (frame := viewer.pop()) is not None:
        out.append(json.loads(frame))
    return out


def started_hub(config: HubConfig | None = None) -> CaptionHub:
    hub = CaptionHub(config)
    feed_hub(hub, "a", "c1", START, 100.0)
    feed_hub(hub, "a", "c1", Ready("s", "c1", "pending", "tiny.en", ("en",)), 100.0)
    return hub


def test_late_joiner_gets_call_consent_and_finals_so_far_then_live() -> None:
    """A viewer joining mid-call first gets the call, the current consent state and every final so far."""
    hub = started_hub()
    feed_hub(hub, "a", "c1", ConsentState("active", 1.0), 101.0)
    for seq in (1, 2):
        feed_hub(hub, "a", "c1", final(seq), 102.0)
    feed_hub(hub, "a", "c1", partial(3), 103.0)  # a partial before joining is not replayed
    viewer = hub.subscribe("a", "c1", lambda: None, 104.0)
    feed_hub(hub, "a", "c1", final(3), 105.0)
    feed_hub(hub, "a", "c1", CallEnded("c1", 3), 106.0)
    frames = drain(viewer)
    assert [f["type"] for f in frames] == ["call", "consent", "final", "final", "final", "call_ended"]
    assert frames[0]["legs"] == ["agent", "caller"] and frames[1] == {"type": "consent", "state": "active", "at": 1.0}
    assert [f["seq"] for f in frames if f["type"] == "final"] == [1, 2, 3]
    assert viewer.close_code == CALL_ENDED


def test_calls_are_per_tenant_and_unknown_calls_are_not_visible() -> None:
    """Another tenant's call and a call that does not exist raise the same error; `wait` admits both alike."""
    hub = started_hub()
    with pytest.raises(NotVisible) as other:
        hub.subscribe("b", "c1", lambda: None, 100.0)
    with pytest.raises(NotVisible) as missing:
        hub.subscribe("b", "nope", lambda: None, 100.0)
    assert str(other.value) == str(missing.value)
    waiting = hub.subscribe("b", "c1", lambda: None, 100.0, wait=True)
    feed_hub(hub, "a", "c1", final(1), 101.0)
    assert drain(waiting) == [] and waiting.close_code is None
    assert [c.call_id for c in hub.active_calls("a", 110.0)] == ["c1"] and hub.active_calls("b", 110.0) == []


def test_waiting_viewer_receives_the_call_from_its_start() -> None:
    """A viewer that subscribed before the call started gets the call frame, consent and finals live."""
    hub = CaptionHub()
    woken: list[int] = []
    viewer = hub.subscribe("a", "c1", lambda: woken.append(1), 99.0, wait=True)
    feed_hub(hub, "a", "c1", START, 100.0)
    feed_hub(hub, "a", "c1", Ready("s", "c1", "active", "tiny.en", ("en",)), 100.0)
    feed_hub(hub, "a", "c1", final(1), 101.0)
    assert [f["type"] for f in drain(viewer)] == ["call", "consent", "final"] and woken
    summary = hub.active_calls("a", 112.5)[0]
    assert (summary.legs, summary.duration_s, summary.consent, summary.viewers) == (
        ("agent", "caller"),
        12.5,
        "active",
        1,
    )


def test_slow_viewer_drops_partials_then_is_evicted_without_affecting_others() -> None:
    """A viewer that never reads loses partials past its queue bound and is evicted past the finals bound,
    while a viewer that keeps up gets every message."""
    hub = started_hub(HubConfig(viewer_queue=4, viewer_max_finals=6))
    slow = hub.subscribe("a", "c1", lambda: None, 100.0)
    fast = hub.subscribe("a", "c1", lambda: None, 100.0)
    drain(slow)
    got: list[dict[str, Any]] = []
    for seq in range(1, 11):
        feed_hub(hub, "a", "c1", partial(seq), 101.0)
        got += drain(fast)
        feed_hub(hub, "a", "c1", final(seq), 101.0)
        got += drain(fast)
    assert [f["seq"] for f in got if f["type"] == "final"] == list(range(1, 11))
    assert len([f for f in got if f["type"] == "partial"]) == 10 and fast.partials_dropped == 0
    assert slow.close_code == TOO_SLOW and slow.pop() is None  # its queue was freed at once
    assert slow.max_finals_queued == 6 and slow.partials_dropped == 5  # p3..p7: the queue held 4
    assert hub.counters.viewers_evicted == 1 and hub.viewers("a", "c1") == [fast]


def test_partial_is_replaced_by_newer_partial_and_superseded_by_its_final() -> None:
    """An unsent partial is replaced by the next partial of its utterance and dropped once its final is queued."""
    hub = started_hub()
    viewer = hub.subscribe("a", "c1", lambda: None, 100.0)
    drain(viewer)
    feed_hub(hub, "a", "c1", partial(1, "he"), 101.0)
    feed_hub(hub, "a", "c1", partial(1, "hello th"), 101.0)
    assert [f["text"] for f in drain(viewer)] == ["hello th"]
    feed_hub(hub, "a", "c1", partial(2, "wor"), 102.0)
    feed_hub(hub, "a", "c1", final(2, "world"), 102.0)
    assert [(f["type"], f["text"]) for f in drain(viewer)] == [("final", "world")]
    assert hub.counters.partials_coalesced == 1


def test_replayed_finals_are_not_sent_twice() -> None:
    """A resumed connection replays finals the viewers already have; they are not fanned out again."""
    hub = started_hub()
    viewer = hub.subscribe("a", "c1", lambda: None, 100.0)
    feed_hub(hub, "a", "c1", final(1), 101.0)
    feed_hub(hub, "a", "c1", CallEnded("c1", 1), 102.0)
    again = hub.subscribe("a", "c1", lambda: None, 103.0, wait=True)  # reconnecting page, call ended
    feed_hub(hub, "a", "c1", START, 104.0)  # the media server resumes the call
    feed_hub(hub, "a", "c1", final(1), 104.0)
    feed_hub(hub, "a", "c1", final(2), 105.0)
    assert [f["seq"] for f in drain(viewer) if f["type"] == "final"] == [1]
    assert [f["type"] for f in drain(again)] == ["call", "consent", "final", "call_ended"]
    late = hub.subscribe("a", "c1", lambda: None, 106.0)
    assert [f["seq"] for f in drain(late) if f["type"] == "final"] == [1, 2]


def test_declined_erases_the_finals_kept_for_late_joiners() -> None:
    """After the caller declines, a late joiner gets the declined state and no transcript."""
    hub = started_hub()
    feed_hub(hub, "a", "c1", final(1, "my number is"), 101.0)
    feed_hub(hub, "a", "c1", ConsentState("declined", 2.0), 102.0)
    frames = drain(hub.subscribe("a", "c1", lambda: None, 103.0))
    assert [f["type"] for f in frames] == ["call", "consent"] and frames[1]["state"] == "declined"


def test_limits_refuse_extra_viewers_and_ended_calls_expire() -> None:
    """Past the viewer limit a subscription is refused; an ended call is forgotten after `ended_ttl_s`."""
    hub = started_hub(HubConfig(max_viewers_per_call=1, max_waiting_calls=1, ended_ttl_s=10.0))
    hub.subscribe("a", "c1", lambda: None, 100.0)
    with pytest.raises(TooManyViewers):
        hub.subscribe("a", "c1", lambda: None, 100.0)
    hub.subscribe("a", "w1", lambda: None, 100.0, wait=True)
    with pytest.raises(TooManyViewers):
        hub.subscribe("a", "w2", lambda: None, 100.0, wait=True)
    feed_hub(hub, "a", "c1", CallEnded("c1", 0), 101.0)
    assert drain(hub.subscribe("a", "c1", lambda: None, 105.0))[-1]["type"] == "call_ended"
    with pytest.raises(NotVisible):
        hub.subscribe("a", "c1", lambda: None, 112.0)
