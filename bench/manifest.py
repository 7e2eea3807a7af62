"""The clip manifest the benchmark replays: `manifest.tsv` rows plus per-turn references of two-leg calls.

`manifest.tsv` (tab-separated, one header line) has the columns `file`, `lang`, `seconds`, `sample_rate`,
`channels`, `origin`, `license`, `reference_text`. A two-channel row is a call with one leg per channel
(left = agent, right = caller); its per-turn references (with times) are in a `.tsv` beside the WAV with
the columns `start_s`, `end_s`, `channel` (`left`/`right`), `speaker`, `text`. A mono row has one leg
(`caller`) and a single untimed reference, `reference_text`.
"""

from __future__ import annotations

import csv
import fnmatch
import itertools
from dataclasses import dataclass
from pathlib import Path

from bench.errors import ManifestError

CHANNEL_LEGS = {"left": 0, "right": 1}
WRAP_GAP_S = 1.0
"""Silence a rotated call (`Item.rotated`) gets where its end meets its old beginning."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One reference utterance on one leg, with its audio times in seconds."""

    leg: str
    start: float
    end: float
    text: str

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ManifestError(f"turn times must satisfy 0 <= start <= end, got {self.start}..{self.end}")


@dataclass(frozen=True, slots=True)
class Item:
    """One clip to replay as a call: its audio file, language, legs and references."""

    file: str
    path: Path
    lang: str
    seconds: float
    channels: int
    legs: tuple[str, ...]
    references: tuple[tuple[str, str], ...]
    """(leg, reference text) for every leg, in leg order."""
    turns: tuple[Turn, ...] = ()
    """Timed reference turns; empty where the manifest has no times (then latency uses the finals' `end`)."""

    def __post_init__(self) -> None:
        if len(self.legs) != self.channels or self.channels not in (1, 2):
            raise ManifestError(f"{self.file}: need one leg per channel (1 or 2 channels)")

    def reference(self, leg: str) -> str:
        """The whole reference text of one leg."""
        return dict(self.references)[leg]

    def turns_of(self, leg: str) -> list[Turn]:
        """The timed turns of one leg, in time order."""
        return sorted((t for t in self.turns if t.leg == leg), key=lambda t: t.start)

    def truncated(self, max_seconds: float) -> Item:
        """The same clip cut at `max_seconds`: turns that end later are dropped (and leave the references)."""
        if max_seconds >= self.seconds:
            return self
        if not self.turns:
            raise ManifestError(f"{self.file}: an untimed clip cannot be truncated")
        turns = tuple(t for t in self.turns if t.end <= max_seconds)
        refs = tuple((leg, " ".join(t.text for t in turns if t.leg == leg)) for leg in self.legs)
        return Item(self.file, self.path, self.lang, max_seconds, self.channels, self.legs, refs, turns)

    def cut_points(self) -> list[float]:
        """Times where no leg speaks (0 and the middle of every gap between turns): where a call may be
        rotated without cutting a turn (see `rotated`)."""
        turns = sorted(self.turns, key=lambda t: t.start)
        points, reach = [0.0], 0.0
        for prev, nxt in itertools.pairwise(turns):
            reach = max(reach, prev.end)
            if nxt.start > reach:
                points.append(round((reach + nxt.start) / 2, 3))
        return points

    def rotated(self, at: float, gap_s: float = WRAP_GAP_S) -> Item:
        """The same call started `at` seconds in (a cut point), its beginning moved to the end after `gap_s`
        of silence (so the speaker of the last and the first turn does not run them together): turns keep
        their words and lengths, and calls with different rotations end their turns at different times."""
        if not self.turns or at == 0:
            return self
        if at not in self.cut_points():
            raise ManifestError(f"{self.file}: {at} s is not a cut point between turns")
        length = self.seconds + gap_s

        def moved(t: float) -> float:
            return round(t - at if t >= at else t - at + length, 3)

        turns = tuple(
            Turn(t.leg, moved(t.start), round(moved(t.start) + t.end - t.start, 3), t.text) for t in self.turns
        )
        refs = tuple(
            (leg, " ".join(t.text for t in sorted(turns, key=lambda t: t.start) if t.leg == leg)) for leg in self.legs
        )
        return Item(self.file, self.path, self.lang, round(length, 3), self.channels, self.legs, refs, turns)


def legs_for(channels: int) -> tuple[str, ...]:
    """Leg names by channel count, as the gateway's defaults name them."""
    return ("caller",) if channels == 1 else ("agent", "caller")


def read_turns(path: Path, legs: tuple[str, ...]) -> tuple[Turn, ...]:
    """The per-turn reference file of a two-leg call."""
    try:
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        return tuple(
            Turn(legs[CHANNEL_LEGS[r["channel"]]], float(r["start_s"]), float(r["end_s"]), r["text"]) for r in rows
        )
    except (OSError, KeyError, ValueError, IndexError) as exc:
        raise ManifestError(f"{path}: unreadable turn file ({exc})") from exc


def _item(root: Path, row: dict[str, str]) -> Item:
    path = root / row["file"]
    channels = int(row["channels"])
    legs = legs_for(channels)
    turn_file = path.with_suffix(".tsv")
    if channels == 2 or turn_file.is_file():
        turns = read_turns(turn_file, legs)
        refs = tuple(
            (leg, " ".join(t.text for t in sorted(turns, key=lambda t: t.start) if t.leg == leg)) for leg in legs
        )
    else:
        turns = ()
        refs = ((legs[0], row["reference_text"]),)
    return Item(row["file"], path, row["lang"], float(row["seconds"]), channels, legs, refs, turns)


def load_manifest(path: Path, patterns: list[str] | None = None, languages: list[str] | None = None) -> list[Item]:
    """The manifest's items whose `file` matches any glob in `patterns` (all if None) and language filter."""
    try:
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        items = [_item(path.parent, r) for r in rows]
    except (OSError, KeyError, ValueError) as exc:
        raise ManifestError(f"{path}: unreadable manifest ({exc})") from exc
    chosen = [
        i
        for i in items
        if (patterns is None or any(fnmatch.fnmatch(i.file, p) for p in patterns))
        and (languages is None or i.lang in languages)
    ]
    if not chosen:
        raise ManifestError(f"{path}: no clip matches {patterns} / {languages}")
    return chosen
