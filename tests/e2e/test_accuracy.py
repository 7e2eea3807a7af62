"""Real speech through a real gateway: streamed finals are as accurate as offline faster-whisper."""

from __future__ import annotations

import pytest

from asr.types import Transcriber
from bench.client import StreamOptions
from bench.wer import wer
from protocol.codec import Mode
from tests.conftest import Gateway, manifest
from tests.e2e.helpers import final_text, offline_texts, stream_rows

ROWS = [r for r in manifest() if r.channels == 1]
EN = [r for r in ROWS if r.lang == "en"]
NL = [r for r in ROWS if r.lang == "nl"]
FAST = StreamOptions(pace=0, interim_results=False)


async def _check(gw: Gateway, engine: Transcriber, rows: list, lang: str, mode: Mode) -> tuple[float, float]:
    # redaction off: this measures recognition; masking a name ("Philip" -> "[NAME]") is a word error here
    runs = await stream_rows(gw, rows, StreamOptions(pace=0, interim_results=False, mode=mode, redaction="off"))
    assert all(run.close_code == 1000 for run in runs)
    refs = [r.reference_text for r in rows]
    streamed = wer(refs, [final_text(run) for run in runs], lang)
    offline = wer(refs, offline_texts(engine, rows), lang)
    print(f"{lang} {mode.value}: streamed WER {streamed:.3f}, offline WER {offline:.3f}")
    return streamed, offline


@pytest.mark.parametrize("mode", [Mode.JSON, Mode.MSGPACK])
async def test_english_streamed_wer_within_two_points_of_offline(
    gateway: Gateway, engines: dict[str, Transcriber], mode: Mode
) -> None:
    """All English clips (16 kHz PCM and 8 kHz mu-law) streamed with tiny.en stay within 2 WER points of
    offline faster-whisper on the same clips, model and normaliser, in both subprotocols."""
    streamed, offline = await _check(gateway, engines["tiny.en"], EN, "en", mode)
    assert streamed <= offline + 0.02


async def test_dutch_streamed_wer_within_two_points_of_offline(
    gateway: Gateway, engines: dict[str, Transcriber]
) -> None:
    """The Dutch clips (incl. the 8 kHz mu-law one) streamed with base match offline within 2 points."""
    streamed, offline = await _check(gateway, engines["base"], NL, "nl", Mode.JSON)
    assert streamed <= offline + 0.02
