"""The query string of a Deepgram ``/v1/listen`` upgrade -> ``ListenOptions`` (sans-I/O).

Facts relied on: ``../shared/reference/compat-apis.md`` section 1.1 (the parameters deepgram-sdk 7.17.0
sends: booleans as lowercase ``true``/``false``, lists as repeated keys, which the gateway joins with
commas before they reach here). Every parameter the SDK can send falls in exactly one class:

* mapped: ``encoding`` (``linear16`` -> ``pcm_s16le``, ``mulaw``, ``alaw``), ``sample_rate`` (8000,
  16000, 24000, 48000), ``channels`` (1, or 2 with ``multichannel=true``: one leg per channel),
  ``language`` (``en-US`` -> ``en``, ``multi`` -> ``auto``; default ``en`` as on Deepgram),
  ``interim_results``, ``punctuate``/``smart_format`` (Whisper's punctuation and casing kept; without
  either the transcript is lowercase words without punctuation, Deepgram's default shape),
  ``endpointing`` (milliseconds: the call's endpoint silence, kept within 300..5000 ms; ``false``: no
  ``speech_final``; absent: the deployment's ``vad.min_silence_ms``), ``utterance_end_ms``, ``vad_events``, ``redact``
  (any value but ``false`` turns on the gateway's redaction: ``mask``), ``diarize``/``diarize_model``
  (with ``multichannel`` only: each channel is one speaker, ``speaker: 0``);
* accepted without effect (docs/compat.md says why): ``model``, ``version``, ``tag``, ``extra``,
  ``mip_opt_out``, ``keywords``, ``keyterm``, ``numerals``, ``language_hint``, and unknown keys;
* refused (``DeepgramBadRequest``, HTTP 400 before the upgrade): anything else the SDK offers
  (``callback``, ``callback_method``, ``detect_entities``, ``dictation``, ``profanity_filter``,
  ``replace``, ``search``), a missing or unsupported ``encoding`` (containerised audio is not taken),
  an unsupported rate or channel count, ``diarize`` on one channel, a malformed value.

Our own extensions (not Deepgram's): ``call_id``, ``legs`` (comma-separated leg names) and ``purposes``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from protocol.errors import BadMessage
from protocol.messages import SAMPLE_RATES, Encoding, default_legs

__all__ = ["IGNORED", "REFUSED", "DeepgramBadRequest", "ListenOptions", "parse_listen_options"]

ENCODINGS: dict[str, Encoding] = {"linear16": "pcm_s16le", "mulaw": "mulaw", "alaw": "alaw"}
IGNORED = frozenset(
    {"model", "version", "tag", "extra", "mip_opt_out", "keywords", "keyterm", "numerals", "language_hint"}
)
"""Accepted and without effect (documented in docs/compat.md)."""
REFUSED = frozenset(
    {"callback", "callback_method", "detect_entities", "dictation", "profanity_filter", "replace", "search"}
)
"""Refused with HTTP 400 (when set to anything but ``false``)."""
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


class DeepgramBadRequest(BadMessage):
    """The upgrade's query cannot be served: HTTP 400 before the upgrade (``dg-error`` names why)."""

    code: ClassVar[str] = "bad_request"
    close_code: int = 1008


@dataclass(frozen=True, slots=True)
class ListenOptions:
    """What a ``/v1/listen`` connection asked for, in the gateway's terms."""

    encoding: Encoding
    sample_rate: int
    channels: int
    legs: tuple[str, ...]
    language: str = "en"
    interim_results: bool = False
    punctuate: bool = False
    endpointing_ms: int | None = None
    """The endpoint silence asked for (None: not given, or false: the deployment's)."""
    speech_final: bool = True
    """False with ``endpointing=false``: no result is ``speech_final``."""
    utterance_end_ms: int | None = None
    vad_events: bool = False
    redact: bool = False
    diarize: bool = False
    call_id: str | None = None
    purposes: tuple[str, ...] = ()


