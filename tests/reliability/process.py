"""The gateway as a child process (`python -m gateway`) on a free loopback port, for crash and log tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "process-token-tenant-a"
ADMIN = "process-admin-token-tenant-a-0123"


@dataclass
class GatewayProcess:
    """A running `python -m gateway`; its stderr goes to a file (the log under test)."""

    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode


def start_process(data_dir: Path, log_name: str = "gateway.log", *extra: str) -> GatewayProcess:
    """Start the gateway on the English model only (quicker to load) and wait until /healthz answers."""
    port = free_port()
    log_path = data_dir / log_name
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CALLSCRIBE_TOKENS": "", "CALLSCRIBE_ADMIN_TOKENS": ""}
    args = [
        sys.executable,
        "-m",
        "gateway",
        "--port",
        str(port),
        "--token",
        f"{TOKEN}:tenant-a",
        "--multilingual-model",
        "none",
        "--threads",
        "2",
        "--data-dir",
        str(data_dir),
        "--admin-token",
        f"{ADMIN}:tenant-a",
        *extra,
    ]
    with log_path.open("wb") as err:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
    gw = GatewayProcess(proc, port, log_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gateway exited with {proc.returncode}: {gw.log()[-2000:]}")
        try:
            if httpx.get(f"{gw.http}/healthz", timeout=1.0).status_code == 200:
                return gw
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    gw.stop()
    raise AssertionError("gateway did not become healthy within 120 s")
