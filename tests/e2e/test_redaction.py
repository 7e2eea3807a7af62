"""Personal data spoken in a call never leaves the gateway unredacted, in partials or finals."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.audio import read_wav
from bench.client import StreamOptions, stream_call
from tests.conftest import TOKEN, Gateway

SCRIPT = "Hello, my name is Jan de Vries. You can reach me on oh six, one two three four, five six seven eight."


@pytest.fixture(scope="module")
def phone_call(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC (espeak-ng) 8 kHz caller turn that speaks a Dutch mobile number."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.fail("espeak-ng and sox are required (installed by .ci/run)")
    out = tmp_path_factory.mktemp("pii")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(out / "raw.wav"), SCRIPT], check=True)
    subprocess.run(
        ["sox", str(out / "raw.wav"), "-r", "8000", "-c", "1", "-b", "16", str(out / "call.wav")], check=True
    )
    return out / "call.wav"


@pytest.mark.parametrize("pace", [0.0, 1.0])
async def test_phone_number_is_masked_in_partials_and_finals(gateway: Gateway, phone_call: Path, pace: float) -> None:
    """The number is `[PHONE]` in the final (text, redactions and words), and no partial or final ever
    shows a run of three or more digits, also at real-time pace when the number arrives across partials."""
    run = await stream_call(
        gateway.url, TOKEN, read_wav(phone_call), StreamOptions(call_id=f"pii-{pace}", encoding="mulaw", pace=pace)
    )
    finals = " ".join(f["text"] for f in run.finals)
    assert "[PHONE]" in finals
    for msg in run.partials + run.finals:
        assert not re.search(r"\d(?:[\s\-./,]*\d){2,}", msg["text"]), msg["text"]
    for f in run.finals:
        assert all(not re.search(r"\d{3}", w["word"]) for w in f["words"])
        assert all(f["text"][r["start"] : r["end"]].startswith("[") for r in f["redactions"])
