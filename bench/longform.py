"""`python -m bench.longform`: streamed vs offline WER on long turns, slow talkers, telephone audio, Dutch.

    python -m bench.longform                                  # every set, pace 4, one call at a time
    python -m bench.longform --sets long nl --pace 1          # real time
    python -m bench.longform --vad min_silence_ms=700 --session condition_on_previous=true

Sets: `long` (the long LibriVox clips of shared/audio/extra, 16 kHz and their 8 kHz mu-law copies),
`stretched` (the same with phrase pauses stretched to 0.5-1.5 s), `concat` (the short English clips of
shared/audio/real joined by pauses), `nl` (each Dutch clip, 16 kHz and 8 kHz, and their concatenation),
`short` (the English clips of the main manifest, one by one). Each item is streamed alone through an
in-process gateway over a loopback WebSocket (8 kHz as mu-law, as a PBX sends it), redaction off; the
offline baseline is faster-whisper's own `transcribe` on the same 16 kHz audio, same model, beam 5.
Both are scored with `bench.wer`. Offline texts are cached (they depend only on audio and model).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from bench.audio import Clip
from bench.client import StreamOptions, stream_call
from bench.longform_sets import AUDIO, Item, concat, load, rows, stretch_pauses, telephone
from bench.wer import wer

SETS = ("long", "stretched", "concat", "nl", "short")
TOKEN = "longform-bench-token"


def build(sets: Sequence[str], seed: int = 1) -> list[Item]:
    """The items of the chosen sets, in a fixed order."""
    extra = rows(AUDIO / "extra" / "manifest.tsv")
    main = rows(AUDIO / "manifest.tsv")
    out: list[Item] = []
    long16 = [load(r, "long") for r in extra if r["lang"] == "en" and "_tel8k" not in r["file"]]
    if "long" in sets:
        out += [load(r, "long") for r in extra if r["lang"] == "en"]
    if "stretched" in sets:
        for k, item in enumerate(long16):
            s16 = stretch_pauses(item.samples, 16000, seed + k)
            out.append(Item(item.name + "_stretched", "stretched", "en", 16000, s16, item.reference))
            out.append(Item(item.name + "_stretched_tel8k", "stretched", "en", 8000, telephone(s16), item.reference))
    if "concat" in sets:
        en = [load(r, "concat") for r in main if r["lang"] == "en" and r["file"].startswith("real/")]
        out.append(concat([i for i in en if i.rate == 16000], "real_en_concat", "concat", seed))
        out.append(concat([i for i in en if i.rate == 8000], "real_en_concat_tel8k", "concat", seed))
    if "nl" in sets:
        out += _dutch(main, extra, seed)
    if "short" in sets:
        out += [load(r, "short") for r in main if r["lang"] == "en" and int(r["channels"]) == 1]
    return out


def _dutch(main: list[dict[str, str]], extra: list[dict[str, str]], seed: int) -> list[Item]:
    nl16 = [
        load(r, "nl")
        for r in [*main, *extra]
        if r["lang"] == "nl" and "_tel8k" not in r["file"] and r["file"].startswith(("real/", "extra/"))
    ]
    out: list[Item] = []
    for item in nl16:
        out.append(item)
        out.append(Item(item.name + "_tel8k", "nl", "nl", 8000, telephone(item.samples), item.reference))
    joined = concat(nl16, "nl_concat", "nl", seed)
    out.append(joined)
    out.append(Item("nl_concat_tel8k", "nl", "nl", 8000, telephone(joined.samples), joined.reference))
    return out


def audio16k(item: Item) -> np.ndarray:
    audio = item.samples.astype(np.float32) / 32768.0
    return audio if item.rate == 16000 else soxr.resample(audio, item.rate, 16000).astype(np.float32)


def offline(items: Sequence[Item], engines: dict[str, Any], cache: Path) -> dict[str, str]:
    """Offline faster-whisper text per item (beam 5, language given), cached by audio hash and model."""
    known: dict[str, str] = json.loads(cache.read_text()) if cache.is_file() else {}
    out: dict[str, str] = {}
    for item in items:
        model = "tiny.en" if item.lang == "en" else "base"
        key = f"{model}|{item.rate}|{hashlib.sha1(item.samples.tobytes()).hexdigest()}"
        if key not in known:
            known[key] = engines[model].transcribe_offline(audio16k(item), item.lang)
        out[item.name] = known[key]
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(known, indent=1))
    return out


class _Metered:
    """A `Transcriber` that adds up the engine seconds of finals, fallback included, and of partials (bench only)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.totals: dict[str, float] = {
            "finals": 0,
            "total_s": 0.0,
            "fallback_s": 0.0,
            "fallback_tries": 0,
            "fallback_finals": 0,
            "partials": 0,
            "partial_s": 0.0,
        }

    @property
    def name(self) -> str:
        return str(self.engine.name)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.engine.languages)

    def transcribe_batch(self, requests: Sequence[Any]) -> list[Any]:
        results = list(self.engine.transcribe_batch(requests))
        if requests and requests[0].kind == "final" and results:
            t, tot = results[0].timings, self.totals
            tot["finals"] += len(results)
            tot["total_s"] += t.get("total", 0.0)
            tot["fallback_s"] += t.get("fallback", 0.0)
            tot["fallback_tries"] += t.get("fallback_tries", 0.0)
            tot["fallback_finals"] += t.get("fallback_tries", 0.0) > 0
        elif requests and results:  # partials (with --partials): what the longer utterances cost them
            self.totals["partials"] += len(results)
            self.totals["partial_s"] += results[0].timings.get("total", 0.0)
        return results

    def transcribe_offline(self, audio: Any, language: str) -> str:
        return str(self.engine.transcribe_offline(audio, language))


