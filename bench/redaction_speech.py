"""Redaction measured on recognised speech: `python -m bench.redaction_speech [--lang en nl]`.

Every item of :mod:`bench.redaction_items` is synthesised with espeak-ng (several voices, variants and
speeds; SYNTHETIC speech, 8 kHz, telephone band), streamed as a call over a real WebSocket to an
in-process gateway with the real models (tiny.en for English, base for Dutch) and the default
redaction, as 8 kHz mu-law, and every partial and final that comes back is checked:

* *clear*: an item whose partials or finals show a run of >= 4 digits (after spoken-number
  normalisation, groups joined by spaces, commas, dots or hyphens), or one of its secrets (an e-mail
  label, a surname, a run of spelled letters) -- target 0;
* *typed*: an item whose finals carry the token of its kind (`[IBAN]`, `[PHONE]`, ...);
* *over-masking*: on the clean items and the shared real clips (streamed with redaction off, then
  redacted as the gateway does) and on the real clips' reference transcripts, the share of words the
  redactor replaced -- target <= 2 % (the real clips do hold a few names).

Audio is cached under `.cache/redaction_speech/` (gitignored); the report (JSON, with every leaked
text) goes next to it.  `--per-kind N` and `--clean N` bound the run; `--concurrency` and `--pace`
set how calls are streamed.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.audio import read_wav
from bench.client import CallRun, StreamOptions, stream_call
from bench.redaction_items import KINDS, TOKENS, Item, items
from privacy import Redactor
from privacy.numbers import normalise

__all__ = ["Outcome", "clear_in", "digit_leak", "main", "score"]

CACHE = Path(".cache/redaction_speech")
AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"
VOICES = {
    "en": ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us+f2", "en-gb+m3", "en-us+f4"],
    "nl": ["nl", "nl+f2", "nl+m3", "nl+f4", "nl+m1"],
}
SPEEDS = (140, 160, 180)
MODELS = {"en": "tiny.en", "nl": "base"}
_DIGIT_RUN = re.compile(r"\d(?:[ \t]*[,.\-]?[ \t]*\d){3,}")
_SPELLED = re.compile(r"(?<![\w'])[A-Za-z](?:[ \t,.\-]+[A-Za-z](?![\w'])){2,}")
_TOKEN = re.compile(r"\[[A-Z_:a-z0-9]+\]")
_TOKEN_TEXT = "bench-redaction-token"


def synthesise(item: Item, index: int, cache: Path) -> tuple[Path, str]:
    """The item's SYNTHETIC 8 kHz mono WAV (cached) and the voice/speed it was read with."""
    voices = VOICES[item.language]
    voice, speed = voices[index % len(voices)], SPEEDS[(index // len(voices)) % len(SPEEDS)]
    digest = hashlib.sha256(f"{item.text}|{voice}|{speed}".encode()).hexdigest()[:16]
    out = cache / "audio" / f"{item.id}-{digest}.wav"
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        raw = out.with_suffix(".raw.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), item.text], check=True)
        subprocess.run(
            ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out), "sinc", "300-3400", "pad", "0.3", "0.8"],
            check=True,
        )
        raw.unlink()
    return out, f"{voice}@{speed}"


def digit_leak(text: str) -> str | None:
    """The first run of >= 4 digits ``text`` shows in clear after spoken-number normalisation, or None."""
    found = _DIGIT_RUN.search(normalise(_TOKEN.sub(" ", text)).text)
    return None if found is None else found.group()


def clear_in(text: str, item: Item) -> bool:
    """Whether ``text`` shows any part of the item's identifier in clear (see the module docstring)."""
    if digit_leak(text) is not None:
        return True
    bare = _TOKEN.sub(" ", text)
    if item.kind == "name" and _SPELLED.search(bare):
        return True
    return any(re.search(rf"(?<!\w){re.escape(s)}(?!\w)", bare, re.IGNORECASE) for s in item.secrets if not s.isdigit())


@dataclass(slots=True)
class Outcome:
    """What came back for one item."""

    item: Item
    voice: str
    partials: list[str] = field(default_factory=list)
    finals: list[str] = field(default_factory=list)

    @property
    def leaked_partial(self) -> bool:
        return any(clear_in(t, self.item) for t in self.partials)

    @property
    def leaked_final(self) -> bool:
        return any(clear_in(t, self.item) for t in self.finals)

    @property
    def typed(self) -> bool:
        return TOKENS[self.item.kind] in " ".join(self.finals)


def masked_words(text: str, language: str) -> tuple[int, int]:
    """(words, words overlapping a redaction) of ``text`` redacted by a fresh per-call redactor."""
    spans = Redactor(language).redact(text).original_spans
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    hit = sum(1 for a, b in words if any(s.start < b and a < s.end for s in spans))
    return len(words), hit


async def _stream_all(
    url: str, token: str, work: Sequence[tuple[Item, Path, str]], concurrency: int, pace: float
) -> list[Outcome]:
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int, item: Item, path: Path, voice: str) -> Outcome:
        clip = read_wav(path)
        options = StreamOptions(
            call_id=f"{item.id}-{n}",
            encoding="mulaw" if clip.rate == 8000 else "pcm_s16le",
            language=item.language,
            pace=pace,
            redaction="off" if item.kind in ("clean", "real") else None,
        )
        async with gate:
            run: CallRun = await stream_call(url, token, clip, options)
        return Outcome(item, voice, [p["text"] for p in run.partials], [f["text"] for f in run.finals])

    return list(await asyncio.gather(*(one(n, *w) for n, w in enumerate(work))))


