"""Bad uploads over real HTTP: each gets its documented status and code, the gateway stays healthy, and a
live call streamed at the same time is transcribed as usual."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from asr.types import Transcriber
from bench.audio import read_wav
from bench.client import StreamOptions, stream_call
from files.config import FilesConfig
from tests.conftest import AUDIO, TOKEN, Gateway
from tests.files.conftest import FILES, files_gateway
from vad.silero import SileroModel

JFK = AUDIO / "real" / "jfk.wav"
WAV = JFK.read_bytes()
LIMIT = 1024 * 1024

CASES: dict[str, tuple[str, bytes, int, str]] = {
    "corrupt": ("a.wav", b"RIFF\x00\x00\x00\x00WAVE" + bytes(range(256)) * 40, 400, "corrupt_audio"),
    "truncated": ("a.wav", WAV[: len(WAV) // 3], 400, "truncated_audio"),
    "empty": ("a.wav", b"", 400, "empty_file"),
    "header only": ("a.wav", WAV[:44], 400, "no_audio"),
    "wrong extension": ("a.docx", WAV[: LIMIT // 2], 415, "unsupported_format"),
    "not audio": ("a.mp3", b"<html>" * 1000, 415, "unsupported_format"),
    "oversized": ("a.wav", WAV * 4, 413, "too_large"),
}


@pytest.fixture(scope="module")
async def small_gw(engines: dict[str, Transcriber], vad_model: SileroModel) -> AsyncIterator[Gateway]:
    """A gateway whose uploads are limited to 1 MiB (the 11 s clip is 352 kB, four of it are over)."""
    gw, task = await files_gateway(engines, vad_model, dataclasses.replace(FILES, max_upload_bytes=LIMIT))
    yield gw
    gw.server.should_exit = True
    await task


async def post(gw: Gateway, name: str, data: bytes, token: str = TOKEN, **fields: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=gw.http, timeout=60) as http:
        return await http.post(
            "/v1/audio/transcriptions",
            headers={"Authorization": f"Bearer {token}"},
            data={"model": "whisper-1", "language": "en", **fields},
            files={"file": (name, data)},
        )


async def test_bad_uploads_get_their_status_while_a_live_call_runs(small_gw: Gateway) -> None:
    """Corrupt, truncated, empty, header-only, wrong-extension, non-audio and oversized uploads get 400/415/413
    with their codes; /healthz stays ok and a concurrent live call's finals hold the clip's words."""
    live = asyncio.create_task(stream_call(small_gw.url, TOKEN, read_wav(JFK), StreamOptions(pace=1.0)))
    for case, (name, data, status, code) in CASES.items():
        response = await post(small_gw, name, data)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), case
    async with httpx.AsyncClient(base_url=small_gw.http) as http:
        assert (await http.get("/healthz")).status_code == 200
    run = await live
    assert run.close_code == 1000 and "country" in " ".join(f["text"] for f in run.finals).lower()
    good = await post(small_gw, "a.wav", WAV)  # and the next good file is transcribed
    assert good.status_code == 200 and "country" in good.json()["text"].lower()


async def test_oversized_without_content_length_is_cut_off_while_reading(small_gw: Gateway) -> None:
    """A chunked upload (no Content-Length) over the limit is refused with 413 once the limit is passed."""
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--{boundary}\r\n'
        f'Content-Disposition: form-data; name="file"; filename="big.wav"\r\n\r\n'
    ).encode()

    async def body() -> AsyncIterator[bytes]:
        yield head
        for _ in range(40):  # 2.5 MiB in 64 KiB chunks
            yield b"\x00" * 65536

    async with httpx.AsyncClient(base_url=small_gw.http, timeout=60) as http:
        response = await http.post(
            "/v1/audio/transcriptions",
            content=body(),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"


async def test_requests_that_are_refused_before_decoding(small_gw: Gateway) -> None:
    """No token is 401; a bad response_format or no model is 400; a JSON body is 400; an unknown consent
    basis is 403 on both endpoints, and a recording without any basis is 403 too."""
    assert (await post(small_gw, "a.wav", WAV, token="not-a-token-at-all")).status_code == 401
    assert (await post(small_gw, "a.wav", WAV, response_format="docx")).status_code == 400
    assert (await post(small_gw, "a.wav", WAV, model="")).status_code == 400
    refused = await post(small_gw, "a.wav", WAV, consent_basis="we-asked-nobody")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "consent_basis_not_accepted")
    async with httpx.AsyncClient(base_url=small_gw.http, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        assert (await http.post("/v1/audio/transcriptions", json={"model": "x"})).status_code == 400
        for fields in ({}, {"consent_basis": "we-asked-nobody"}):
            response = await http.post("/v1/recordings", data=fields, files={"file": ("a.wav", WAV)})
            assert response.status_code == 403, fields
        assert (await http.get("/v1/recordings/rec_unknown")).status_code == 404


async def test_no_consent_basis_configured_means_nothing_is_accepted(
    engines: dict[str, Transcriber], vad_model: SileroModel
) -> None:
    """With no consent bases configured (the default), every upload is refused with 403."""
    gw, task = await files_gateway(engines, vad_model, FilesConfig())
    try:
        response = await post(gw, "a.wav", WAV)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "consent_basis_not_accepted")
        assert gw.runtime.scheduler.stats.files == 0
    finally:
        gw.server.should_exit = True
        await task


async def test_a_model_without_a_local_engine_gets_501_before_anything_is_decoded(vad_model: SileroModel) -> None:
    """Long-form decoding needs a local faster-whisper model; a model served by an engine without one (a
    remote backend such as Ray; here the shipped fake) is refused with 501 `needs_local_engine`, for the
    OpenAI endpoint and for a recording job alike, and the gateway keeps serving."""
    from asr.testing import FakeTranscriber

    fakes: dict[str, Transcriber] = {"tiny.en": FakeTranscriber("tiny.en"), "base": FakeTranscriber("base")}
    gw, task = await files_gateway(fakes, vad_model)
    try:
        wav = (AUDIO / "real" / "jfk.wav").read_bytes()
        response = await post(gw, "jfk.wav", wav)
        assert (response.status_code, response.json()["error"]["code"]) == (501, "needs_local_engine")
        async with httpx.AsyncClient(base_url=gw.http, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            job = await http.post(
                "/v1/recordings",
                files={"file": ("jfk.wav", wav)},
                data={"consent_basis": "recording-announced", "language": "en"},
            )
            assert (job.status_code, job.json()["error"]["code"]) == (501, "needs_local_engine")
            assert (await http.get("/healthz")).status_code == 200
    finally:
        gw.server.should_exit = True
        await task
