"""Installing and launching the peer systems, each in its own virtualenv under the bench cache directory.

The peers are never imported here (nor installed into the product's environment): each gets
`<cache>/peers/<name>/venv`, a `home/` that stands in for `$HOME` (so whatever they cache or look for under
`~/.cache` stays inside the bench cache), and runs as a subprocess. Both would fetch things at start, which
this machine cannot: WhisperLive's silero ONNX download (`~/.cache/whisper-live/silero_vad.onnx`, used by
its TensorRT path) is satisfied with the copy the `silero-vad` package ships, and WhisperLiveKit's warm-up
clip (`--warmup-file`) is given a local WAV. Model hubs are switched off (`HF_HUB_OFFLINE=1`) and both load
the same local CTranslate2 model directory as the gateway.

Their declared dependencies are far wider than the streaming server path (WhisperLive pulls CUDA
libraries, OpenVINO, PyAudio, openai-whisper; both want torchaudio), so each is installed `--no-deps` and
given the packages its WebSocket server actually imports. torch is installed FIRST with the exact
`torch==2.13.0` pin, which pip takes from a local CPU wheel; any other spec would download a CUDA build.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.errors import PeerError

TORCH_PIN = "torch==2.13.0"


@dataclass(frozen=True, slots=True)
class PeerRecipe:
    """How one peer is installed and started."""

    name: str
    package: str
    """The peer itself, pinned, installed with --no-deps."""
    deps: tuple[str, ...]
    """What its streaming server imports (installed after torch)."""
    display: str

    def fingerprint(self) -> str:
        text = json.dumps([TORCH_PIN, self.package, self.deps])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


WHISPERLIVE = PeerRecipe(
    "whisperlive",
    "whisper-live==0.10.0",
    ("faster-whisper==1.2.0", "fastapi", "uvicorn", "websockets", "onnxruntime", "numpy", "requests"),
    "WhisperLive 0.10.0 (collabora)",
)
WHISPERLIVEKIT = PeerRecipe(
    "whisperlivekit",
    "whisperlivekit==0.2.26",
    (
        "fastapi>=0.141.1",
        "starlette>=1.3.1",
        "uvicorn",
        "websockets",
        "librosa",
        "soundfile",
        "huggingface-hub",
        "faster-whisper>=1.2.0",
        "tqdm",
        "tiktoken",
        "python-multipart>=0.0.31",
        "requests",
    ),
    "WhisperLiveKit 0.2.26",
)
RECIPES = {r.name: r for r in (WHISPERLIVE, WHISPERLIVEKIT)}

WHISPERLIVE_LAUNCHER = """\
# Written by callscribe's bench: starts WhisperLive's WebSocket server on a local CTranslate2 model.
import logging, sys
logging.basicConfig(level=logging.WARNING)
from whisper_live.server import TranscriptionServer
host, port, model, max_clients = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
TranscriptionServer().run(host, port=port, backend="faster_whisper", faster_whisper_custom_model_path=model,
                          single_model=True, max_clients=max_clients, max_connection_time=3600)
"""


def default_cache() -> Path:
    """`$CALLSCRIBE_BENCH_CACHE`, else `$XDG_CACHE_HOME/callscribe-bench` (`~/.cache/callscribe-bench`)."""
    if env := os.environ.get("CALLSCRIBE_BENCH_CACHE"):
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "callscribe-bench"


def silero_onnx() -> Path:
    """The silero VAD ONNX file shipped by the `silero-vad` package (found without importing it)."""
    spec = importlib.util.find_spec("silero_vad")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "data" / "silero_vad.onnx"
        if path.is_file():
            return path
    raise PeerError("silero-vad's data/silero_vad.onnx not found (pip install --no-deps silero-vad)")


def _run(cmd: list[str], log: Path) -> None:
    with log.open("a") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        done = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, check=False)
    if done.returncode:
        raise PeerError(f"`{' '.join(cmd)}` failed ({done.returncode}); see {log}")


def _base_python() -> str:
    return getattr(sys, "_base_executable", None) or sys.executable


def install(recipe: PeerRecipe, cache: Path, say: Callable[[str], None] = print) -> Path:
    """Create or reuse `<cache>/peers/<name>/venv` with the peer installed; returns its python."""
    root = cache / "peers" / recipe.name
    python = root / "venv" / "bin" / "python"
    marker = root / "installed.json"
    if python.exists() and marker.is_file() and json.loads(marker.read_text()).get("fp") == recipe.fingerprint():
        return python
    say(f"installing {recipe.display} into {root / 'venv'} (once; a few minutes)")
    shutil.rmtree(root / "venv", ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    log = root / "install.log"
    _run([_base_python(), "-m", "venv", str(root / "venv")], log)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _run([*pip, TORCH_PIN], log)
    _run([*pip, "--no-deps", recipe.package], log)
    _run([*pip, *recipe.deps], log)
    _check_no_cuda(python, log)
    marker.write_text(json.dumps({"fp": recipe.fingerprint(), "package": recipe.package, "torch": TORCH_PIN}))
    return python


def _check_no_cuda(python: Path, log: Path) -> None:
    out = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True, check=False
    ).stdout
    bad = [line for line in out.splitlines() if line.lower().startswith(("nvidia-", "torch==2.14", "torch==2.15"))]
    if bad:
        log.open("a").write(f"unexpected packages: {bad}\n")
        raise PeerError(f"the peer venv pulled in CUDA packages {bad[:3]}; refusing to use it")


def prepare_home(recipe: PeerRecipe, cache: Path, warmup_wav: Path) -> Path:
    """The peer's stand-in `$HOME`, holding the local copies of what it would download."""
    home = cache / "peers" / recipe.name / "home"
    (home / ".cache" / "whisper-live").mkdir(parents=True, exist_ok=True)
    target = home / ".cache" / "whisper-live" / "silero_vad.onnx"
    if not target.is_file():
        shutil.copyfile(silero_onnx(), target)
    shutil.copyfile(warmup_wav, home / "warmup.wav")
    (home / "launch_whisperlive.py").write_text(WHISPERLIVE_LAUNCHER)
    return home


def peer_env(home: Path) -> dict[str, str]:
    """Environment for a peer subprocess: its own HOME, hubs offline, no inherited venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update(
        HOME=str(home),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TMPDIR=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
    )
    return env


def command(
    recipe: PeerRecipe, python: Path, home: Path, port: int, model_dir: Path, language: str, max_clients: int
) -> list[str]:
    """The command line that starts the peer's server on 127.0.0.1:`port`."""
    if recipe is WHISPERLIVE:
        return [
            str(python),
            str(home / "launch_whisperlive.py"),
            "127.0.0.1",
            str(port),
            str(model_dir),
            str(max_clients),
        ]
    return [
        str(python),
        "-m",
        "whisperlivekit.basic_server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backend",
        "faster-whisper",
        "--backend-policy",
        "localagreement",
        "--model_dir",
        str(model_dir),
        "--lan",
        language,
        "--pcm-input",
        "--warmup-file",
        str(home / "warmup.wav"),
        "--log-level",
        "WARNING",
    ]
