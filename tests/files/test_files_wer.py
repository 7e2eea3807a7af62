"""File WER through the gateway's endpoint is within 0.5 point of offline faster-whisper on the same model.

Every clip of ../shared/audio's manifest.tsv (two-leg calls mixed to one leg, as faster-whisper's own
`decode_audio` mixes them) and, to keep CI time bounded, the longest clip of extra/ (124 s, five windows) and
the Dutch 8 kHz one; `python -m bench.files wer` scores every clip of extra/ as well.
"""

from __future__ import annotations

import httpx
from faster_whisper.audio import decode_audio

from asr.types import Transcriber
from asr.whisper import WhisperEngine
from bench.files import clips, mixed_reference
from bench.wer import wer
from tests.conftest import TOKEN, Gateway

EXTRA = {"extra/librivox_tale_of_two_cities_01.wav", "extra/css10nl_20000_mijlen_0029_tel8k.wav"}


async def test_file_wer_matches_offline(fgw: Gateway, engines: dict[str, Transcriber]) -> None:
    """Per language, the endpoint's WER (verbose_json with word timestamps) is within 0.005 of offline's."""
    items = [i for i in clips() if not i.file.startswith("extra/") or i.file in EXTRA]
    assert len(items) >= 14 and any(i.seconds > 120 for i in items)
    refs: dict[str, list[str]] = {}
    offline: dict[str, list[str]] = {}
    served: dict[str, list[str]] = {}
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
            refs.setdefault(item.lang, []).append(mixed_reference(item))
            served.setdefault(item.lang, []).append(response.json()["text"])
            offline.setdefault(item.lang, []).append(engine.transcribe_offline(decode_audio(str(item.path)), item.lang))
    for lang in refs:
        file_wer, offline_wer = wer(refs[lang], served[lang], lang), wer(refs[lang], offline[lang], lang)
        assert abs(file_wer - offline_wer) <= 0.005, (lang, file_wer, offline_wer)
        assert offline_wer < 0.5, (lang, offline_wer)  # the comparison is on real recognition, not on noise