def parse_listen_options(params: Mapping[str, str]) -> ListenOptions:
    """The options of the query ``params``; ``DeepgramBadRequest`` names the first bad parameter."""
    for key in sorted(REFUSED & params.keys()):
        if params[key].strip().lower() not in ("", "false"):
            raise DeepgramBadRequest(f"{key}: not supported by this gateway (docs/compat.md)")
    encoding, rate, channels = _audio(params)
    multichannel = _flag(params, "multichannel")
    if channels == 2 and not multichannel:
        raise DeepgramBadRequest("channels=2 needs multichannel=true (one leg per channel); no downmix")
    diarize = _flag(params, "diarize") or bool(params.get("diarize_model", "").strip())
    if diarize and channels == 1:
        raise DeepgramBadRequest(
            "diarize: not supported on one channel; send each speaker on its own channel with multichannel=true"
        )
    return ListenOptions(
        encoding=encoding,
        sample_rate=rate,
        channels=channels,
        legs=_legs(params, channels),
        language=_language(params.get("language", "")),
        interim_results=_flag(params, "interim_results"),
        punctuate=_flag(params, "punctuate") or _flag(params, "smart_format"),
        endpointing_ms=_endpointing(params.get("endpointing", "")),
        speech_final=params.get("endpointing", "").strip().lower() != "false",
        utterance_end_ms=_optional_ms(params, "utterance_end_ms"),
        vad_events=_flag(params, "vad_events"),
        redact=any(v.strip().lower() != "false" for v in params.get("redact", "false").split(",")),
        diarize=diarize,
        call_id=params.get("call_id") or None,
        purposes=tuple(p.strip() for p in params.get("purposes", "").split(",") if p.strip()),
    )


def _audio(params: Mapping[str, str]) -> tuple[Encoding, int, int]:
    name = params.get("encoding", "").strip().lower()
    if not name:
        raise DeepgramBadRequest("encoding is required: linear16, mulaw or alaw (containerised audio is not taken)")
    if name not in ENCODINGS:
        raise DeepgramBadRequest("encoding: unsupported, use linear16, mulaw or alaw")
    rate = _int(params, "sample_rate")
    if rate is None or rate not in SAMPLE_RATES:
        raise DeepgramBadRequest("sample_rate: required, one of 8000, 16000, 24000, 48000")
    channels = _int(params, "channels") or 1
    if channels not in (1, 2):
        raise DeepgramBadRequest("channels: 1 or 2")
    return ENCODINGS[name], rate, channels


def _legs(params: Mapping[str, str], channels: int) -> tuple[str, ...]:
    legs = tuple(p.strip() for p in params.get("legs", "").split(",") if p.strip())
    if legs and len(legs) != channels:
        raise DeepgramBadRequest("legs: one name per channel")
    return legs or default_legs(channels)


def _language(value: str) -> str:
    value = value.strip()
    if not value:
        return "en"
    if value.lower() == "multi":
        return "auto"
    if not _LANGUAGE.fullmatch(value):
        raise DeepgramBadRequest("language: expected a BCP-47 tag such as nl or en-US, or multi")
    return value.split("-")[0].lower()


def _flag(params: Mapping[str, str], key: str) -> bool:
    value = params.get(key, "false").strip().lower()
    if value not in ("true", "false"):
        raise DeepgramBadRequest(f"{key}: expected true or false")
    return value == "true"


def _int(params: Mapping[str, str], key: str) -> int | None:
    value = params.get(key, "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        raise DeepgramBadRequest(f"{key}: expected a non-negative integer")
    return int(value)


def _optional_ms(params: Mapping[str, str], key: str) -> int | None:
    value = _int(params, key)
    if value is not None and value <= 0:
        raise DeepgramBadRequest(f"{key}: must be > 0")
    return value


def _endpointing(value: str) -> int | None:
    value = value.strip().lower()
    if value in ("", "true", "false"):
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        raise DeepgramBadRequest("endpointing: expected milliseconds or false")
    return int(value)
