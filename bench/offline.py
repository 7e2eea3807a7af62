"""The accuracy baseline: offline faster-whisper on the same audio, with the same model and compute type.

Each leg of each clip is transcribed whole (resampled to 16 kHz, faster-whisper's own 30 s windows, beam 5,
the manifest's language). Results are cached in `<cache>/offline.json`, keyed by model, file, leg, length
and the file's modification time, since they do not change between runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.manifest import Item
from bench.pacing import mono_16k
from bench.scenario import load_clip
from bench.wer import wer


def _key(model_dir: str, compute_type: str, item: Item, leg: str) -> str:
    return f"{model_dir}|{compute_type}|{item.file}|{leg}|{item.seconds}|{item.path.stat().st_mtime_ns}"


def offline_texts(
    items: Sequence[Item], model_dir: str, cache: Path, compute_type: str = "int8", threads: int = 2
) -> dict[str, str]:
    """`file#leg` -> offline transcript, computed once and cached."""
    path = cache / "offline.json"
    known: dict[str, str] = json.loads(path.read_text()) if path.is_file() else {}
    todo = [(i, leg) for i in items for leg in i.legs if _key(model_dir, compute_type, i, leg) not in known]
    if todo:
        from faster_whisper import WhisperModel

        model = WhisperModel(model_dir, device="cpu", compute_type=compute_type, cpu_threads=threads)
        clips: dict[str, Any] = {}
        for item, leg in todo:
            clip = load_clip(item, clips)
            audio = mono_16k(clip.samples, clip.rate, item.legs.index(leg)).astype("float32") / 32768.0
            segments, _ = model.transcribe(audio, language=None if item.lang == "auto" else item.lang, beam_size=5)
            known[_key(model_dir, compute_type, item, leg)] = " ".join(s.text.strip() for s in segments)
        cache.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(known, indent=1))
    return {f"{i.file}#{leg}": known[_key(model_dir, compute_type, i, leg)] for i in items for leg in i.legs}


def offline_report(items: Sequence[Item], texts: dict[str, str]) -> dict[str, Any]:
    """Per-clip and per-language WER of the offline transcripts."""
    per_clip = {
        f"{i.file}#{leg}": round(wer([i.reference(leg)], [texts[f"{i.file}#{leg}"]], i.lang), 3)
        for i in items
        for leg in i.legs
    }
    by_lang: dict[str, tuple[list[str], list[str]]] = {}
    for i in items:
        refs, hyps = by_lang.setdefault(i.lang, ([], []))
        for leg in i.legs:
            refs.append(i.reference(leg))
            hyps.append(texts[f"{i.file}#{leg}"])
    return {
        "per_clip_wer": per_clip,
        "wer": {lang: round(wer(r, h, lang), 3) for lang, (r, h) in by_lang.items()},
        "texts": texts,
    }