async def _run_gateway(work: Sequence[tuple[Item, Path, str]], concurrency: int, pace: float) -> list[Outcome]:
    """Start the real gateway in-process on a loopback port, stream everything, stop it."""
    from asr.config import EngineConfig
    from asr.whisper import WhisperEngine
    from gateway.config import ServerConfig
    from gateway.runtime import Runtime
    from gateway.server import GatewayServer
    from vad.silero import SileroModel

    engines = {name: WhisperEngine(EngineConfig(model=name, cpu_threads=2)) for name in sorted(set(MODELS.values()))}
    config = ServerConfig(port=0, tokens={_TOKEN_TEXT: "bench"}, idle_timeout_s=60.0, max_calls=max(64, concurrency))
    server = GatewayServer(Runtime(config, dict(engines), SileroModel.load()))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        return await _stream_all(f"ws://127.0.0.1:{server.port}/v1/stream", _TOKEN_TEXT, work, concurrency, pace)
    finally:
        server.should_exit = True
        await task


def _share(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.0f} %)" if d else "-"


def score(outcomes: Sequence[Outcome], language: str, references: Sequence[str]) -> dict[str, Any]:
    """Per-kind clear/typed shares and over-masking, as a JSON-able dict."""
    table: dict[str, Any] = {}
    for kind in KINDS:
        rows = [o for o in outcomes if o.item.kind == kind]
        if rows:
            table[kind] = {
                "items": len(rows),
                "clear_any": sum(o.leaked_partial or o.leaked_final for o in rows),
                "clear_partial": sum(o.leaked_partial for o in rows),
                "clear_final": sum(o.leaked_final for o in rows),
                "typed": sum(o.typed for o in rows),
            }
    clean = [o for o in outcomes if o.item.kind == "clean"]
    over = [masked_words(" ".join(o.finals), language) for o in clean]
    real = [masked_words(" ".join(o.finals), language) for o in outcomes if o.item.kind == "real"]
    refs = [masked_words(t, language) for t in references]
    return {
        "language": language,
        "kinds": table,
        "over_masking": {
            "synthetic_clean": [sum(w for w, _ in over), sum(m for _, m in over)],
            "real_clip_references": [sum(w for w, _ in refs), sum(m for _, m in refs)],
            "real_clips_recognised": [sum(w for w, _ in real), sum(m for _, m in real)],
        },
        "leaks": [
            {"id": o.item.id, "voice": o.voice, "texts": [t for t in o.partials + o.finals if clear_in(t, o.item)]}
            for o in outcomes
            if o.item.kind in KINDS and (o.leaked_partial or o.leaked_final)
        ],
        "outcomes": [{"id": o.item.id, "voice": o.voice, "finals": o.finals, "partials": o.partials} for o in outcomes],
        "masked_references": [m for t in references if _TOKEN.search(m := Redactor(language).redact(t).text)],
        "masked_clean": [
            masked for o in clean if _TOKEN.search(masked := Redactor(language).redact(" ".join(o.finals)).text)
        ],
    }


