"""The `start.caller` extension: parsed, validated and written back only when set, in both subprotocols."""

from __future__ import annotations

import json

import msgpack
import pytest

from protocol.codec import Mode, client_to_dict, parse_binary, parse_text
from protocol.errors import BadMessage, ProtocolError
from protocol.messages import MAX_CALLER_LEN, AudioFormat, ClientMessage, Start

MODES = [Mode.JSON, Mode.MSGPACK]
START = {"type": "start", "call_id": "c-1", "audio": {"encoding": "mulaw", "sample_rate": 8000, "channels": 1}}
CALLER = "+31612345678"


def send(obj: object, mode: Mode) -> ClientMessage:
    if mode is Mode.JSON:
        return parse_text(json.dumps(obj), mode)
    return parse_binary(msgpack.packb(obj, use_bin_type=True), mode)


@pytest.mark.parametrize("mode", MODES)
def test_start_caller_is_parsed_and_round_trips(mode: Mode) -> None:
    """`caller` in `start` is read as given, written back only when set, and absent means None."""
    msg = send({**START, "caller": CALLER}, mode)
    assert isinstance(msg, Start) and msg.caller == CALLER
    assert client_to_dict(msg)["caller"] == CALLER
    assert send(json.loads(json.dumps(client_to_dict(msg))), mode) == msg
    plain = send(START, mode)
    assert isinstance(plain, Start) and plain.caller is None
    assert "caller" not in client_to_dict(plain)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("value", "error"),
    [
        (31612345678, "start.caller: expected a string"),
        ("", "start.caller: must not be empty"),
        ("+" + "3" * MAX_CALLER_LEN, f"start.caller: longer than {MAX_CALLER_LEN} characters"),
        (["+31612345678"], "start.caller: expected a string"),
    ],
)
def test_bad_caller_is_a_bad_message_that_does_not_echo_it(mode: Mode, value: object, error: str) -> None:
    """A wrongly typed, empty or over-long caller is refused naming the field, never repeating the value."""
    with pytest.raises(BadMessage, match=error) as caught:
        send({**START, "caller": value}, mode)
    assert "3333" not in str(caught.value) and "31612345678" not in str(caught.value)


def test_unencodable_caller_is_refused_as_undecodable() -> None:
    """A caller with a lone surrogate is not valid text: close 1007, like any undecodable field."""
    with pytest.raises(ProtocolError) as caught:
        Start("c-1", AudioFormat("mulaw", 8000, 1), ("caller",), caller="+31\ud800")
    assert caught.value.close_code == 1007


def test_caller_stays_out_of_the_repr() -> None:
    """The caller's number never reaches a log line through a `Start`'s repr."""
    msg = Start("c-1", AudioFormat("mulaw", 8000, 1), ("caller",), caller=CALLER)
    assert CALLER not in repr(msg) and "c-1" in repr(msg)
