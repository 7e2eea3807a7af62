"""Precision and recall of the redactor and the special-category detector on the labelled sets.

``python -m bench.redaction_eval`` prints one table per set.  Scoring is privacy-minded:

* a gold item is *found* when predicted spans of its kind cover every letter and digit of it
  (a partial redaction that leaves digits visible is a miss);
* a predicted span is *correct* when it overlaps a gold item of its kind;
* the fail-safe's ``number`` spans (digit runs no checksum recognised, :mod:`privacy.failsafe`) get
  a row of their own and stay out of the ``all`` rows: masking an order number is by design, so its
  "precision" there is the share of them that covered a labelled item.

The sets are ``data/redaction_eval.tsv`` (language, text, ``kind=value | ...`` or ``-``) and
``data/special_eval.tsv`` (same layout, categories instead of kinds).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources

from privacy.model import PrivacyError
from privacy.redactor import Redactor
from privacy.special import detect_special

__all__ = ["Example", "Score", "load", "main", "score_redaction", "score_special"]

_ALL = "all"
_FAILSAFE = "number"


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled sentence: gold items as (kind, start, end) in ``text``."""

    language: str
    text: str
    gold: tuple[tuple[str, int, int], ...]


@dataclass(slots=True)
class Score:
    """Counts for one (language, kind) cell."""

    gold: int = 0
    found: int = 0
    predicted: int = 0
    correct: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Correct predictions over predictions (1.0 when nothing was predicted)."""
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Found gold items over gold items (1.0 when there is no gold item)."""
        return self.found / self.gold if self.gold else 1.0


def load(name: str) -> list[Example]:
    """Parse a shipped evaluation file (``redaction_eval.tsv`` or ``special_eval.tsv``)."""
    text = resources.files("privacy").joinpath(f"data/{name}").read_text(encoding="utf-8")
    examples: list[Example] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        language, sentence, labels = line.split("\t")
        gold: list[tuple[str, int, int]] = []
        for item in labels.split(" | ") if labels != "-" else ():
            kind, _, value = item.partition("=")
            start = sentence.find(value, gold[-1][2] if gold and gold[-1][0] == kind else 0)
            if start < 0:
                raise PrivacyError(f"{name} line {number}: {value!r} is not in the sentence")
            gold.append((kind, start, start + len(value)))
        examples.append(Example(language, sentence, tuple(gold)))
    return examples


def _score(
    examples: Iterable[Example], predict: Callable[[Example], list[tuple[str, int, int]]]
) -> dict[tuple[str, str], Score]:
    table: dict[tuple[str, str], Score] = {}
    for ex in examples:
        predicted = predict(ex)
        for lang in (ex.language, _ALL):
            for kind, start, end in ex.gold:
                for key in ((lang, kind), (lang, _ALL)):
                    cell = table.setdefault(key, Score())
                    cell.gold += 1
                    if _covered(ex.text, start, end, [p for p in predicted if p[0] == kind]):
                        cell.found += 1
                    elif key[0] != _ALL and key[1] != _ALL:
                        cell.misses.append(ex.text)
            for kind, start, end in predicted:
                ok = any(g[0] == kind and g[1] < end and start < g[2] for g in ex.gold)
                if kind == _FAILSAFE:  # untyped: right when it covers any gold item, kept out of "all"
                    ok = any(g[1] < end and start < g[2] for g in ex.gold)
                for key in ((lang, kind),) if kind == _FAILSAFE else ((lang, kind), (lang, _ALL)):
                    cell = table.setdefault(key, Score())
                    cell.predicted += 1
                    cell.correct += ok
                    if not ok and _ALL not in key:
                        cell.false_alarms.append(f"{kind}: {ex.text}")
    return table


def _covered(text: str, start: int, end: int, spans: list[tuple[str, int, int]]) -> bool:
    return all(any(s <= i < e for _, s, e in spans) for i in range(start, end) if text[i].isalnum())


def score_redaction(examples: Iterable[Example] | None = None) -> dict[tuple[str, str], Score]:
    """Score the redactor (MASK policy, a fresh redactor per sentence) per (language, kind)."""

    def predict(ex: Example) -> list[tuple[str, int, int]]:
        result = Redactor(ex.language).redact(ex.text)
        return [(s.kind, s.start, s.end) for s in result.original_spans]

    return _score(load("redaction_eval.tsv") if examples is None else examples, predict)


def score_special(examples: Iterable[Example] | None = None) -> dict[tuple[str, str], Score]:
    """Score :func:`privacy.special.detect_special` per (language, category)."""

    def predict(ex: Example) -> list[tuple[str, int, int]]:
        return [(h.category, h.start, h.end) for h in detect_special(ex.text, ex.language)]

    return _score(load("special_eval.tsv") if examples is None else examples, predict)


def _print(title: str, table: dict[tuple[str, str], Score], verbose: bool) -> None:
    print(f"\n{title}")
    print(f"{'lang':<5} {'kind':<19} {'gold':>5} {'pred':>5} {'precision':>9} {'recall':>7}")
    for (lang, kind), cell in sorted(table.items(), key=lambda kv: (kv[0][0] == _ALL, kv[0])):
        print(f"{lang:<5} {kind:<19} {cell.gold:>5} {cell.predicted:>5} {cell.precision:>9.3f} {cell.recall:>7.3f}")
    if verbose:
        for cell in table.values():
            for sentence in cell.misses:
                print(f"  missed: {sentence}")
            for sentence in cell.false_alarms:
                print(f"  false alarm: {sentence}")


def main(argv: list[str] | None = None) -> int:
    """Print precision/recall tables; ``-v`` also lists the sentences with missed items."""
    verbose = "-v" in (sys.argv[1:] if argv is None else argv)
    _print("Redaction (redaction_eval.tsv)", score_redaction(), verbose)
    _print("Special categories (special_eval.tsv)", score_special(), verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
