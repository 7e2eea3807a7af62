"""Telephony settings: validated with one line naming the setting; Basic credentials carry a media server's token."""

from __future__ import annotations

import base64
import re

import pytest

from gateway.auth import basic_password, media_server_token
from gateway.config import ServerConfig
from gateway.core.telephony_config import AudioSocketEntryPoint, EntryPoint, TelephonyConfig


@pytest.mark.parametrize(
    ("config", "named"),
    [
        (lambda: TelephonyConfig(asterisk=EntryPoint(consent="yes")), "telephony.asterisk.consent"),
        (lambda: TelephonyConfig(jambonz=EntryPoint(idle_timeout_s=0)), "telephony.jambonz.idle_timeout_s"),
        (
            lambda: TelephonyConfig(audiosocket=AudioSocketEntryPoint(audio_format="opus")),
            "telephony.audiosocket.audio_format",
        ),
        (lambda: TelephonyConfig(twilio=EntryPoint(params={"consent": "granted"})), "telephony.twilio.params"),
        (lambda: TelephonyConfig(ws_ping_interval_s=0), "telephony.ws_ping_interval_s"),
    ],
)
def test_a_bad_setting_names_itself(config: object, named: str) -> None:
    """Each invalid telephony setting raises one ValueError whose message starts with its dotted name."""
    with pytest.raises(ValueError, match="^" + re.escape(named)):
        config()  # type: ignore[operator]


def test_entry_point_defaults_go_under_the_calls_own_options() -> None:
    """The consent mode and announcement become the adapter's params base; documented defaults hold."""
    entry = EntryPoint(consent="announced", announcement="rec-nl-v1", params={"language": "nl"})
    assert entry.defaults() == {"consent": "announced", "announcement": "rec-nl-v1", "language": "nl"}
    config = ServerConfig()
    assert config.telephony.asterisk.consent == "pending"  # nothing is transcribed until someone says so
    assert config.telephony.freeswitch.defaults() == {"consent": "pending", "mix_type": "mono", "sample_rate": "8000"}
    assert config.telephony.audiosocket.audio_format is None


def basic(user_password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(user_password.encode()).decode()}


def test_basic_credentials_carry_the_token_as_password() -> None:
    """Asterisk's websocket_client username/password: the password is the token, the user name is free."""
    assert basic_password(basic("callscribe:tok-123456")) == "tok-123456"
    assert media_server_token(basic("x:tok-123456"), {}) == "tok-123456"
    assert media_server_token({"authorization": "Bearer b-token"}, {}) == "b-token"
    for bad in ({"authorization": "Basic %%%"}, basic("no-colon"), basic("user:"), {}):
        assert basic_password(bad) is None
