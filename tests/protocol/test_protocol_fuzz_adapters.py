"""Property tests per binary/wire parser: each telephony adapter and AudioSocket's framing accept or reject
any input with their typed error (a `ProtocolError`), never another exception (bounded for CI)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.audio import Clip, read_wav
from protocol.adapters import (
    AsteriskWsAdapter,
    AudioSocketAdapter,
    FreeswitchAdapter,
    JambonzAdapter,
    TelnyxAdapter,
    TwilioAdapter,
    WebSocketAdapter,
)
from protocol.adapters.audiosocket import KIND_AUDIO_RATES
from protocol.errors import ProtocolError
from tests.protocol.test_protocol_fuzz import json_values
from tests.telephony.conftest import JFK
from tests.telephony.media_servers import (
    asterisk_timeline,
    audiosocket_frame,
    l16_timeline,
    telnyx_timeline,
    twilio_timeline,
)

OPTIONS = {"language": "en", "consent": "granted"}
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _clip() -> Clip:
    clip = read_wav(JFK)
    return Clip(clip.samples[: clip.rate // 5], clip.rate)  # 200 ms: ten 20 ms frames


def _frames() -> dict[str, tuple[Callable[[], WebSocketAdapter], list[str | bytes]]]:
    clip = _clip()
    freeswitch = json.dumps({"call_id": "c", "mix_type": "mono", "sample_rate": "8k"} | OPTIONS)
    jambonz = json.dumps({"callSid": "c", "sampleRate": 8000, "mixType": "mono"} | OPTIONS)
    return {
        "twilio": (
            TwilioAdapter,
            [
                f
                for _, f in twilio_timeline(
                    clip, "CA1", channels={"inbound": 0, "outbound": 0}, params=OPTIONS, dtmf_at=0.05
                )
            ],
        ),
        "telnyx": (TelnyxAdapter, [f for _, f in telnyx_timeline(clip, "v3:c", params=OPTIONS, dtmf_at=0.05)]),
        "freeswitch": (
            FreeswitchAdapter,
            [
                f
                for _, f in l16_timeline(
                    freeswitch,
                    clip,
                    order=(0,),
                    sizes_ms=(20,),
                    dtmf=json.dumps({"event": "dtmf", "digit": "9"}),
                    dtmf_at=0.05,
                )
            ],
        ),
        "jambonz": (
            JambonzAdapter,
            [
                f
                for _, f in l16_timeline(
                    jambonz,
                    clip,
                    order=(0,),
                    sizes_ms=(20,),
                    dtmf=json.dumps({"event": "dtmf", "dtmf": "9"}),
                    dtmf_at=0.05,
                )
            ],
        ),
        "asterisk": (AsteriskWsAdapter, [f for _, f in asterisk_timeline(clip, "c", variables={}, dtmf_at=0.05)]),
    }


FRAMES = _frames()


def _feed(adapter: WebSocketAdapter, frames: list[str | bytes]) -> None:
    """Feed frames until the adapter's typed error (allowed); any other exception fails the test."""
    try:
        for frame in frames:
            if isinstance(frame, str):
                adapter.receive_text(frame)
            else:
                adapter.receive_binary(frame)
            adapter.events_received()
        adapter.receive_eof()
    except ProtocolError:
        return


def _mutate(frame: str, data: st.DataObject) -> str:
    """`frame` (a JSON object) with one field, at any depth, replaced by an arbitrary JSON value."""
    obj: Any = json.loads(frame)
    node = obj
    while isinstance(node, dict) and node:
        key = data.draw(st.sampled_from(sorted(node)))
        if isinstance(node[key], dict) and data.draw(st.booleans()):
            node = node[key]
            continue
        node[key] = data.draw(json_values)
        break
    return json.dumps(obj, default=list)


