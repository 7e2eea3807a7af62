"""Each telephony adapter maps the media server's own caller-number field to `Start.caller`, and only
where the media server documents one (frames as the media servers send them)."""

from __future__ import annotations

import json

import pytest

from protocol.adapters import (
    AsteriskWsAdapter,
    AudioSocketAdapter,
    FreeswitchAdapter,
    JambonzAdapter,
    JambonzError,
    TelnyxAdapter,
    TwilioAdapter,
)
from protocol.adapters.base import WebSocketAdapter
from protocol.messages import Start

CALLER = "+31612345678"


def first_start(adapter: WebSocketAdapter, *texts: str) -> Start:
    """The Start an adapter emits after the given text frames."""
    for text in texts:
        adapter.receive_text(text)
    start = adapter.events_received()[0]
    assert isinstance(start, Start)
    return start


# -- jambonz: call attributes `direction` / `from` (docs.jambonz.org, listen.js) ----------------------------


def jambonz_attributes(**extra: object) -> str:
    return json.dumps(
        {
            "sampleRate": 8000,
            "mixType": "mono",
            "callSid": "9fb35c28-9688-4531-943c-e280b04f3adf",
            "from": CALLER,
            "to": "+15083728299",
            **extra,
        }
    )


@pytest.mark.parametrize(
    ("extra", "caller"),
    [
        ({"direction": "inbound"}, CALLER),
        ({"direction": "outbound"}, None),  # `from` is then your own number
        ({}, None),
        ({"direction": "outbound", "caller": "+3225550100"}, "+3225550100"),  # metadata `caller` wins
        ({"direction": "inbound", "caller": "+3225550100"}, "+3225550100"),
    ],
)
def test_jambonz_caller_is_from_of_inbound_calls(extra: dict[str, object], caller: str | None) -> None:
    """An inbound jambonz call's `from` is its caller; the listen metadata's `caller` overrides it."""
    assert first_start(JambonzAdapter(), jambonz_attributes(**extra)).caller == caller


# -- Twilio: `start.customParameters.caller` only (the start message has no caller number) ------------------


def twilio_start(parameters: dict[str, str]) -> str:
    return json.dumps(
        {
            "event": "start",
            "sequenceNumber": "1",
            "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
            "start": {
                "accountSid": "AC123",
                "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
                "callSid": "CA123",
                "tracks": ["inbound"],
                "customParameters": parameters,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        }
    )


def test_twilio_caller_comes_from_the_stream_parameter() -> None:
    """`<Parameter name="caller" value="{{From}}"/>` becomes the caller; without it there is none."""
    connected = '{"event": "connected", "protocol": "Call", "version": "1.0.0"}'
    assert first_start(TwilioAdapter(), connected, twilio_start({"caller": CALLER})).caller == CALLER
    assert first_start(TwilioAdapter(), connected, twilio_start({"language": "nl"})).caller is None


# -- Telnyx: `start.from`, a custom parameter `caller` wins -------------------------------------------------


def telnyx_start(parameters: list[dict[str, str]]) -> str:
    return json.dumps(
        {
            "event": "start",
            "sequence_number": "1",
            "stream_id": "32DE0DEA-53CB-4B21-89A4-9E1819C043BC",
            "start": {
                "call_control_id": "v2:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ",
                "from": CALLER,
                "to": "+13122123456",
                "custom_parameters": parameters,
                "media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1},
            },
        }
    )


def test_telnyx_caller_is_start_from_unless_a_parameter_says_otherwise() -> None:
    """Telnyx's `start.from` is the caller; the custom parameter `caller` overrides it (outbound calls)."""
    assert first_start(TelnyxAdapter(), telnyx_start([])).caller == CALLER
    override = [{"name": "caller", "value": "+3225550100"}]
    assert first_start(TelnyxAdapter(), telnyx_start(override)).caller == "+3225550100"


# -- FreeSWITCH: metadata `caller` or `caller_id_number` (from ${caller_id_number}) ----------------------------


@pytest.mark.parametrize(
    ("extra", "caller"),
    [
        ('"caller":"+31612345678"', CALLER),
        ('"caller_id_number":"+31612345678"', CALLER),
        ('"caller":"+3225550100","caller_id_number":"+31612345678"', "+3225550100"),
        ('"language":"nl"', None),
    ],
)
def test_freeswitch_caller_from_metadata(extra: str, caller: str | None) -> None:
    """The fork's metadata names the caller as `caller` (preferred) or FreeSWITCH's `caller_id_number`."""
    meta = '{"call_id":"5b1c9e1e-8d3a-4a59-9a3b-2f3f4b5c6d7e","mix_type":"mono","sample_rate":8000,' + extra + "}"
    assert first_start(FreeswitchAdapter(), meta).caller == caller


# -- Asterisk chan_websocket: channel variable CALLSCRIBE_CALLER, or the `caller` query parameter -----------


def test_asterisk_ws_caller_from_channel_variable_or_query() -> None:
    """`__CALLSCRIBE_CALLER=${CALLERID(num)}` (JSON MEDIA_START) or `v(caller=...)` (query) set the caller."""
    json_start = json.dumps(
        {
            "event": "MEDIA_START",
            "connection_id": "e226e283",
            "channel_id": "1712345678.42",
            "format": "ulaw",
            "channel_variables": {"__CALLSCRIBE_CALLER": CALLER},
        }
    )
    plain_start = "MEDIA_START connection_id:e226e283 channel_id:1712345678.42 format:ulaw"
    assert first_start(AsteriskWsAdapter(), json_start).caller == CALLER
    assert first_start(AsteriskWsAdapter({"caller": CALLER}), plain_start).caller == CALLER
    assert first_start(AsteriskWsAdapter(), plain_start).caller is None


def test_audiosocket_carries_no_caller() -> None:
    """AudioSocket frames (UUID, then slin audio) carry no caller number, so the Start has none."""
    adapter = AudioSocketAdapter()
    uuid_frame = bytes.fromhex("010010") + bytes.fromhex("40325ec25efd4bd3805f53576e581d13")
    adapter.receive_data(uuid_frame + bytes.fromhex("100004") + bytes.fromhex("01000200"))
    start = adapter.events_received()[0]
    assert isinstance(start, Start) and start.caller is None


def test_a_non_text_caller_is_refused_without_echo() -> None:
    """A caller that is not a string is the adapter's protocol error, and the message does not echo it."""
    with pytest.raises(JambonzError, match="caller: expected a string") as caught:
        first_start(JambonzAdapter(), jambonz_attributes(direction="inbound", caller=31612345678))
    assert "31612345678" not in str(caught.value)


@pytest.mark.parametrize("withheld", ["anonymous", "Restricted", "unknown"])
def test_a_withheld_number_is_no_caller(withheld: str) -> None:
    """A caller field without any digit (a withheld number) is not linked: every such call would share it."""
    assert first_start(JambonzAdapter(), jambonz_attributes(direction="inbound", **{"from": withheld})).caller is None
    meta = '{"call_id":"c1","mix_type":"mono","sample_rate":8000,"caller_id_number":"' + withheld + '"}'
    assert first_start(FreeswitchAdapter(), meta).caller is None