def render(report: dict[str, Any]) -> str:
    """The report as a Markdown table."""
    lines = [
        f"### {report['language']} ({MODELS[report['language']]})",
        "",
        "| kind | items | clear in any partial/final | in partials | in finals | correctly typed |",
        "|---|---|---|---|---|---|",
    ]
    for kind, r in report["kinds"].items():
        lines.append(
            f"| {kind} | {r['items']} | {_share(r['clear_any'], r['items'])} | "
            f"{_share(r['clear_partial'], r['items'])} | {_share(r['clear_final'], r['items'])} | "
            f"{_share(r['typed'], r['items'])} |"
        )
    total = sum(r["items"] for r in report["kinds"].values())
    clear = sum(r["clear_any"] for r in report["kinds"].values())
    typed = sum(r["typed"] for r in report["kinds"].values())
    lines.append(f"| **all** | {total} | {_share(clear, total)} | | | {_share(typed, total)} |")
    for name, (words, masked) in report["over_masking"].items():
        lines.append(f"\nover-masking, {name.replace('_', ' ')}: {_share(masked, words)} words masked")
    return "\n".join(lines)


def _manifest(language: str) -> list[dict[str, str]]:
    """The shared audio manifests' rows of ``language``, extra/ included (none when the audio is absent)."""
    rows: list[dict[str, str]] = []
    for manifest in (AUDIO / "manifest.tsv", AUDIO / "extra" / "manifest.tsv"):
        if manifest.is_file():
            with manifest.open() as f:
                rows += [r for r in csv.DictReader(f, delimiter="\t") if r["lang"] == language]
    return rows


def _is_real(file: str) -> bool:
    """Real speech: every clip in real/, and the 8 kHz telephone copies of the long clips in extra/."""
    return file.startswith("real/") or (file.startswith("extra/") and "_tel8k" in file)


def _real_clips(language: str) -> list[tuple[Item, Path, str]]:
    """The shared real clips of ``language`` as work items (streamed with redaction off, for over-masking)."""
    return [
        (Item(f"real:{r['file']}", language, "real", r["reference_text"], ()), AUDIO / r["file"], "real speech")
        for r in _manifest(language)
        if _is_real(r["file"])
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.redaction_speech",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--lang", nargs="+", default=["en", "nl"], choices=["en", "nl"])
    p.add_argument("--per-kind", type=int, default=10, help="identifier items per kind (6 kinds)")
    p.add_argument("--clean", type=int, default=20, help="clean items (over-masking), at most 20")
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--pace", type=float, default=1.0, help="1.0: real time (partials as a PBX would get)")
    p.add_argument("--cache", type=Path, default=CACHE)
    p.add_argument("--no-real", dest="real", action="store_false", help="skip the shared real clips")
    args = p.parse_args(argv)
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        print("error: espeak-ng and sox are needed (apt-get install espeak-ng sox)", file=sys.stderr)
        return 2
    from gateway.logs import configure

    configure("warning")
    work = []
    for language in args.lang:
        chosen = [i for i in items(language, args.per_kind) if i.kind != "clean"]
        chosen += [i for i in items(language, 0) if i.kind == "clean"][: args.clean]
        work += [(item, *synthesise(item, n, args.cache)) for n, item in enumerate(chosen)]
        work += _real_clips(language) if args.real else []
    outcomes = asyncio.run(_run_gateway(work, args.concurrency, args.pace))
    for language in args.lang:
        references = list(dict.fromkeys(r["reference_text"] for r in _manifest(language) if _is_real(r["file"])))
        report = score([o for o in outcomes if o.item.language == language], language, references)
        (args.cache / f"report-{language}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
        print(render(report) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
