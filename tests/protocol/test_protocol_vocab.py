"""One enum per vocabulary: messages parse into its members and the wire bytes stay the same strings."""

from __future__ import annotations

import json

import msgpack
import pytest

import privacy
from gateway.config import ServerConfig
from gateway.core import consent
from protocol.codec import Mode, encode_server, parse_text
from protocol.errors import BadMessage
from protocol.messages import (
    CONSENT_EVENTS,
    AudioFormat,
    ConsentEvent,
    ConsentState,
    Ready,
    Start,
)
from protocol.vocab import (
    WIRE_CONSENT_EVENTS,
    ConsentEventKind,
    ConsentStatus,
    InitialConsent,
    RedactionPolicy,
    SpecialPolicy,
)


def test_start_parses_into_members() -> None:
    """A parsed `start` carries enum members, not bare strings, for consent and both policies."""
    msg = parse_text(
        '{"type":"start","call_id":"c1","audio":{"encoding":"pcm_s16le","sample_rate":16000,"channels":1},'
        '"consent":"granted","redaction":"pseudonymise","special_categories":"stop"}',
        Mode.JSON,
    )
    assert isinstance(msg, Start)
    assert msg.consent is InitialConsent.GRANTED
    assert msg.redaction is RedactionPolicy.PSEUDONYMISE
    assert msg.special_categories is SpecialPolicy.STOP


def test_strings_become_members_on_construction() -> None:
    """Code that builds a message from a plain string still gets the member (one vocabulary inside)."""
    start = Start("c1", AudioFormat("pcm_s16le", 16000, 1), ("caller",), consent="granted", redaction="off")  # type: ignore[arg-type]
    assert start.consent is InitialConsent.GRANTED and start.redaction is RedactionPolicy.OFF
    assert ConsentEvent("paused").event is ConsentEventKind.PAUSED  # type: ignore[arg-type]
    assert ConsentState("active", 1.0).state is ConsentStatus.ACTIVE  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", [Mode.JSON, Mode.MSGPACK])
def test_wire_strings_unchanged(mode: Mode) -> None:
    """Encoded server messages hold the plain wire strings, in JSON and in msgpack."""
    ready = encode_server(Ready("s1", "c1", ConsentStatus.PAUSED, "tiny.en", ("en",)), mode)
    state = encode_server(ConsentState(ConsentStatus.DECLINED, 2.5), mode)
    decoded = [json.loads(f) if mode is Mode.JSON else msgpack.unpackb(f) for f in (ready, state)]
    assert decoded[0]["consent"] == "paused" and type(decoded[0]["consent"]) is str
    assert decoded[1]["state"] == "declined" and type(decoded[1]["state"]) is str
    if mode is Mode.JSON:
        assert '"consent":"paused"' in str(ready)


def test_internal_consent_events_stay_off_the_wire() -> None:
    """`opt_out` and `window_elapsed` are consent events of the machine but a client may not send them."""
    assert tuple(CONSENT_EVENTS) == WIRE_CONSENT_EVENTS
    assert ConsentEventKind.OPT_OUT not in WIRE_CONSENT_EVENTS
    with pytest.raises(BadMessage, match=r"consent\.event"):
        parse_text('{"type":"consent","event":"window_elapsed"}', Mode.JSON)


def test_each_vocabulary_is_spelled_once() -> None:
    """privacy.Policy, the consent machine's State/Event and ServerConfig's fields are the protocol enums."""
    assert privacy.Policy is RedactionPolicy
    assert consent.State is ConsentStatus and consent.Event is ConsentEventKind
    config = ServerConfig(redaction="pseudonymise", special_categories="mask")  # type: ignore[arg-type]
    assert config.redaction is RedactionPolicy.PSEUDONYMISE and config.special_categories is SpecialPolicy.MASK
    with pytest.raises(ValueError, match="redaction must be one of mask, pseudonymise, off"):
        ServerConfig(redaction="hide")  # type: ignore[arg-type]
