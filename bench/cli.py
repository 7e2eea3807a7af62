"""`python -m bench`: latency, accuracy and capacity of this gateway and its peers, side by side.

    python -m bench run --quick                      # < 2 min: the gateway, 1 and 2 calls, short call
    python -m bench run --systems gateway,whisperlive,whisperlivekit --calls 1 4 --capacity
    python -m bench run --url ws://host:8080/v1/stream --token T --pid 1234   # an already running gateway
    python -m bench run --systems gateway,deepgram --deepgram-url ws://peer:8000/v1/listen --deepgram-key K
    python -m bench peers                            # install the peers into their own venvs
    python -m bench render RESULTS.json --img-dir DIR [--docs FILE]   # redraw plots and tables

Every run writes results.json (every measurement and the machine description), report.md (tables) and
PNG plots into --out (default: a new folder under the bench cache).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import sys
from pathlib import Path

from bench import capacity, peers
from bench.errors import ManifestError, PeerError
from bench.manifest import load_manifest
from bench.pacing import Pacing
from bench.plots import make_plots
from bench.report import machine, markdown, update_doc
from bench.runner import RunConfig, run_all, save_json
from bench.servers import SYSTEMS

DEFAULT_MANIFEST = Path(__file__).resolve().parents[2] / "shared" / "audio" / "manifest.tsv"
DEFAULT_CLIP = "synthetic/synthetic_call_en.wav"


def _run_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run", help="measure systems", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--systems", default="gateway", help=f"comma-separated, of {', '.join(SYSTEMS)}")
    p.add_argument("--calls", type=int, nargs="+", help="concurrency levels (default 1 4; quick: 1 2)")
    p.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    p.add_argument("--clips", nargs="+", help=f"globs over manifest `file` for the latency calls ({DEFAULT_CLIP})")
    p.add_argument("--accuracy-clips", nargs="+", default=[], help="globs: also play each of these once, alone")
    p.add_argument("--lang", nargs="+", help="only clips in these languages")
    p.add_argument("--max-seconds", type=float, help="cut timed clips at this length (quick: 12)")
    p.add_argument("--tail", type=float, help="seconds of silence streamed after each clip (default 3; quick 2)")
    p.add_argument("--frame-ms", type=int, default=20)
    p.add_argument("--stagger", type=float, default=2.0, help="spread call starts over this many seconds")
    p.add_argument("--seed", type=int, default=7, help="seed of the staggered starts (which calls overlap)")
    p.add_argument(
        "--phases",
        choices=["aligned", "random"],
        default="aligned",
        help="aligned: every call plays its clip from the start (turns end together: the worst case); random: "
        "each call starts at a seeded random point between turns, as independent calls do",
    )
    p.add_argument(
        "--background-load", type=int, default=0, metavar="N", help="run N CPU-bound processes beside the systems"
    )
    p.add_argument("--capacity", action="store_true", help="search the largest N that holds")
    p.add_argument("--target", type=float, default=1.2, help="capacity target: p95 final latency (s)")
    p.add_argument("--max-calls", type=int, default=32, help="capacity search ceiling")
    p.add_argument("--min-completion", type=float, default=0.95)
    p.add_argument(
        "--min-turns",
        type=int,
        default=None,
        help="replay calls in waves until each level has this many turns (default: 40 with --capacity, else 0)",
    )
    p.add_argument("--url", help="an already running gateway's stream URL (not started by the bench)")
    p.add_argument("--token", default="bench-token-0123456789")
    p.add_argument("--pid", type=int, help="with --url: the gateway's pid, for CPU and memory")
    p.add_argument("--deepgram-url", help="the deepgram system: a Deepgram-compatible /v1/listen URL")
    p.add_argument("--deepgram-key", help="its key (Authorization: Token); default --token")
    p.add_argument("--model", default="tiny.en", help="model name or CTranslate2 directory, for every system")
    p.add_argument("--gateway-arg", action="append", default=[], help="extra `python -m gateway` argument")
    p.add_argument(
        "--redaction",
        default="off",
        choices=["off", "mask", "pseudonymise", "default"],
        help="the gateway calls' start.redaction (off: WER compares words; default: the deployment's)",
    )
    p.add_argument("--cache", type=Path, default=None, help="peer venvs, offline results (default ~/.cache/...)")
    p.add_argument("--out", type=Path, help="output folder")
    p.add_argument("--img-dir", type=Path, help="where the PNGs go (default: --out)")
    p.add_argument("--docs", type=Path, help="rewrite the generated section of this markdown file")
    p.add_argument("--no-offline", action="store_true", help="skip the offline faster-whisper baseline")
    p.add_argument("--quick", action="store_true", help="a short run (< 2 min on 2 cores)")


def _config(args: argparse.Namespace) -> RunConfig:
    from asr.models import resolve_model

    systems = tuple(s.strip() for s in args.systems.split(",") if s.strip())
    if unknown := [s for s in systems if s not in SYSTEMS]:
        raise SystemExit(f"unknown system(s) {unknown}; choose from {SYSTEMS}")
    items = load_manifest(args.manifest, args.clips or [DEFAULT_CLIP], args.lang)
    max_s = args.max_seconds if args.max_seconds is not None else (12.0 if args.quick else None)
    if max_s is not None:
        items = [i.truncated(max_s) if i.turns else i for i in items]
    accuracy = load_manifest(args.manifest, args.accuracy_clips, args.lang) if args.accuracy_clips else []
    cache = args.cache or peers.default_cache()
    out = args.out or cache / "runs" / datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    tail = args.tail if args.tail is not None else (2.0 if args.quick else 3.0)
    criteria = capacity.Criteria(args.target, args.min_completion, args.max_calls) if args.capacity else None
    if args.min_turns is not None and args.min_turns < 0:
        raise SystemExit(f"--min-turns must be >= 0, not {args.min_turns}")
    return RunConfig(
        systems=systems,
        calls=tuple(args.calls or ([1, 2] if args.quick else [1, 4])),
        items=tuple(items),
        model_name=args.model,
        model_dir=Path(resolve_model(args.model)),
        cache=cache,
        out=out,
        pacing=Pacing(args.frame_ms, tail),
        accuracy_items=tuple(accuracy),
        stagger_s=1.0 if args.quick and args.stagger == 2.0 else args.stagger,
        seed=args.seed,
        phases=args.phases,
        min_turns=args.min_turns if args.min_turns is not None else (40 if args.capacity else 0),
        background_load=args.background_load,
        criteria=criteria,
        url=args.url,
        token=args.token,
        pid=args.pid,
        gateway_args=tuple(args.gateway_arg),
        offline=not args.no_offline,
        redaction=None if args.redaction == "default" else args.redaction,
        deepgram_url=args.deepgram_url,
        deepgram_key=args.deepgram_key,
    )


def _finish(report: dict[str, object], out: Path | None, img_dir: Path, docs: Path | None) -> None:
    """Plots, then the tables (to stdout, `out/report.md` and the docs section); `out` None writes no files."""
    report["plots"] = [str(p) for p in make_plots(report, img_dir)]
    prefix = (str(img_dir.relative_to(docs.parent)) + "/") if docs and img_dir.is_relative_to(docs.parent) else ""
    section = markdown(report, prefix or f"{img_dir}/")
    if out is not None:
        save_json(report, out / "results.json")
        (out / "report.md").write_text(section)
        print(f"results: {out / 'results.json'}; plots: {img_dir}", file=sys.stderr)
    if docs is not None:
        update_doc(docs, section)
    print(section)


def cmd_run(args: argparse.Namespace) -> int:
    try:
        cfg = _config(args)
    except ManifestError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    cfg.out.mkdir(parents=True, exist_ok=True)
    report = asyncio.run(run_all(cfg, machine(), lambda r: save_json(r, cfg.out / "results.json")))
    _finish(report, cfg.out, (args.img_dir or cfg.out).resolve(), args.docs.resolve() if args.docs else None)
    failed = [n for n, s in report["systems"].items() if s.get("error")]
    return 1 if failed and len(failed) == len(report["systems"]) else 0


def cmd_peers(args: argparse.Namespace) -> int:
    cache = args.cache or peers.default_cache()
    for recipe in peers.RECIPES.values():
        try:
            print(f"{recipe.name}: {peers.install(recipe, cache)}")
        except PeerError as exc:
            print(f"{recipe.name}: NOT installed: {exc}", file=sys.stderr)
            return 1
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    """Redraw the plots and tables of a results.json (and the docs section) without measuring again."""
    report = json.loads(args.results.read_text())
    _finish(report, None, args.img_dir.resolve(), args.docs.resolve() if args.docs else None)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m bench`."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _run_parser(sub)
    pp = sub.add_parser("peers", help="install WhisperLive and WhisperLiveKit into their own venvs")
    pp.add_argument("--cache", type=Path)
    pr = sub.add_parser("render", help="redraw the plots and tables of a results.json")
    pr.add_argument("results", type=Path)
    pr.add_argument("--img-dir", type=Path, required=True)
    pr.add_argument("--docs", type=Path, help="rewrite the generated section of this markdown file")
    args = parser.parse_args(argv)
    return {"run": cmd_run, "peers": cmd_peers, "render": cmd_render}[args.command](args)
