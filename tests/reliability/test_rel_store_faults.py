"""A full data disk: health says degraded, new calls are refused, nothing is lost, writes recover (finding 8).

The disk is a real 4 MB tmpfs filled with a file (root only; skipped otherwise): SQLite sees ENOSPC
(`database or disk is full`) exactly as on a full production volume.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from asr.types import Transcriber
from store.__main__ import main as store_cli
from tests.conftest import Gateway, start_gateway
from tests.reliability.conftest import JFK, SHORT, connect, store_config, stored
from vad.silero import SileroModel


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
async def full_gw(disk: Path, engines: dict[str, Transcriber], vad_model: SileroModel) -> AsyncIterator[Gateway]:
    config = dataclasses.replace(store_config(disk.parent), store_dsn=f"sqlite:///{disk}/store.db")
    gw, task = await start_gateway(config, engines, vad_model)
    yield gw
    gw.server.should_exit = True
    await task


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 65536)
            f.flush()
    with contextlib.suppress(OSError), filler.open("ab") as f:  # leave no byte: SQLite must hit ENOSPC
        while True:
            f.write(b"\0")
            f.flush()
    with pytest.raises(OSError, match="No space left") as full:
        (disk / "probe").write_bytes(b"x" * 4096)
    assert full.value.errno == errno.ENOSPC
    return filler


async def _health(gw: Gateway) -> httpx.Response:
    async with httpx.AsyncClient(base_url=gw.http) as http:
        return await http.get("/healthz")


async def _until_health(gw: Gateway, status: str) -> dict[str, object]:
    for _ in range(600):
        body = (await _health(gw)).json()
        if body["status"] == status:
            return dict(body)
        await asyncio.sleep(0.1)
    raise AssertionError(f"health never became {status}")


async def test_a_full_disk_degrades_refuses_then_recovers_without_loss(full_gw: Gateway, disk: Path) -> None:
    """With the data disk full the call in progress keeps streaming, /healthz says `degraded` (503) with
    the failed writes counted, admin reads answer 200 or 503 (never 500), a new call is refused
    `overloaded`, and once space returns every consent row and final of that call is in the store, in
    order, with the audit chain intact."""
    gw = full_gw
    before = await connect(gw, "before-full")
    await before.send_clip(SHORT)
    await before.ws.send(json.dumps({"type": "stop"}))
    await before.closed()
    assert (await stored(gw, "before-full")).status_code == 200
    filler = _fill(disk)
    during = await connect(gw, "during-full")
    await during.send_clip(JFK)
    await during.ws.send(json.dumps({"type": "finalize"}))
    await during.until("final")
    health = await _until_health(gw, "degraded")
    store = health["store"]
    assert isinstance(store, dict) and store["write_failures"] >= 1 and store["pending_writes"] >= 1
    assert (await _health(gw)).status_code == 503
    read = await stored(gw, "before-full")  # its audit row may not fit: 503 `unavailable`, never a 500
    assert read.status_code in (200, 503) and (read.status_code == 200 or read.json()["code"] == "unavailable")
    refused = await connect(gw, "refused-call")
    await refused.closed()
    assert [e["code"] for e in refused.of_type("error")] == ["overloaded"]
    assert gw.runtime.refusals.get("store_degraded") == 1
    await during.ws.send(json.dumps({"type": "stop"}))
    await during.closed()
    filler.unlink()
    await _until_health(gw, "ok")
    transcript = (await stored(gw, "during-full")).json()["transcript"]
    assert [(f["seq"], f["text"]) for f in transcript] == [(f["seq"], f["text"]) for f in during.of_type("final")]
    assert (await _health(gw)).json()["store"]["writes_lost"] == 0
    assert store_cli(["verify", "--dsn", f"sqlite:///{disk}/store.db"]) == 0
