"""A misheard IBAN and a spoken phone number at 8 kHz leave no run of four or more digits in clear: not in
any partial or final over the wire, not in the captions, not in the store (real model, VAD, socket, store)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from asr.types import Transcriber
from bench.audio import read_wav
from bench.client import StreamOptions, stream_call
from bench.redaction_speech import digit_leak
from store import MasterKey, StoreConfig
from store.keys import write_key_file
from tests.captions.helpers import until_viewers, watch
from tests.conftest import TOKEN, Gateway, make_config, start_gateway
from vad.silero import SileroModel

ADMIN = "admin-token-tenant-a-0123456789"
# The bank code said as a word ("Abner" for ABNA), the digits in groups, "oh" and "double": what a caller
# says and what the model mishears; the IBAN checksum cannot validate what comes back.
IBAN = "My IBAN is N L nine one, Abner, oh four one seven, one six four three, oh oh."
PHONE = "You can call me on oh seven nine double one, three four five, six seven eight."


@pytest.fixture(scope="module")
def misheard_call(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC (espeak-ng) 8 kHz caller turn with an IBAN and a UK mobile number."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.fail("espeak-ng and sox are required (installed by make check)")
    out = tmp_path_factory.mktemp("misheard")
    parts = []
    for name, text in (("iban", IBAN), ("phone", PHONE)):
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(out / f"{name}.raw.wav"), text], check=True)
        subprocess.run(
            [
                "sox",
                str(out / f"{name}.raw.wav"),
                "-r",
                "8000",
                "-c",
                "1",
                "-b",
                "16",
                str(out / f"{name}.wav"),
                "sinc",
                "300-3400",
                "pad",
                "0",
                "1.2",
            ],
            check=True,
        )
        parts.append(str(out / f"{name}.wav"))
    subprocess.run(["sox", *parts, str(out / "call.wav")], check=True)  # two turns, a pause between
    return out / "call.wav"


@pytest.fixture
async def stored_gateway(
    tmp_path: Path, engines: dict[str, Transcriber], vad_model: SileroModel
) -> AsyncIterator[Gateway]:
    key_file = tmp_path / "master.key"
    write_key_file(key_file, MasterKey.generate())
    config = make_config(
        store_dsn=f"sqlite:///{tmp_path}/store.db",
        admin_tokens={ADMIN: "tenant-a"},
        store=StoreConfig(retention_days={"quality": 30}, master_key_file=str(key_file)),
    )
    gw, task = await start_gateway(config, engines, vad_model)
    yield gw
    gw.server.should_exit = True
    await task


@pytest.mark.parametrize("pace", [1.0])
async def test_misheard_iban_and_phone_number_never_in_clear(
    stored_gateway: Gateway, misheard_call: Path, pace: float
) -> None:
    """Real time, mu-law: every partial and final, every caption frame and every stored final is free of
    digit runs of four or more, and the finals show that numbers were masked (not simply unheard)."""
    gw = stored_gateway
    viewer = asyncio.create_task(watch(gw, "misheard", TOKEN, wait=True))
    await until_viewers(gw, "tenant-a", "misheard", 1)
    run = await stream_call(
        gw.url,
        TOKEN,
        read_wav(misheard_call),
        StreamOptions(call_id="misheard", encoding="mulaw", pace=pace, purposes=("quality",)),
    )
    seen = await viewer
    async with httpx.AsyncClient(base_url=gw.http, headers={"Authorization": f"Bearer {ADMIN}"}) as http:
        stored = (await http.get("/v1/admin/calls/misheard/transcript", params={"purpose": "quality"})).json()
    wire = [m["text"] for m in run.partials + run.finals]
    captions = [f["text"] for f in seen.frames if "text" in f]
    kept = [f["text"] for f in stored["transcript"]]
    assert run.finals and seen.finals and kept == [f["text"] for f in run.finals]
    for where, texts in (("wire", wire), ("captions", captions), ("store", kept)):
        for text in texts:
            assert digit_leak(text) is None, (where, text)
    words = [w["word"] for f in run.finals for w in f["words"]]
    assert all(digit_leak(w) is None for w in words)
    tokens = [r["kind"] for f in run.finals for r in f["redactions"]]
    assert {"iban", "phone", "number"} & set(tokens), " | ".join(f["text"] for f in run.finals)
