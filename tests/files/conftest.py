"""Fixtures of the file-transcription tests: a real gateway (real models) with file transcription configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from asr.types import Transcriber
from files.config import FilesConfig
from files.service import attach
from tests.conftest import Gateway, make_config, start_gateway
from vad.silero import SileroModel

BASES = ("announced-in-greeting", "recording-announced", "voicemail-greeting")
FILES = FilesConfig(consent_bases=BASES, compat_consent_basis="voicemail-greeting", max_upload_bytes=8 * 2**20)


async def files_gateway(
    engines: dict[str, Transcriber], vad_model: SileroModel, files: FilesConfig = FILES, **overrides: Any
) -> tuple[Gateway, Any]:
    gw, task = await start_gateway(make_config(**overrides), engines, vad_model)
    attach(gw.runtime, files)
    return gw, task


@pytest.fixture(scope="module")
async def fgw(engines: dict[str, Transcriber], vad_model: SileroModel) -> AsyncIterator[Gateway]:
    """A gateway on the real engines accepting the test consent bases, 8 MiB uploads, redaction off."""
    gw, task = await files_gateway(engines, vad_model, redaction="off")
    yield gw
    gw.server.should_exit = True
    await task
