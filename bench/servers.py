"""Starting and stopping the systems under test as subprocesses on loopback ports."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench import peers
from bench.drivers import Driver, GatewayDriver, WhisperLiveDriver, WhisperLiveKitDriver
from bench.errors import ServerError
from protocol.messages import RedactionPolicy

SYSTEMS = ("gateway", "whisperlive", "whisperlivekit", "deepgram")


@dataclass(slots=True)
class Server:
    """A running system: how to drive it and which process to account."""

    name: str
    driver: Driver
    pid: int | None
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def stop(self) -> None:
        """Terminate the subprocess (if we started it) and wait for it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(proc: subprocess.Popen[bytes], probe: str, port: int, log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"exited with {proc.returncode} during start-up; see {log}")
        try:
            if probe == "tcp":
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=2) as r:
                body = r.read()
                if probe != "/health" or json.loads(body).get("ready"):
                    return
        except OSError:
            pass
        time.sleep(0.25)
    proc.kill()
    raise ServerError(f"not ready after {timeout:.0f} s; see {log}")


def _spawn(
    cmd: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as f:
        return subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=cwd)


def start_gateway(
    token: str, log: Path, extra_args: list[str], redaction: RedactionPolicy | None = RedactionPolicy.OFF
) -> Server:
    """`python -m gateway` on a free port with one bench token."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "gateway",
        "--port",
        str(port),
        "--token",
        f"{token}:bench",
        "--log-level",
        "warning",
        *extra_args,
    ]
    proc = _spawn(cmd, log, cwd=Path(__file__).resolve().parents[1])
    _wait_ready(proc, "/healthz", port, log)
    driver = GatewayDriver(f"ws://127.0.0.1:{port}/v1/stream", token, redaction=redaction)
    return Server("gateway", driver, proc.pid, proc, log)


def start_peer(
    name: str, cache: Path, model_dir: Path, warmup_wav: Path, language: str, max_clients: int, log: Path
) -> Server:
    """Install (once) and start a peer on a free port."""
    recipe = peers.RECIPES[name]
    python = peers.install(recipe, cache, say=lambda m: print(m, file=sys.stderr))
    home = peers.prepare_home(recipe, cache, warmup_wav)
    port = free_port()
    proc = _spawn(
        peers.command(recipe, python, home, port, model_dir, language, max_clients),
        log,
        env=peers.peer_env(home),
        cwd=home,
    )
    if recipe is peers.WHISPERLIVE:
        _wait_ready(proc, "tcp", port, log)
        driver: Driver = WhisperLiveDriver(f"ws://127.0.0.1:{port}")
    else:
        _wait_ready(proc, "/health", port, log)
        driver = WhisperLiveKitDriver(f"ws://127.0.0.1:{port}/asr")
    return Server(name, driver, proc.pid, proc, log)
