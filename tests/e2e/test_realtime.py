"""One call at real-time pace with live partials: the order and shape of what a captions client sees."""

from __future__ import annotations

from bench.audio import read_wav
from bench.client import StreamOptions, stream_call
from bench.wer import normalize
from tests.conftest import AUDIO, TOKEN, Gateway


async def test_realtime_partials_precede_finals_and_finals_are_well_formed(gateway: Gateway) -> None:
    """Streaming JFK at real-time pace: partials arrive before their utterance's final, never after it;
    committed partial prefixes never change; finals are numbered 1..n with word times inside them."""
    clip = read_wav(AUDIO / "real" / "jfk.wav")
    run = await stream_call(gateway.url, TOKEN, clip, StreamOptions(call_id="realtime", pace=1.0))
    assert run.close_code == 1000
    msgs = [r.msg for r in run.received]
    assert msgs[0]["type"] == "ready" and msgs[-1]["type"] == "closed"
    finals = run.finals
    assert [f["seq"] for f in finals] == list(range(1, len(finals) + 1))
    assert run.partials, "no partial at real-time pace"
    final_index = {m["utterance_id"]: i for i, m in enumerate(msgs) if m["type"] == "final"}
    committed: dict[str, str] = {}
    for i, m in enumerate(msgs):
        if m["type"] != "partial":
            continue
        uid = m["utterance_id"]
        assert i < final_index.get(uid, len(msgs)), "partial after its final"
        prefix = m["text"][: m["stable_chars"]]
        assert prefix.startswith(committed.get(uid, "")), "a committed prefix changed"
        committed[uid] = prefix
    assert any(m["utterance_id"] in final_index for m in run.partials)
    for f in finals:
        assert f["words"], "finals carry word timestamps"
        assert all(f["start"] <= w["start"] <= w["end"] <= f["end"] for w in f["words"])
    text = normalize(" ".join(f["text"] for f in finals))
    assert "ask not what your country can do for you ask what you can do for your country" in text
    assert run.of_type("closed")[0]["finals"] == len(finals)
