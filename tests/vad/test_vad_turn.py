"""The longer endpoint inside a turn (`vad.turn_silence_ms`) on real speech through the real silero model:
a reading's pauses no longer cut it into phrases, while a dialogue turn's first utterance ends exactly as
fast as before."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from vadkit import RATE, Audio, call_channel, model

from bench.audio import read_wav
from tests.conftest import AUDIO
from vad import LegEndpointer, UtteranceEnded, VadConfig

OFF = VadConfig(turn_silence_ms=0)


@dataclass(frozen=True)
class End:
    start: int
    end: int
    seen_at: int  # the leg sample pushed when the end was reported: how long the endpoint took
    reason: str


def ends(audio: Audio, config: VadConfig, chunk: int = 320) -> list[End]:
    leg = LegEndpointer(model(), config)
    out = []
    for i in range(0, len(audio), chunk):
        for e in leg.push(audio[i : i + chunk], i):
            if isinstance(e, UtteranceEnded):
                out.append(End(e.start, e.end, i + chunk, e.reason))
    return out


def sonnet() -> Audio:
    clip = read_wav(AUDIO / "extra" / "librivox_sonnet001.wav")
    return (clip.samples[:, 0] / 32768.0).astype(np.float32)


def test_a_reading_is_cut_only_at_its_longer_pauses() -> None:
    """LibriVox sonnet 1 (53 s, pauses at every line): fewer utterances; each one starts where one of the
    400 ms endpointer's starts and ends where one of its utterances ends, so only cuts were dropped, none
    moved; the first utterance, which starts the turn, is the same."""
    audio = sonnet()
    short, turn = ends(audio, OFF), ends(audio, VadConfig())
    assert len(turn) < len(short) - 3
    assert turn[0] == short[0]
    assert {e.start for e in turn} <= {e.start for e in short}
    assert {e.end for e in turn if e.reason == "silence"} <= {e.end for e in short}


def test_a_dialogue_turn_starts_as_fast_as_before() -> None:
    """The synthetic call (espeak, each party's turns 4+ s apart): every utterance is the same span with both
    endpoints; the first of each turn is reported at the same sample, one that continues a turn (the agent's
    "Can you give me your account number, please?" after "I'm sorry to hear that.") at most 400 ms later."""
    waited = 0
    for channel in (0, 1):
        audio = call_channel(channel)
        short, turn = ends(audio, OFF), ends(audio, VadConfig())
        assert [(e.start, e.end) for e in turn] == [(e.start, e.end) for e in short]
        previous_end = None
        for a, b in zip(short, turn, strict=True):
            if previous_end is not None and a.start - previous_end <= 2 * RATE:  # it continues a turn
                assert 0 <= b.seen_at - a.seen_at <= 0.4 * RATE + 320
                waited += b.seen_at > a.seen_at
            else:
                assert b.seen_at == a.seen_at
            previous_end = a.end
    assert waited == 1  # the agent's two-sentence turn: its second sentence waited for the longer endpoint
