"""Over a real socket with the real model at real-time pace, a health mention never shows in clear in a partial
(or a final) when the special-category policy is `mask` or `stop`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from asr.types import Transcriber
from bench.audio import read_wav
from bench.client import StreamOptions, stream_call
from tests.conftest import TOKEN, make_config, start_gateway
from vad.silero import SileroModel

SCRIPT = "Hello, I am calling because I was diagnosed with diabetes last year and my doctor changed my insulin."
HEALTH = re.compile(r"diagnos|diabet|insulin|doctor", re.IGNORECASE)


@pytest.fixture(scope="module")
def health_call(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC (espeak-ng) 8 kHz caller turn with a diagnosis in it."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.fail("espeak-ng and sox are required (installed by make check)")
    out = tmp_path_factory.mktemp("health")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(out / "raw.wav"), SCRIPT], check=True)
    subprocess.run(
        ["sox", str(out / "raw.wav"), "-r", "8000", "-c", "1", "-b", "16", str(out / "call.wav")], check=True
    )
    return out / "call.wav"


@pytest.mark.parametrize("policy", ["mask", "stop"])
async def test_health_mention_never_in_clear_in_a_partial(
    engines: dict[str, Transcriber], vad_model: SileroModel, health_call: Path, policy: str
) -> None:
    """Every partial and final that comes back hides the health words; the call did get partials, and the
    final carries the `[SPECIAL:health]` token (and under `stop`, the `privacy` stop event)."""
    gw, task = await start_gateway(make_config(special_categories=policy), engines, vad_model)
    try:
        run = await stream_call(
            gw.url, TOKEN, read_wav(health_call), StreamOptions(call_id=f"health-{policy}", encoding="mulaw", pace=1.0)
        )
    finally:
        gw.server.should_exit = True
        await task
    assert run.partials and run.finals
    for msg in run.partials + run.finals:
        assert not HEALTH.search(msg["text"]), msg["text"]
    assert "[SPECIAL:health]" in " ".join(f["text"] for f in run.finals)
    if policy == "stop":
        assert [m["event"] for m in run.of_type("privacy")] == ["special_category_stop"]
