"""Building the messages a call publishes, and feeding them to a StoreListener."""

from __future__ import annotations

from pathlib import Path

from gateway.store_listener import StoreListener
from protocol.messages import AudioFormat, CallEnded, ConsentState, Final, Ready, Start, Word
from tests.call_events import publish_to

TENANT = "tenant-a"


def final(seq: int, text: str, leg: str = "caller") -> Final:
    words = tuple(Word(w, seq + i * 0.1, seq + i * 0.1 + 0.1, 0.9) for i, w in enumerate(text.split()))
    return Final(seq, leg, f"u{seq}", text, float(seq), seq + 1.0, "nl", words)


def start(call_id: str, purposes: tuple[str, ...], consent: str = "granted") -> Start:
    return Start(call_id, AudioFormat("pcm_s16le", 16000, 1), ("caller",), "nl", purposes, consent)  # type: ignore[arg-type]


def call(
    listener: StoreListener,
    call_id: str,
    purposes: tuple[str, ...],
    texts: list[str],
    end: bool = True,
    tenant: str = TENANT,
) -> None:
    """A call granted at start whose finals are `texts` (published as the session would)."""
    publish_to(listener, tenant, call_id, start(call_id, purposes))
    publish_to(listener, tenant, call_id, Ready("s1", call_id, "active", "base", ("nl",)))
    for seq, text in enumerate(texts, 1):
        publish_to(listener, tenant, call_id, final(seq, text))
    if end:
        publish_to(listener, tenant, call_id, CallEnded(call_id, len(texts)))


def consent(listener: StoreListener, call_id: str, state: str, at: float, tenant: str = TENANT) -> None:
    publish_to(listener, tenant, call_id, ConsentState(state, at))  # type: ignore[arg-type]


def files_containing(root: Path, needle: bytes) -> list[Path]:
    """Every regular file under `root` whose bytes contain `needle`."""
    hits = []
    for path in sorted(root.rglob("*")):
        try:
            if path.is_file() and needle in path.read_bytes():
                hits.append(path)
        except (PermissionError, FileNotFoundError):  # a file the server removed while walking
            continue
    return hits
