"""OpenAI `response_format` renderings of one transcribed file (pure): json, text, srt, vtt, verbose_json.

Shapes follow what the official SDK parses (`../shared/reference/compat-apis.md` §2.7): `json` is
`{"text", "usage"}`, `verbose_json` a `TranscriptionVerbose` (`segments` always, `words` when the `word`
granularity is asked for), `text`/`srt`/`vtt` plain text. SRT is composed by the `srt` package; WebVTT
cues use the same times with a dot before the milliseconds. `tokens` is always empty: token ids would
decode to the unredacted text.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import srt

from files.pipeline import FileFinal

FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
GRANULARITIES = ("word", "segment")
MEDIA_TYPES = {
    "json": "application/json",
    "verbose_json": "application/json",
    "text": "text/plain",
    "srt": "application/x-subrip",
    "vtt": "text/vtt",
}
_LANGUAGE_NAMES = {
    "en": "english",
    "nl": "dutch",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "pl": "polish",
    "tr": "turkish",
    "ar": "arabic",
}


def full_text(finals: list[FileFinal]) -> str:
    return " ".join(f.final.text.strip() for f in finals if f.final.text.strip())


def _usage(duration: float) -> dict[str, Any]:
    return {"type": "duration", "seconds": round(duration, 3)}


def as_json(finals: list[FileFinal], duration: float) -> dict[str, Any]:
    return {"text": full_text(finals), "usage": _usage(duration)}


def as_verbose(finals: list[FileFinal], duration: float, language: str, words: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": _LANGUAGE_NAMES.get(language, language),
        "duration": round(duration, 3),
        "text": full_text(finals),
        "segments": [
            {
                "id": i,
                "seek": f.seek,
                "start": f.final.start,
                "end": f.final.end,
                "text": " " + f.final.text.strip(),
                "tokens": [],
                "temperature": f.temperature,
                "avg_logprob": round(f.avg_logprob, 4),
                "compression_ratio": round(f.compression_ratio, 4),
                "no_speech_prob": round(f.no_speech_prob, 4),
            }
            for i, f in enumerate(finals)
        ],
        "usage": _usage(duration),
    }
    if words:
        body["words"] = [{"word": w.word, "start": w.start, "end": w.end} for f in finals for w in f.final.words]
    return body


def as_srt(finals: list[FileFinal]) -> str:
    subs = [
        srt.Subtitle(i, timedelta(seconds=f.final.start), timedelta(seconds=f.final.end), f.final.text.strip())
        for i, f in enumerate(_cues(finals), start=1)
    ]
    return str(srt.compose(subs, reindex=False))


def as_vtt(finals: list[FileFinal]) -> str:
    cues = [f"{_vtt_time(f.final.start)} --> {_vtt_time(f.final.end)}\n{f.final.text.strip()}\n" for f in _cues(finals)]
    return "WEBVTT\n\n" + "\n".join(cues)


def _cues(finals: list[FileFinal]) -> list[FileFinal]:
    return [f for f in finals if f.final.text.strip() and f.final.end > f.final.start]


def _vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def render(
    fmt: str, finals: list[FileFinal], duration: float, language: str, granularities: tuple[str, ...]
) -> str | dict[str, Any]:
    """The response body for `fmt`: a dict for the JSON formats, text otherwise."""
    if fmt == "json":
        return as_json(finals, duration)
    if fmt == "verbose_json":
        return as_verbose(finals, duration, language, "word" in granularities)
    if fmt == "srt":
        return as_srt(finals)
    if fmt == "vtt":
        return as_vtt(finals)
    return full_text(finals) + "\n"
