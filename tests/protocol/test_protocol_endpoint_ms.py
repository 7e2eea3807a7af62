"""The compatible extension `start.endpoint_ms` (a call's endpoint silence), in both subprotocols."""

from __future__ import annotations

import json

import msgpack
import pytest

from protocol.codec import Mode, client_to_dict, parse_binary, parse_text
from protocol.errors import BadMessage
from protocol.messages import ClientMessage, Start

START = {"type": "start", "call_id": "c-1", "audio": {"encoding": "mulaw", "sample_rate": 8000, "channels": 1}}


def send(obj: object, mode: Mode) -> ClientMessage:
    if mode is Mode.JSON:
        return parse_text(json.dumps(obj), mode)
    return parse_binary(msgpack.packb(obj, use_bin_type=True), mode)


@pytest.mark.parametrize("mode", [Mode.JSON, Mode.MSGPACK])
def test_endpoint_ms_is_parsed_and_round_trips(mode: Mode) -> None:
    """`endpoint_ms` in `start` is read and written back only when set."""
    msg = send({**START, "endpoint_ms": 800}, mode)
    assert isinstance(msg, Start) and msg.endpoint_ms == 800
    assert send(client_to_dict(msg), mode) == msg
    plain = send(START, mode)
    assert isinstance(plain, Start) and plain.endpoint_ms is None and "endpoint_ms" not in client_to_dict(plain)


@pytest.mark.parametrize("mode", [Mode.JSON, Mode.MSGPACK])
@pytest.mark.parametrize("value", [0, -5, 60_001, "800", True, 1.5])
def test_bad_endpoint_ms_is_a_bad_message(mode: Mode, value: object) -> None:
    """A non-integer or out-of-range endpoint silence is refused with the field named."""
    with pytest.raises(BadMessage, match=r"start\.endpoint_ms"):
        send({**START, "endpoint_ms": value}, mode)
