"""Compatible extensions of transcribe.v1 for privacy: start.special_categories, final.special,
consent.announcement and the `privacy` server message, in both subprotocols."""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest

from protocol.codec import Mode, client_to_dict, encode_client, encode_server, parse_binary, parse_server, parse_text
from protocol.errors import BadMessage, InternalError
from protocol.messages import (
    AudioFormat,
    ClientMessage,
    ConsentState,
    Final,
    PrivacyEvent,
    Redaction,
    ServerMessage,
    Start,
)

MODES = [Mode.JSON, Mode.MSGPACK]
START = {"type": "start", "call_id": "c-1", "audio": {"encoding": "mulaw", "sample_rate": 8000, "channels": 1}}


def send(obj: object, mode: Mode) -> ClientMessage:
    if mode is Mode.JSON:
        return parse_text(json.dumps(obj), mode)
    return parse_binary(msgpack.packb(obj, use_bin_type=True), mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("policy", ["flag", "mask", "stop", "off"])
def test_start_special_categories_is_parsed_and_round_trips(mode: Mode, policy: str) -> None:
    """Each special-category policy in `start` is read, and written back only when set."""
    msg = send({**START, "special_categories": policy}, mode)
    assert isinstance(msg, Start) and msg.special_categories == policy
    assert client_to_dict(msg)["special_categories"] == policy
    assert send(json.loads(json.dumps(client_to_dict(msg))), mode) == msg
    plain = send(START, mode)
    assert isinstance(plain, Start) and plain.special_categories is None
    assert "special_categories" not in client_to_dict(plain)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("block", "start.special_categories: must be one of"),
        (3, "start.special_categories: expected a string"),
        ("", "start.special_categories"),
    ],
)
def test_bad_special_categories_is_a_bad_message(mode: Mode, value: object, error: str) -> None:
    """An unknown or wrongly typed special-category policy is refused with the field named."""
    with pytest.raises(BadMessage, match=error):
        send({**START, "special_categories": value}, mode)


def test_start_encodes_special_categories_for_clients() -> None:
    """A client built with the typed Start sends the policy on the wire."""
    start = Start("c", AudioFormat("pcm_s16le", 16000, 1), ("caller",), special_categories="mask")
    assert json.loads(str(encode_client(start, Mode.JSON)))["special_categories"] == "mask"


FINAL = Final(
    1,
    "caller",
    "u-1",
    "[SPECIAL:health]. Bye",
    0.0,
    2.0,
    "en",
    redactions=(Redaction("special", 0, 16),),
    special=("health",),
)
EXTENDED: list[tuple[ServerMessage, dict[str, Any]]] = [
    (
        ConsentState("active", 1.5, "ivr-v7"),
        {"type": "consent", "state": "active", "at": 1.5, "announcement": "ivr-v7"},
    ),
    (ConsentState("paused", 2.0), {"type": "consent", "state": "paused", "at": 2.0}),
    (
        PrivacyEvent("special_category_stop", "health", 12.3456),
        {"type": "privacy", "event": "special_category_stop", "category": "health", "at": 12.346},
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("msg", "expected"), EXTENDED)
def test_extended_server_messages_round_trip(mode: Mode, msg: ServerMessage, expected: dict[str, Any]) -> None:
    """Consent with and without an announcement and the privacy event encode to their documented fields."""
    assert parse_server(encode_server(msg, mode), mode) == expected


@pytest.mark.parametrize("mode", MODES)
def test_final_special_is_sent_only_when_present(mode: Mode) -> None:
    """`final.special` lists the categories when there are any and is absent otherwise (old clients)."""
    wire = parse_server(encode_server(FINAL, mode), mode)
    assert wire["special"] == ["health"]
    assert wire["redactions"] == [{"kind": "special", "start": 0, "end": 16}]
    plain = Final(2, "caller", "u-2", "hello", 0.0, 1.0, "en")
    assert "special" not in parse_server(encode_server(plain, mode), mode)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Final(1, "caller", "u", "x", 0.0, 1.0, "en", special=("health", "health")),
        lambda: Final(1, "caller", "u", "x", 0.0, 1.0, "en", special=("",)),
        lambda: Final(1, "caller", "u", "x", 0.0, 1.0, "en", special=["health"]),  # type: ignore[arg-type]
        lambda: ConsentState("active", 1.0, ""),
        lambda: PrivacyEvent("special_category_flag", "health", 1.0),  # type: ignore[arg-type]
        lambda: PrivacyEvent("special_category_stop", "", 1.0),
        lambda: PrivacyEvent("special_category_stop", "health", -1.0),
    ],
)
def test_invalid_extended_server_messages_are_our_bug(build: Any) -> None:
    """Server-side extensions validate themselves: a bad value is an InternalError, never sent."""
    with pytest.raises(InternalError):
        build()
