"""Evaluate the insights core on the labelled sets in bench/data/insights/ (written for this, see README).

    python -m bench.insights_eval            # sentiment macro-F1 per language, agreement P/R, CPU s per call

Sentiment: `sentiment_{en,nl}.tsv` (label, utterance), macro-F1 over positive/neutral/negative.
Agreements: `agreements_{en,nl}.json`, scripted calls with gold items (utterance, owner, due start/end);
an item counts as found when utterance, owner and the due range (or no due) all match.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from insights.core import analyse
from insights.model import CallTranscript, Utterance
from insights.sentiment import label, score

DATA = Path(__file__).parent / "data" / "insights"
LABELS = ("positive", "neutral", "negative")


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    scores = []
    for c in LABELS:
        tp = sum(g == c and p == c for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, predicted, strict=True))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(scores) / len(scores)


def sentiment_eval(language: str, verbose: bool) -> dict[str, Any]:
    rows = [
        line.split("\t", 1)
        for line in (DATA / f"sentiment_{language}.tsv").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    gold = [r[0] for r in rows]
    predicted = [label(score(r[1], language)) for r in rows]
    if verbose:
        for (g, text), p in zip(rows, predicted, strict=True):
            if g != p:
                print(f"  {language} gold={g} got={p}: {text}")
    return {"utterances": len(rows), "macro_f1": round(macro_f1(gold, predicted), 3)}


def _call(language: str, i: int, spec: dict[str, Any]) -> CallTranscript:
    utterances = []
    t = 0.0
    for leg, text in spec["turns"]:
        utterances.append(Utterance(leg, t, t + 4.0, text, text))
        t += 5.0
    return CallTranscript(
        "eval",
        f"{language}-{i}",
        language,
        float(spec["started_at"]),
        ("agent", "caller"),
        tuple(utterances),
        timezone="Europe/Amsterdam",
    )


def agreements_eval(language: str, verbose: bool) -> dict[str, Any]:
    calls = json.loads((DATA / f"agreements_{language}.json").read_text())
    tp = fp = fn = 0
    cpu = 0.0
    for i, spec in enumerate(calls):
        transcript = _call(language, i, spec)
        started = time.process_time()
        result = analyse(transcript)
        cpu += time.process_time() - started
        got = {
            (a.utterance, a.owner, a.due.start if a.due else None, a.due.end if a.due else None)
            for a in result.agreements
        }
        want = {
            (g["utterance"], g["owner"], g["due"][0] if g["due"] else None, g["due"][1] if g["due"] else None)
            for g in spec["agreements"]
        }
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        if verbose:
            for item in sorted(got - want, key=str):
                print(f"  {language} call {i} extra   {item}: {spec['turns'][item[0]][1]}")
            for item in sorted(want - got, key=str):
                print(f"  {language} call {i} missed  {item}: {spec['turns'][item[0]][1]}")
    return {
        "calls": len(calls),
        "items": tp + fn,
        "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
        "cpu_s_per_call": round(cpu / len(calls), 4),
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.insights_eval", description=__doc__.splitlines()[0])
    p.add_argument("--verbose", action="store_true", help="print every miss")
    args = p.parse_args(argv)
    started = time.process_time()
    analyse(_call("nl", 0, {"started_at": 0, "turns": [["caller", "Hallo."]]}))  # lexicons load once
    analyse(_call("en", 0, {"started_at": 0, "turns": [["caller", "Hello."]]}))
    report = {"load_cpu_s": round(time.process_time() - started, 3)}
    for language in ("en", "nl"):
        report[f"sentiment_{language}"] = sentiment_eval(language, args.verbose)  # type: ignore[assignment]
        if (DATA / f"agreements_{language}.json").exists():
            report[f"agreements_{language}"] = agreements_eval(language, args.verbose)  # type: ignore[assignment]
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
