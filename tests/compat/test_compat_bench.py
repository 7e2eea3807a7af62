"""The bench drives the gateway through its Deepgram surface with the same client it points at a
Deepgram-compatible peer, so the two compare on the same audio, pacing and scoring."""

from __future__ import annotations

import time

from bench.audio import read_wav
from bench.deepgram_driver import DeepgramDriver, results_hyp
from bench.manifest import Item
from bench.pacing import Pacing
from bench.wer import wer
from tests.compat.conftest import CALL, JFK, JFK_TEXT
from tests.conftest import TOKEN, Gateway


def test_results_become_hypotheses_on_their_leg() -> None:
    """Interim and final `Results` are partial and final hypotheses of the leg their channel carries;
    empty results and other messages are none."""
    msg = {
        "type": "Results",
        "channel_index": [1, 2],
        "start": 1.0,
        "duration": 0.5,
        "is_final": True,
        "channel": {"alternatives": [{"transcript": " Hi there. "}]},
    }
    hyp = results_hyp(msg, 7.0, ("agent", "caller"))
    assert hyp is not None and (hyp.kind, hyp.leg, hyp.text, hyp.start, hyp.end) == (
        "final",
        "caller",
        "Hi there.",
        1.0,
        1.5,
    )
    interim = results_hyp({**msg, "is_final": False, "channel_index": [0, 2]}, 7.0, ("agent", "caller"))
    assert interim is not None and (interim.kind, interim.leg) == ("partial", "agent")
    empty = {**msg, "channel": {"alternatives": [{"transcript": ""}]}}
    assert results_hyp(empty, 7.0, ("a", "b")) is None and results_hyp({"type": "Metadata"}, 7.0, ("a",)) is None


async def test_deepgram_driver_replays_calls_through_the_gateway(compat_gw: Gateway) -> None:
    """A mono and a two-leg call replayed by `DeepgramDriver` at 8x real time end cleanly with finals on the
    right legs, and the mono call's words match its reference."""
    driver = DeepgramDriver(compat_gw.http.replace("http://", "ws://") + "/v1/listen", TOKEN)
    pacing = Pacing(frame_ms=100, tail_s=1.0, pace=8.0)
    jfk = Item("real/jfk.wav", JFK, "en", 11.0, 1, ("caller",), (("caller", JFK_TEXT),))
    trace = await driver.call(jfk, read_wav(JFK), "bench-dg-1", pacing, time.monotonic)
    assert trace.ok, trace.errors
    finals = [h.text for h in trace.legs["caller"].hyps if h.kind == "final"]
    assert wer([JFK_TEXT], [" ".join(finals)]) <= 0.15
    call = Item("synthetic/synthetic_call_en.wav", CALL, "en", 25.93, 2, ("agent", "caller"), ())
    two = await driver.call(call, read_wav(CALL), "bench-dg-2", pacing, time.monotonic)
    assert two.ok, two.errors
    assert all(any(h.kind == "final" for h in two.legs[leg].hyps) for leg in ("agent", "caller"))
