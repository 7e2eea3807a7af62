"""A real gateway with both compatible entry points on (consent `granted`), and the clips they stream."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import AsyncIterator

import numpy as np
import pytest
import soxr

from asr.types import Transcriber
from bench.audio import Clip, read_wav
from bench.wer import wer
from gateway.compat_config import CompatConfig
from tests.conftest import AUDIO, Gateway, make_config, start_gateway
from vad.silero import SileroModel

JFK = AUDIO / "real" / "jfk.wav"  # 16 kHz mono: "And so my fellow Americans, ask not ..."
JFK_8K = AUDIO / "real" / "jfk_tel8k.wav"
CALL = AUDIO / "synthetic" / "synthetic_call_en.wav"  # 8 kHz stereo: left = agent, right = caller
JFK_TEXT = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
PII_SCRIPT = "Hello, my name is Jan de Vries. You can reach me on oh six, one two three four, five six seven eight."
DIGIT_RUN = re.compile(r"\d(?:[\s\-./,]*\d){2,}")
GRANTED = CompatConfig(deepgram_consent="granted", openai_consent="granted")


@pytest.fixture
async def compat_gw(engines: dict[str, Transcriber], vad_model: SileroModel) -> AsyncIterator[Gateway]:
    gw, task = await start_gateway(make_config(compat=GRANTED), engines, vad_model)
    yield gw
    gw.server.should_exit = True
    await task


def resample(clip: Clip, rate: int) -> Clip:
    out = soxr.resample(clip.samples.astype(np.float32), clip.rate, rate)
    return Clip(np.clip(np.round(out), -32768, 32767).astype(np.int16).reshape(-1, clip.channels), rate)


def jfk(rate: int = 16000) -> Clip:
    clip = read_wav(JFK)
    return clip if rate == clip.rate else resample(clip, rate)


@pytest.fixture(scope="session")
def pii_clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    """A SYNTHETIC (espeak-ng) 8 kHz turn that speaks a Dutch mobile number (as tests/e2e/test_redaction.py)."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.fail("espeak-ng and sox are required (installed by .ci/run)")
    out = tmp_path_factory.mktemp("compat-pii")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(out / "raw.wav"), PII_SCRIPT], check=True)
    subprocess.run(["sox", str(out / "raw.wav"), "-r", "8000", "-c", "1", "-b", "16", str(out / "pii.wav")], check=True)
    return read_wav(out / "pii.wav")


def assert_redacted_like_native(got: str, native: str) -> None:
    """The same redaction tokens in the same order as the native finals of the same audio (at least one),
    no digit run the native finals do not show, and the same words up to a WER of 0.05.

    Whether the number itself is caught is the redactor's business, tested on the native protocol
    (tests/e2e/test_redaction.py); here the surface must add nothing and lose nothing.
    """
    tokens = re.findall(r"\[[A-Z_0-9]+\]", native)
    assert tokens and re.findall(r"\[[A-Z_0-9]+\]", got) == tokens, (got, native)
    assert len(DIGIT_RUN.findall(got)) <= len(DIGIT_RUN.findall(native)), (got, native)
    assert wer([native], [got]) <= 0.05, (got, native)


def chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]
