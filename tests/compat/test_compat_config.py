"""The compatible entry points are off until the operator names their consent mode; a bad mode is one
clear error naming the setting."""

from __future__ import annotations

import pytest
import websockets

from gateway.compat_config import CompatConfig
from gateway.config import ServerConfig
from tests.conftest import TOKEN, Gateway


def test_default_is_off_and_a_bad_mode_names_the_setting() -> None:
    """Both entry points default to `off`; an unknown mode raises a ValueError naming `compat.<field>`."""
    assert (ServerConfig().compat.deepgram_consent, ServerConfig().compat.openai_consent) == ("off", "off")
    with pytest.raises(ValueError, match=r"compat\.openai_consent must be off, granted or announced"):
        CompatConfig(openai_consent="yes")  # type: ignore[arg-type]


async def test_openai_entry_point_off_is_403(gateway: Gateway) -> None:
    """With the default configuration the Realtime endpoint refuses a valid key with 403 before the upgrade."""
    url = gateway.http.replace("http://", "ws://") + "/v1/realtime?intent=transcription"
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {TOKEN}"}):
            pass
    assert refused.value.response.status_code == 403