@FUZZ
@given(name=st.sampled_from(sorted(FRAMES)), at=st.integers(0, 12), data=st.data())
def test_adapters_raise_only_typed_errors_on_mutated_events(name: str, at: int, data: st.DataObject) -> None:
    """A real media server's event stream with one field of one JSON event replaced by any JSON value (a
    list or object where a string belongs, a number, null...) gives the adapter's ProtocolError or goes on."""
    factory, frames = FRAMES[name]
    texts = [i for i, f in enumerate(frames) if isinstance(f, str)]
    at = texts[at % len(texts)]
    frame = frames[at]
    assert isinstance(frame, str)
    _feed(factory(), [*frames[:at], _mutate(frame, data), *frames[at + 1 :]])


@FUZZ
@given(name=st.sampled_from(sorted(FRAMES)), at=st.integers(0, 12), junk=st.binary(max_size=64) | st.text(max_size=64))
def test_adapters_raise_only_typed_errors_on_junk_frames(name: str, at: int, junk: str | bytes) -> None:
    """Any text or binary frame anywhere in the stream gives the adapter's ProtocolError or goes on."""
    factory, frames = FRAMES[name]
    at = min(at, len(frames))
    _feed(factory(), [*frames[:at], junk, *frames[at:]])


def _audiosocket(data: bytes, split: int) -> None:
    adapter = AudioSocketAdapter({"language": "en"})
    try:
        for part in (data[:split], data[split:]):
            adapter.receive_data(part)
            adapter.events_received()
        adapter.receive_eof()
    except ProtocolError:
        return


FRAME_KINDS = st.sampled_from([0x00, 0x01, 0x03, 0xFF, *KIND_AUDIO_RATES, 0x42])


@FUZZ
@given(frames=st.lists(st.tuples(FRAME_KINDS, st.binary(max_size=40)), max_size=12), split=st.integers(0, 400))
def test_audiosocket_frames_raise_only_typed_errors(frames: list[tuple[int, bytes]], split: int) -> None:
    """Any sequence of well-framed AudioSocket frames of any kind and payload, split anywhere across two
    reads, gives an AudioSocketError or goes on."""
    data = audiosocket_frame(0x01, uuid.UUID(int=7).bytes) + b"".join(audiosocket_frame(k, p) for k, p in frames)
    _audiosocket(data, split)


@FUZZ
@given(data=st.binary(max_size=300), split=st.integers(0, 300))
def test_audiosocket_bytes_raise_only_typed_errors(data: bytes, split: int) -> None:
    """Arbitrary bytes on the AudioSocket port give an AudioSocketError or go on."""
    _audiosocket(data, split)


ILL_TYPED: tuple[object, ...] = ([], ["inbound"], {}, {"x": 1}, None, True, 1.5, -1, 2**70, "", "\x00")


def _leaf_paths(obj: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if not isinstance(obj, dict):
        return [prefix] if prefix else []
    return [p for key, value in obj.items() for p in _leaf_paths(value, (*prefix, key))] + ([prefix] if prefix else [])


def _replaced(obj: Any, path: tuple[str, ...], value: object) -> str:
    copy: Any = json.loads(json.dumps(obj))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return json.dumps(copy)


def test_every_field_of_every_event_kind_with_an_ill_typed_value() -> None:
    """Exhaustively: for each adapter, the first event of each kind with each of its fields (any depth)
    replaced by a list, an object, null, a bool, a float, a huge int or an odd string gives the adapter's
    ProtocolError or goes on (the Twilio/Telnyx `track` list was a TypeError once)."""
    cases = 0
    for factory, frames in FRAMES.values():
        seen: set[str] = set()
        for at, frame in enumerate(frames):
            if not isinstance(frame, str):
                continue
            obj = json.loads(frame)
            kind = str(obj.get("event", obj.get("type", at)))
            if kind in seen:
                continue
            seen.add(kind)
            for path in _leaf_paths(obj):
                for value in ILL_TYPED:
                    _feed(factory(), [*frames[:at], _replaced(obj, path, value), *frames[at + 1 :]])
                    cases += 1
    assert cases > 500
