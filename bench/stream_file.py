"""`callscribe-stream`: stream a WAV file to a gateway as a live call and print what comes back.

callscribe-stream ../shared/audio/real/jfk.wav --token TOKEN
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bench.audio import read_wav
from bench.client import Received, StreamOptions, stream_call
from protocol.codec import Mode


def _print(item: Received, t0: float) -> None:
    m = item.msg
    t = item.at - t0
    kind = m.get("type")
    if kind == "partial":
        print(f"{t:7.2f}s  partial [{m['leg']}] {m['text']}", flush=True)
    elif kind == "final":
        print(f"{t:7.2f}s  FINAL #{m['seq']} [{m['leg']} {m['start']:.2f}-{m['end']:.2f}] {m['text']}", flush=True)
    else:
        print(f"{t:7.2f}s  {kind}: {m}", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="callscribe-stream", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("wav", help="16-bit PCM WAV, mono or stereo (left = agent, right = caller)")
    p.add_argument("--url", default="ws://127.0.0.1:8080/v1/stream")
    p.add_argument("--token", required=True)
    p.add_argument("--language", default="en", help="en, nl, ... or auto")
    p.add_argument("--encoding", default="pcm_s16le", choices=["pcm_s16le", "mulaw", "alaw"])
    p.add_argument("--msgpack", action="store_true", help="use the transcribe.v1.msgpack subprotocol")
    p.add_argument("--pace", type=float, default=1.0, help="1 = real time, 0 = as fast as possible")
    p.add_argument("--call-id", default="demo-call")
    args = p.parse_args(argv)
    clip = read_wav(args.wav)
    options = StreamOptions(
        call_id=args.call_id,
        encoding=args.encoding,
        language=args.language,
        mode=Mode.MSGPACK if args.msgpack else Mode.JSON,
        pace=args.pace,
    )
    import time

    t0 = time.monotonic()
    run = asyncio.run(stream_call(args.url, args.token, clip, options, lambda r: _print(r, t0)))
    print(f"closed with code {run.close_code}", file=sys.stderr)
    return 0 if run.close_code == 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
