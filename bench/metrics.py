"""The measures of DESIGN.md, computed from call traces (pure: no clock, no I/O).

Definitions (all times are monotonic wall time on the client, audio times are seconds of the leg):
- partial lag: a partial's arrival minus the time the audio up to its `end` had been sent;
- final latency, per reference turn: arrival of the last final assigned to the turn minus the time the
  turn's reference end had been sent (finals are assigned to the turn their audio span overlaps most).
  Where the manifest has no times, per final: its arrival minus the time its own `end` had been sent;
- first-partial latency: arrival of the first hypothesis (partial or final) overlapping a turn minus the
  time the turn's reference start had been sent (untimed clips: the first hypothesis' own `start`);
- partial stability: the share of a partial's words that do not survive, in order, in the final text of the
  same stretch of audio (partial length minus their longest common word subsequence), over all partials;
- WER: finals of a leg, in audio order, against the leg's reference (bench.wer normaliser).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from bench.manifest import Item, Turn
from bench.trace import CallTrace, Hyp, LegTrace
from bench.wer import normalize

MATCH_SLACK_S = 0.5
"""A final may start or end this much outside its turn and still be assigned to it."""


@dataclass(frozen=True, slots=True)
class Utterance:
    """The measures of one reference turn (or, untimed, of one final)."""

    call_id: str
    file: str
    leg: str
    start: float
    end: float
    final_latency: float | None
    first_partial_latency: float | None
    timed: bool


@dataclass(slots=True)
class CallMeasures:
    """Everything measured on one call."""

    call_id: str
    file: str
    ok: bool
    refused: bool
    utterances: list[Utterance] = field(default_factory=list)
    partial_lags: list[float] = field(default_factory=list)
    revised_words: int = 0
    partial_words: int = 0
    references: dict[str, str] = field(default_factory=dict)
    hypotheses: dict[str, str] = field(default_factory=dict)
    jitter_ms: list[float] = field(default_factory=list)
    expected_turns: int = 0
    finalised_turns: int = 0
    errors: list[str] = field(default_factory=list)


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


def assign_finals(turns: Sequence[Turn], finals: Iterable[Hyp]) -> dict[int, list[Hyp]]:
    """Finals grouped by the index of the turn whose (slackened) span they overlap most; others dropped."""
    groups: dict[int, list[Hyp]] = {}
    for f in finals:
        scores = [
            _overlap(f.start, max(f.end, f.start + 1e-3), t.start - MATCH_SLACK_S, t.end + MATCH_SLACK_S) for t in turns
        ]
        if scores and max(scores) > 0:
            groups.setdefault(int(np.argmax(scores)), []).append(f)
    return groups


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        diag = 0
        for j, y in enumerate(b, 1):
            diag, row[j] = row[j], diag + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def revised(partial: str, final: str, language: str = "en") -> tuple[int, int]:
    """(words of `partial` that do not survive, in order, in `final`; words of `partial`), normalised."""
    p, f = normalize(partial, language).split(), normalize(final, language).split()
    return len(p) - _lcs(p, f), len(p)


def _final_text_over(finals: Sequence[Hyp], start: float, end: float) -> str:
    span = [f for f in finals if _overlap(f.start, f.end, start, end) >= 0]
    return " ".join(f.text for f in sorted(span, key=lambda h: (h.start, h.at)))


def _timed_utterances(call_id: str, file: str, turns: list[Turn], trace: LegTrace) -> list[Utterance]:
    groups = assign_finals(turns, trace.finals)
    out = []
    for i, turn in enumerate(turns):
        sent_end, sent_start = trace.time_sent(turn.end), trace.time_sent(turn.start)
        mine = groups.get(i, [])
        latency = max(f.at for f in mine) - sent_end if mine and sent_end is not None else None
        early = [h.at for h in trace.hyps if _overlap(h.start, h.end, turn.start - MATCH_SLACK_S, turn.end) > 0]
        first = min(early) - sent_start if early and sent_start is not None else None
        out.append(Utterance(call_id, file, trace.leg, turn.start, turn.end, latency, first, True))
    return out


def _untimed_utterances(call_id: str, file: str, trace: LegTrace) -> list[Utterance]:
    out = []
    for i, f in enumerate(sorted(trace.finals, key=lambda h: h.start)):
        sent_end = trace.time_sent(f.end)
        first = None
        if i == 0 and trace.hyps:
            h = min(trace.hyps, key=lambda x: x.at)
            sent_start = trace.time_sent(h.start)
            first = h.at - sent_start if sent_start is not None else None
        out.append(
            Utterance(
                call_id,
                file,
                trace.leg,
                f.start,
                f.end,
                f.at - sent_end if sent_end is not None else None,
                first,
                False,
            )
        )
    return out


def measure_call(item: Item, trace: CallTrace) -> CallMeasures:
    """Every per-utterance and per-call measure of one replayed call."""
    m = CallMeasures(trace.call_id, item.file, trace.ok, trace.refused, errors=list(trace.errors))
    for leg in item.legs:
        lt = trace.legs[leg]
        turns = item.turns_of(leg)
        if turns:
            utts = _timed_utterances(trace.call_id, item.file, turns, lt)
            m.expected_turns += len(turns)
            m.finalised_turns += sum(u.final_latency is not None for u in utts)
        else:
            utts = _untimed_utterances(trace.call_id, item.file, lt)
            m.expected_turns += 1
            m.finalised_turns += 1 if utts else 0
        m.utterances += utts
        for p in lt.partials:
            sent = lt.time_sent(p.end)
            if sent is not None:
                m.partial_lags.append(p.at - sent)
            r, n = revised(p.text, _final_text_over(lt.finals, p.start, p.end), item.lang)
            m.revised_words += r
            m.partial_words += n
        m.references[leg] = item.reference(leg)
        m.hypotheses[leg] = " ".join(f.text for f in sorted(lt.finals, key=lambda h: (h.start, h.at)))
        m.jitter_ms += lt.jitter_ms
    return m


def stats(values: Sequence[float]) -> dict[str, float | int | None]:
    """Count, mean, p50, p90, p95, p99 and max of `values` (None when empty), rounded to the millisecond."""
    if not values:
        return {"n": 0, "mean": None, "p50": None, "p90": None, "p95": None, "p99": None, "max": None}
    arr = np.asarray(values, dtype=float)
    out: dict[str, float | int | None] = {"n": len(values), "mean": round(float(arr.mean()), 3)}
    for q in (50, 90, 95, 99):
        out[f"p{q}"] = round(float(np.percentile(arr, q)), 3)
    out["max"] = round(float(arr.max()), 3)
    return out
