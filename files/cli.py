"""`callscribe-transcribe FILE...` (to become `callscribe transcribe`): transcribe recordings from the shell.

Without `--url` the engine is embedded: the bundled model for the language is loaded in this process and
each file is decoded and transcribed window by window (progress per window), redacted by the same pipeline
as the gateway's. With `--url` (the gateway's `ws://host:port/v1/stream` or `http://host:port`) each file is
uploaded to the gateway's `POST /v1/audio/transcriptions` (progress while uploading, then while waiting).
Output goes to stdout, or with `--output-dir` to `<dir>/<file name>.<format>`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tqdm import tqdm

from files.errors import FileError

FORMATS = {"txt": "text", "json": "verbose_json", "srt": "srt", "vtt": "vtt"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="callscribe transcribe", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--language", default="auto", help='ISO code ("en", "nl") or "auto" (default)')
    p.add_argument("--format", default="txt", choices=sorted(FORMATS), help="output format (json: with words)")
    p.add_argument("--url", help="a running gateway (ws://host:port/v1/stream or http://host:port); default: embedded")
    p.add_argument("--token", default=os.environ.get("CALLSCRIBE_TOKEN"), help="bearer token (or CALLSCRIBE_TOKEN)")
    p.add_argument("--consent-basis", help="consent basis sent to the gateway (else the gateway's default)")
    p.add_argument("--model", default="", help="model name (embedded: tiny.en for en, base otherwise)")
    p.add_argument("--prompt", default="", help="text to condition the first window on (names, terms)")
    p.add_argument("--redaction", default="mask", choices=["mask", "pseudonymise", "off"], help="embedded only")
    p.add_argument("--output-dir", type=Path, help="write <dir>/<file>.<format> instead of stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def http_base(url: str) -> str:
    """`ws://h:p/v1/stream` -> `http://h:p` (wss -> https); an http(s) URL keeps its scheme and host."""
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    if scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"--url: expected ws://, wss://, http:// or https://host:port, got {url!r}")
    return urlunsplit((scheme, parts.netloc, "", "", ""))


class Embedded:
    """The engine in this process; models are loaded on first use."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._engines: dict[str, Any] = {}

    def _engine(self) -> Any:
        from asr.config import EngineConfig
        from asr.whisper import WhisperEngine

        name = self.args.model or ("tiny.en" if self.args.language == "en" else "base")
        if name not in self._engines:
            self._engines[name] = WhisperEngine(EngineConfig(model=name))
        return self._engines[name]

    def transcribe(self, path: Path, bar: tqdm[Any]) -> str | dict[str, Any]:
        from asr.longform import LongformDecode
        from files.decode import decode
        from files.pipeline import LegResult, RecordingPipeline
        from files.render import render
        from gateway.core.redaction import CallRedaction
        from privacy import Policy
        from protocol.vocab import SpecialPolicy

        engine = self._engine()
        audio = decode(path.read_bytes(), path.name, mono=True)
        bar.reset(total=round(audio.duration, 1))
        bar.unit = "s"
        leg = LegResult("audio", audio.duration)
        pipeline = RecordingPipeline(CallRedaction(self.args.language, Policy(self.args.redaction), SpecialPolicy.FLAG))
        work = LongformDecode(
            audio.legs[0], self.args.language, self.args.prompt, engine.config.beam_size, self.args.format == "json"
        )
        while not pipeline.stopped:
            step = work.step(engine)
            for segment in step.segments:
                pipeline.add(leg, segment, step.language)
            bar.n = round(step.position_s, 1)
            bar.refresh()
            if step.done:
                break
        return render(FORMATS[self.args.format], leg.finals, audio.duration, work.language, ("word", "segment"))


class Remote:
    """A running gateway's OpenAI-compatible endpoint."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.base = http_base(args.url)

    def transcribe(self, path: Path, bar: tqdm[Any]) -> str | dict[str, Any]:
        import httpx

        data = path.read_bytes()
        fields = {
            "model": self.args.model or "whisper-1",
            "language": "" if self.args.language == "auto" else self.args.language,
            "prompt": self.args.prompt,
            "response_format": FORMATS[self.args.format],
        }
        if self.args.format == "json":
            fields["timestamp_granularities[]"] = "word"
        if self.args.consent_basis:
            fields["consent_basis"] = self.args.consent_basis
        request = httpx.Request(
            "POST",
            self.base + "/v1/audio/transcriptions",
            data=fields,
            files={"file": (path.name, data)},
            headers={"Authorization": f"Bearer {self.args.token or ''}"},
        )
        body = request.read()
        bar.reset(total=len(body))
        bar.unit, bar.unit_scale = "B", True
        step = 1 << 16

        def chunks() -> Iterator[bytes]:
            for i in range(0, len(body), step):
                yield body[i : i + step]
                bar.update(len(body[i : i + step]))
            bar.set_postfix_str("transcribing")

        with httpx.Client(timeout=None) as http:
            response = http.post(request.url, content=chunks(), headers=dict(request.headers))
        if response.status_code != 200:
            try:
                error = response.json()["error"]
                message = f"{error['code']}: {error['message']}"
            except (ValueError, KeyError, TypeError):
                message = response.text[:200]
            raise RuntimeError(f"{path.name}: the gateway answered {response.status_code} ({message})")
        return response.json() if self.args.format == "json" else response.text


def _write(args: argparse.Namespace, path: Path, result: str | dict[str, Any]) -> None:
    text = json.dumps(result, ensure_ascii=False, indent=2) + "\n" if isinstance(result, dict) else result
    if args.output_dir is None:
        sys.stdout.write(text)
        return
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / f"{path.name}.{args.format}").write_text(text)


def main(argv: list[str] | None = None) -> int:
    """Transcribe each FILE; exit 0 when all succeeded, 1 when any failed (each failure on one line)."""
    args = parse_args(argv)
    try:
        backend: Embedded | Remote = Remote(args) if args.url else Embedded(args)
    except ValueError as exc:
        print(f"callscribe transcribe: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for path in args.files:
        with tqdm(desc=path.name, disable=args.quiet, file=sys.stderr, leave=False) as bar:
            try:
                result = backend.transcribe(path, bar)
            except (OSError, FileError, RuntimeError) as exc:
                failed += 1
                message = exc.message if isinstance(exc, FileError) else str(exc)
                print(f"callscribe transcribe: {path}: {message}", file=sys.stderr)
                continue
        _write(args, path, result)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