def _override(obj: Any, pairs: Sequence[str]) -> Any:
    """`dataclasses.replace` from KEY=VALUE strings, each value parsed as the field's current type."""
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        if not hasattr(obj, key):
            raise SystemExit(f"unknown setting {key!r} for {type(obj).__name__}")
        current = getattr(obj, key)
        if isinstance(current, bool):
            changes[key] = raw.lower() in ("1", "true", "yes", "on")
        else:
            changes[key] = type(current)(raw)
    return dataclasses.replace(obj, **changes)


async def stream_all(items: Sequence[Item], args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """Stream each item alone through one in-process gateway; item name -> (final texts, engine seconds)."""
    from asr.config import EngineConfig
    from asr.whisper import WhisperEngine
    from gateway.config import ServerConfig
    from gateway.runtime import Runtime
    from gateway.server import GatewayServer
    from vad.silero import SileroModel

    base = ServerConfig(port=0, tokens={TOKEN: "bench"}, idle_timeout_s=60.0)
    engine_cfg = _override(EngineConfig(cpu_threads=args.threads), args.engine)
    config = dataclasses.replace(
        base, engine=engine_cfg, vad=_override(base.vad, args.vad), session=_override(base.session, args.session)
    )
    engines = {m: _Metered(WhisperEngine(dataclasses.replace(engine_cfg, model=m))) for m in ("tiny.en", "base")}
    server = GatewayServer(Runtime(config, engines, SileroModel.load()))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.01)
    url = f"ws://127.0.0.1:{server.port}/v1/stream"
    texts: dict[str, Any] = {}
    for k, item in enumerate(items):
        clip = Clip(item.samples.reshape(-1, 1), item.rate)
        opts = StreamOptions(
            call_id=f"lf-{k}",
            encoding="mulaw" if item.rate == 8000 else "pcm_s16le",
            language=item.lang,
            pace=args.pace,
            interim_results=args.partials,
            redaction="off",
        )
        t0 = time.monotonic()
        run = await stream_call(url, TOKEN, clip, opts)
        texts[item.name] = {
            "finals": [f["text"] for f in run.finals],
            "close": run.close_code,
            "wall_s": round(time.monotonic() - t0, 2),
        }
        print(f"  {item.name}: {len(run.finals)} finals, {texts[item.name]['wall_s']} s", file=sys.stderr)
    server.should_exit = True
    await task
    return texts, engines


