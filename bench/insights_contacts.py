"""Contact-detail recall on ASR output of synthetic calls (espeak-ng via shared/audio/synth.sh, 8 kHz).

    python -m bench.insights_contacts [--lang en|nl]

For each scripted call in bench/data/insights/contacts_{en,nl}.json: synthesise it (SYNTHETIC speech, not
real), transcribe both channels offline with the gateway's default model for the language (tiny.en,
base), extract contact details from the ASR text, and report recall per kind, next to the recall on the
script text itself (the rules' ceiling). Needs espeak-ng and sox (Debian packages).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from asr.config import EngineConfig
from bench.audio import read_wav
from insights.contacts import extract
from insights.core import DEFAULT_REGIONS

DATA = Path(__file__).parent / "data" / "insights"
SYNTH = Path(__file__).resolve().parents[2] / "shared" / "audio" / "synth.sh"
MODELS = {"en": "tiny.en", "nl": "base"}
VOICES = {"en": "en-gb", "nl": "nl"}


def _found(text: str, language: str) -> set[tuple[str, str]]:
    return {(c.kind, c.value.lower()) for c in extract(0, text, language, "caller", DEFAULT_REGIONS)}


def _recall(expected: list[list[str]], found: set[tuple[str, str]], hits: Counter[str], total: Counter[str]) -> None:
    for kind, value in expected:
        total[kind] += 1
        hits[kind] += (kind, value.lower()) in found


def evaluate(language: str, threads: int) -> dict[str, Any]:
    from asr.whisper import WhisperEngine

    engine = WhisperEngine(EngineConfig(model=MODELS[language], cpu_threads=threads))
    calls = json.loads((DATA / f"contacts_{language}.json").read_text())
    asr_hits: Counter[str] = Counter()
    text_hits: Counter[str] = Counter()
    total: Counter[str] = Counter()
    text_total: Counter[str] = Counter()
    transcripts = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, call in enumerate(calls):
            script, wav = Path(tmp) / f"c{i}.txt", Path(tmp) / f"c{i}.wav"
            script.write_text("\n".join(call["script"]) + "\n")
            subprocess.run(
                ["bash", str(SYNTH), str(script), str(wav), VOICES[language]], check=True, capture_output=True
            )
            clip = read_wav(wav)
            said = []
            for channel in range(clip.channels):
                audio = clip.samples[:, channel].astype(np.float32) / 32768.0
                audio16 = soxr.resample(audio, clip.rate, 16000).astype(np.float32)
                said.append(engine.transcribe_offline(audio16, language))
            text = " ".join(said)
            transcripts.append(text)
            _recall(call["expect"], _found(text, language), asr_hits, total)
            plain = " ".join(line.split(":", 1)[1].strip() for line in call["script"])
            _recall(call["expect"], _found(plain, language), text_hits, text_total)
    return {
        "model": MODELS[language],
        "calls": len(calls),
        "seconds": round(time.perf_counter() - started, 1),
        "asr_recall": {k: f"{asr_hits[k]}/{total[k]}" for k in sorted(total)},
        "asr_recall_all": round(sum(asr_hits.values()) / sum(total.values()), 3),
        "script_recall_all": round(sum(text_hits.values()) / sum(text_total.values()), 3),
        "asr_text": transcripts,
    }


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.insights_contacts", description=__doc__.splitlines()[0])
    p.add_argument("--lang", choices=("en", "nl"), action="append", help="default: both")
    p.add_argument("--threads", type=int, default=2, help="CTranslate2 CPU threads")
    args = p.parse_args()
    report = {lang: evaluate(lang, args.threads) for lang in (args.lang or ["en", "nl"])}
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
