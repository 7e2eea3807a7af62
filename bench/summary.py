"""Per-call and overall summaries of call measures, as plain JSON-ready dictionaries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.metrics import CallMeasures, stats
from bench.wer import wer


def _latencies(calls: Sequence[CallMeasures], attr: str) -> list[float]:
    return [v for c in calls for u in c.utterances if (v := getattr(u, attr)) is not None]


def per_call(c: CallMeasures, lang: str) -> dict[str, Any]:
    """The summary of one call."""
    refs = [c.references[leg] for leg in c.references]
    hyps = [c.hypotheses[leg] for leg in c.references]
    return {
        "call_id": c.call_id,
        "file": c.file,
        "ok": c.ok,
        "refused": c.refused,
        "errors": c.errors,
        "final_latency": stats(_latencies([c], "final_latency")),
        "partial_lag": stats(c.partial_lags),
        "first_partial_latency": stats(_latencies([c], "first_partial_latency")),
        "stability_revised_share": round(c.revised_words / c.partial_words, 3) if c.partial_words else None,
        "wer": round(wer(refs, hyps, lang), 3) if refs and any(r.strip() for r in refs) else None,
        "turns_expected": c.expected_turns,
        "turns_finalised": c.finalised_turns,
        "hypotheses": c.hypotheses,
    }


def per_clip_wer(calls: Sequence[CallMeasures], langs: Mapping[str, str]) -> dict[str, float]:
    """Corpus WER per `file#leg` over every call that replayed it."""
    keys = sorted({(c.file, leg) for c in calls for leg in c.references})
    out = {}
    for file, leg in keys:
        pairs = [(c.references[leg], c.hypotheses[leg]) for c in calls if c.file == file and leg in c.references]
        out[f"{file}#{leg}"] = round(wer([p[0] for p in pairs], [p[1] for p in pairs], langs.get(file, "en")), 3)
    return out


def overall(calls: Sequence[CallMeasures], langs: Mapping[str, str]) -> dict[str, Any]:
    """Every measure pooled over the calls of one scenario."""
    revised = sum(c.revised_words for c in calls)
    words = sum(c.partial_words for c in calls)
    expected = sum(c.expected_turns for c in calls)
    finalised = sum(c.finalised_turns for c in calls)
    by_lang: dict[str, tuple[list[str], list[str]]] = {}
    for c in calls:
        refs, hyps = by_lang.setdefault(langs.get(c.file, "en"), ([], []))
        for leg in c.references:
            refs.append(c.references[leg])
            hyps.append(c.hypotheses[leg])
    return {
        "calls": len(calls),
        "calls_ok": sum(c.ok for c in calls),
        "calls_refused": sum(c.refused for c in calls),
        "final_latency": stats(_latencies(calls, "final_latency")),
        "partial_lag": stats([v for c in calls for v in c.partial_lags]),
        "first_partial_latency": stats(_latencies(calls, "first_partial_latency")),
        "stability_revised_share": round(revised / words, 3) if words else None,
        "partial_words": words,
        "wer": {lang: round(wer(r, h, lang), 3) for lang, (r, h) in by_lang.items()},
        "turns_expected": expected,
        "turns_finalised": finalised,
        "completion": round(finalised / expected, 3) if expected else None,
        "send_jitter_ms": stats([v for c in calls for v in c.jitter_ms]),
        "per_clip_wer": per_clip_wer(calls, langs),
    }