def score(items: Sequence[Item], streamed: dict[str, Any], offline_texts: dict[str, str]) -> list[dict[str, Any]]:
    table = []
    for item in items:
        hyp = " ".join(streamed[item.name]["finals"])
        table.append(
            {
                "set": item.set,
                "clip": item.name,
                "rate": item.rate,
                "seconds": round(item.seconds, 1),
                "words": item.words,
                "finals": len(streamed[item.name]["finals"]),
                "streamed": round(wer([item.reference], [hyp], item.lang), 4),
                "offline": round(wer([item.reference], [offline_texts[item.name]], item.lang), 4),
                "text": hyp,
                "final_texts": streamed[item.name]["finals"],
                "offline_text": offline_texts[item.name],
            }
        )
    return table


def pooled(items: Sequence[Item], table: Sequence[dict[str, Any]], key: str) -> dict[str, float]:
    """Word-weighted WER per (set, rate) group."""
    groups: dict[str, tuple[list[str], list[str], str]] = {}
    for item, row in zip(items, table, strict=True):
        refs, hyps, _ = groups.setdefault(f"{item.set}@{item.rate // 1000}k", ([], [], item.lang))
        refs.append(item.reference)
        hyps.append(row["text" if key == "streamed" else "offline_text"])
    return {g: round(wer(r, h, lang), 4) for g, (r, h, lang) in groups.items()}


def markdown(table: Sequence[dict[str, Any]], items: Sequence[Item]) -> str:
    lines = [
        "| set | clip | kHz | s | words | finals | streamed WER | offline WER |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        lines.append(
            f"| {r['set']} | {r['clip']} | {r['rate'] // 1000} | {r['seconds']} | {r['words']} | "
            f"{r['finals']} | {100 * r['streamed']:.1f} % | {100 * r['offline']:.1f} % |"
        )
    s, o = pooled(items, table, "streamed"), pooled(items, table, "offline")
    lines += ["", "| group (word-weighted) | streamed | offline |", "|---|---|---|"]
    lines += [f"| {g} | {100 * s[g]:.1f} % | {100 * o[g]:.1f} % |" for g in s]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.longform", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    p.add_argument("--only", nargs="+", default=[], help="substrings: keep only items whose name has one")
    p.add_argument("--pace", type=float, default=4.0, help="1 = real time; 0 = as fast as the socket takes")
    p.add_argument("--partials", action="store_true", help="ask for partials too (they cost engine time)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--engine", nargs="*", default=[], metavar="KEY=VALUE", help="EngineConfig overrides")
    p.add_argument("--vad", nargs="*", default=[], metavar="KEY=VALUE", help="VadConfig overrides")
    p.add_argument("--session", nargs="*", default=[], metavar="KEY=VALUE", help="SessionConfig overrides")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "callscribe-bench" / "longform.json")
    p.add_argument("--out", type=Path, help="write the table and texts as JSON here")
    args = p.parse_args(argv)
    items = [i for i in build(args.sets, args.seed) if not args.only or any(s in i.name for s in args.only)]
    from gateway.logs import configure

    configure("warning")  # the in-process gateway's logs: warnings only
    streamed, engines = asyncio.run(stream_all(items, args))
    table = score(items, streamed, offline(items, engines, args.cache))
    print(markdown(table, items))
    meters = {m: e.totals for m, e in engines.items()}
    print("\nengine seconds of finals and partials (fallback = temperature re-decodes):", json.dumps(meters))
    if args.out:
        args.out.write_text(
            json.dumps(
                {"args": {k: str(v) for k, v in vars(args).items()}, "table": table, "engine": meters},
                indent=1,
                ensure_ascii=False,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
