"""Typed messages -> plain dicts ready for JSON or msgpack (the ``type`` names of PROTOCOL.md).

Times are rounded to milliseconds; numbers are converted to built-in ``int``/``float`` so that
numpy scalars never reach the encoders. Prefer the re-exports in ``protocol.codec``.
"""

from __future__ import annotations

import operator
from typing import SupportsFloat, SupportsIndex

from protocol.errors import InternalError
from protocol.messages import (
    AudioChunk,
    CallEnded,
    ClientMessage,
    Closed,
    ConsentEvent,
    ConsentState,
    Dtmf,
    ErrorMessage,
    Final,
    Finalize,
    KeepAlive,
    Partial,
    PrivacyEvent,
    Ready,
    ServerMessage,
    ServerWarning,
    SpeechStarted,
    Start,
    Stop,
    Word,
)

__all__ = ["client_to_dict", "server_to_dict"]


def _ms(seconds: SupportsFloat) -> float:
    """Seconds rounded to milliseconds."""
    return round(float(seconds), 3)


def _int(value: SupportsIndex) -> int:
    return operator.index(value)


def _word(word: Word) -> dict[str, object]:
    probability = round(float(word.probability), 4)
    return {"word": word.word, "start": _ms(word.start), "end": _ms(word.end), "probability": probability}


def _final(msg: Final) -> dict[str, object]:
    return {
        "type": "final",
        "seq": _int(msg.seq),
        "leg": msg.leg,
        "utterance_id": msg.utterance_id,
        "text": msg.text,
        "start": _ms(msg.start),
        "end": _ms(msg.end),
        "language": msg.language,
        "words": [_word(w) for w in msg.words],
        "redactions": [{"kind": r.kind, "start": _int(r.start), "end": _int(r.end)} for r in msg.redactions],
        **({"special": list(msg.special)} if msg.special else {}),
    }


def _consent(msg: ConsentState) -> dict[str, object]:
    out: dict[str, object] = {"type": "consent", "state": msg.state, "at": _ms(msg.at)}
    if msg.announcement is not None:
        out["announcement"] = msg.announcement
    return out


def server_to_dict(msg: ServerMessage) -> dict[str, object]:
    """The wire form of a server message as a plain dict (``type`` first)."""
    match msg:
        case Ready():
            return {
                "type": "ready",
                "session_id": msg.session_id,
                "call_id": msg.call_id,
                "consent": msg.consent,
                "model": msg.model,
                "languages": list(msg.languages),
                "protocol": msg.protocol,
            }
        case ConsentState():
            return _consent(msg)
        case Partial():
            return {
                "type": "partial",
                "leg": msg.leg,
                "utterance_id": msg.utterance_id,
                "text": msg.text,
                "start": _ms(msg.start),
                "end": _ms(msg.end),
                "stable_chars": _int(msg.stable_chars),
            }
        case Final():
            return _final(msg)
        case ErrorMessage():
            return {"type": "error", "code": msg.code, "message": msg.message}
        case Closed():
            seconds = {leg: _ms(value) for leg, value in msg.audio_seconds.items()}
            return {"type": "closed", "finals": _int(msg.finals), "audio_seconds": seconds}
        case CallEnded():
            return {"type": "call_ended", "call_id": msg.call_id, "finals": _int(msg.finals)}
        case PrivacyEvent():
            return {"type": "privacy", "event": msg.event, "category": msg.category, "at": _ms(msg.at)}
        case ServerWarning():
            return {"type": "warning", "code": msg.code, "message": msg.message, "at": _ms(msg.at)}
        case SpeechStarted():
            return {"type": "speech_started", "leg": msg.leg, "utterance_id": msg.utterance_id, "at": _ms(msg.at)}
    raise InternalError(f"not a server message: {type(msg).__name__}")


def _start(msg: Start) -> dict[str, object]:
    audio = msg.audio
    return {
        "type": "start",
        "call_id": msg.call_id,
        "audio": {"encoding": audio.encoding, "sample_rate": audio.sample_rate, "channels": audio.channels},
        "legs": list(msg.legs),
        "language": msg.language,
        "purposes": list(msg.purposes),
        "consent": msg.consent,
        "interim_results": msg.interim_results,
        "resume_from": msg.resume_from,
        **({"redaction": msg.redaction} if msg.redaction is not None else {}),
        **({"special_categories": msg.special_categories} if msg.special_categories is not None else {}),
        **({"caller": msg.caller} if msg.caller is not None else {}),
        **({"endpoint_ms": _int(msg.endpoint_ms)} if msg.endpoint_ms is not None else {}),
        **({"vad_events": True} if msg.vad_events else {}),
    }


def client_to_dict(msg: ClientMessage) -> dict[str, object]:
    """The wire form of a client message as a plain dict (audio as msgpack-style ``data``)."""
    match msg:
        case Start():
            return _start(msg)
        case AudioChunk():
            return {"type": "audio", "data": msg.data}
        case ConsentEvent():
            out: dict[str, object] = {"type": "consent", "event": msg.event}
            if msg.announcement is not None:
                out["announcement"] = msg.announcement
            return out
        case Dtmf():
            dtmf: dict[str, object] = {"type": "dtmf", "digit": msg.digit}
            if msg.leg is not None:
                dtmf["leg"] = msg.leg
            return dtmf
        case Finalize():
            return {"type": "finalize"}
        case KeepAlive():
            return {"type": "keepalive"}
        case Stop():
            return {"type": "stop"}
    raise InternalError(f"not a client message: {type(msg).__name__}")
