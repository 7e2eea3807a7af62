"""`python -m store {verify,rotate,purge,keygen}`: operator commands for the transcript store.

    verify              check the audit hash chain; exit 1 and name the first broken row if it is broken;
                        with --anchor-file, also that the newest anchored head is still there (deleting the
                        newest audit rows is detected only this way)
    anchor              append the audit chain head to --anchor-file now (the gateway does it periodically
                        when StoreConfig.anchor_file is set)
    rotate              rewrap every data key under the current master key (old keys via --old-key-file)
    purge               erase every call past its retention date now
    keygen FILE         write a new random master key (base64) to FILE, mode 0600

The DSN comes from --dsn or CALLSCRIBE_STORE_DSN; the anchor file from --anchor-file or
CALLSCRIBE_AUDIT_ANCHOR; the master key from --master-key-file or
CALLSCRIBE_MASTER_KEY. Rotation without downtime: restart the gateway with the new key as current and the
old one as an old key (reads keep working), run `rotate` (the gateway also does it at start-up), then
drop the old key.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from store.anchor import Anchor, append_anchor, latest_anchor
from store.config import StoreConfig
from store.core import verify_database
from store.db import connect
from store.errors import StoreError
from store.keys import MasterKey, load_keyring, write_key_file
from store.records import chain_head
from store.service import SqlTranscriptStore


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m store", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("command", choices=["verify", "anchor", "rotate", "purge", "keygen"])
    p.add_argument("file", nargs="?", help="keygen: where to write the new key")
    p.add_argument("--dsn", default=os.environ.get("CALLSCRIBE_STORE_DSN"))
    p.add_argument(
        "--anchor-file",
        default=os.environ.get("CALLSCRIBE_AUDIT_ANCHOR"),
        help="audit chain anchors (JSON lines) kept outside the database",
    )
    p.add_argument("--master-key-file", default=None)
    p.add_argument("--old-key-file", action="append", default=[], help="previous master key (repeatable)")
    return p


async def _maintain(command: str, dsn: str, config: StoreConfig) -> int:
    store = await SqlTranscriptStore.open(dsn, config, load_keyring(config, os.environ))
    try:
        count = await (store.rotate() if command == "rotate" else store.purge())
    finally:
        await store.aclose()
    print(f"{command}: {count} call(s)")
    return 0


def _verify(dsn: str, anchor_file: str | None) -> int:
    anchor = latest_anchor(Path(anchor_file)) if anchor_file else None
    db = connect(dsn, create=False)
    try:
        report = verify_database(db, anchor=anchor)
    finally:
        db.close()
    if report.ok:
        anchored = f", anchored head row {anchor.head_id} present" if anchor else " (no anchor checked)"
        print(f"audit chain intact: {report.rows} row(s){anchored}")
        return 0
    print(f"audit chain BROKEN at row {report.broken_at}: {report.reason}")
    return 1


def _anchor(dsn: str, anchor_file: str | None) -> int:
    if not anchor_file:
        print("anchor needs --anchor-file (or CALLSCRIBE_AUDIT_ANCHOR)", file=sys.stderr)
        return 2
    db = connect(dsn, create=False)
    try:
        with db.transaction() as tx:
            head = chain_head(tx)
    finally:
        db.close()
    if head is None:
        print("audit chain empty: nothing to anchor")
        return 0
    append_anchor(Path(anchor_file), Anchor(time.time(), *head))
    print(f"anchored audit head row {head[1]} ({head[0]} row(s)) in {anchor_file}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "keygen":
            if not args.file:
                print("keygen needs a FILE", file=sys.stderr)
                return 2
            key = MasterKey.generate()
            write_key_file(Path(args.file), key)
            print(f"wrote master key {key.key_id} to {args.file}")
            return 0
        if not args.dsn:
            print("no DSN: pass --dsn or set CALLSCRIBE_STORE_DSN", file=sys.stderr)
            return 2
        if args.command == "verify":
            return _verify(args.dsn, args.anchor_file)
        if args.command == "anchor":
            return _anchor(args.dsn, args.anchor_file)
        config = StoreConfig(master_key_file=args.master_key_file, old_master_key_files=tuple(args.old_key_file))
        return asyncio.run(_maintain(args.command, args.dsn, config))
    except (StoreError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
