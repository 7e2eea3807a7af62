"""Fixtures of the scale-out tests: a throw-away `redis-server` and a local Ray instance with one CPU
replica of the real tiny.en engine (Ray Serve, `deploy/ray_whisper.py`)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.servers import free_port

REPO = Path(__file__).resolve().parents[2]
MODEL = "tiny.en"
APP = "callscribe-asr-" + MODEL


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A throw-away redis-server on a free loopback port, no persistence."""
    if shutil.which("redis-server") is None:
        pytest.fail("Debian's redis-server is required (make system-deps installs it)")
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(250):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, "redis-server exited"
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def ray_app() -> Iterator[str]:
    """A local Ray instance (2 CPUs, no dashboard, no HTTP proxy) with one CPU replica of tiny.en."""
    pytest.importorskip("ray")
    pytest.importorskip("ray.serve")
    from deploy.ray_whisper import local_app

    with local_app(MODEL, replicas=1, cpus=0.5, threads=1, num_cpus=2) as app:
        yield app
