"""File WER through the gateway's endpoint is within 0.5 point of offline faster-whisper on the same model.

Every clip of ../shared/audio's manifest.tsv (two-leg calls mixed to one leg, as faster-whisper's own
`decode_audio` mixes them) and, to keep CI time bounded, the longest clip of extra/ (124 s, five windows) and
the Dutch 8 kHz one; `python -m bench.files wer` scores every clip of extra/ as well.

Where faster-whisper falls back to sampling (a window decoded at temperature > 0, e.g. base on the espeak
Dutch call), its output is random: two offline runs of the same clip differ (seen: WER 0.70 and 0.60 on the
Dutch clips), so such clips are compared in the bench and left out of the assertion here; the remaining
(greedy/beam, repeatable) clips must come out of the endpoint with offline's words.
"""

from __future__ import annotations

from typing import Any

import httpx
from faster_whisper.audio import decode_audio

from asr.types import Transcriber
from asr.whisper import WhisperEngine
from bench.files import clips, mixed_reference
from bench.wer import wer
from tests.conftest import TOKEN, Gateway

EXTRA = {"extra/librivox_tale_of_two_cities_01.wav", "extra/css10nl_20000_mijlen_0029_tel8k.wav"}
SAMPLES = {"synthetic/synthetic_call_nl.wav"}
"""base decodes every window of the espeak Dutch call mix at temperature 1.0 (random, and six decodes each)."""


def offline(engine: WhisperEngine, path: str, language: str) -> tuple[str, bool]:
    """faster-whisper's offline transcription (as `transcribe_offline`) and whether it sampled (temperature > 0)."""
    segments, _ = engine.faster_whisper.transcribe(
        decode_audio(path), language=language, beam_size=engine.config.beam_size
    )
    done = list(segments)
    return " ".join(s.text.strip() for s in done), any(s.temperature > 0 for s in done)


async def test_file_wer_matches_offline(fgw: Gateway, engines: dict[str, Transcriber]) -> None:
    """Per language, over the repeatable clips, the endpoint's WER (verbose_json with word timestamps) is within
    0.005 of offline's; at most two clips needed sampling."""
    items = [i for i in clips() if (not i.file.startswith("extra/") or i.file in EXTRA) and i.file not in SAMPLES]
    assert len(items) >= 13 and any(i.seconds > 120 for i in items)
    scored: dict[str, list[tuple[str, str, str]]] = {}
    sampled: list[str] = []
    async with httpx.AsyncClient(base_url=fgw.http, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=300) as http:
        for item in items:
            engine = engines["tiny.en" if item.lang == "en" else "base"]
            assert isinstance(engine, WhisperEngine)
            response = await http.post(
                "/v1/audio/transcriptions",
                files={"file": (item.path.name, item.path.read_bytes())},
                data={
                    "model": engine.name,
                    "language": item.lang,
                    "response_format": "verbose_json",
                    "timestamp_granularities[]": "word",
                },
            )
            assert response.status_code == 200, item.file
            body: dict[str, Any] = response.json()
            base_text, base_sampled = offline(engine, str(item.path), item.lang)
            if base_sampled or any(s["temperature"] > 0 for s in body["segments"]):
                sampled.append(item.file)
                continue
            scored.setdefault(item.lang, []).append((mixed_reference(item), body["text"], base_text))
    assert len(sampled) <= 2, sampled
    for lang, rows in scored.items():
        refs = [r for r, _, _ in rows]
        file_wer, offline_wer = wer(refs, [f for _, f, _ in rows], lang), wer(refs, [o for _, _, o in rows], lang)
        assert abs(file_wer - offline_wer) <= 0.005, (lang, file_wer, offline_wer)
        assert offline_wer < 0.5, (lang, offline_wer)  # the comparison is on real recognition, not on noise
