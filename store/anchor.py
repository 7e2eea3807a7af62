"""Anchoring the audit chain outside the database, so that deleting its newest rows is detected.

Theory of operation
-------------------
The hash chain (:mod:`store.audit`) shows any edit or deletion *inside* the trail, but not the removal
of its newest rows: what is left is still a valid chain.  So the chain head (row count, id and hash of
the newest row) is appended, as one JSON line, to an *anchor file* that lives outside the database
(another disk, a write-once bucket mount, a log shipper's input).  The gateway does it every
``StoreConfig.anchor_interval_s`` when ``StoreConfig.anchor_file`` is set (and also POSTs the head as
JSON to ``StoreConfig.anchor_webhook`` when that is set: a witness outside this host; a failed POST is
logged and retried next interval), and ``python -m store anchor`` does it on demand.
``python -m store verify --anchor-file FILE`` then also checks that the newest anchored row is still
in the chain with the same hash: a chain shorter than the anchor, or one whose anchored row changed,
is reported broken.  The file holds no transcript text and no subject ids.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from store.audit import AuditRow, ChainReport
from store.errors import StoreError

__all__ = ["Anchor", "append_anchor", "check_anchor", "head_of", "latest_anchor", "post_anchor"]


@dataclass(frozen=True, slots=True)
class Anchor:
    """The chain head at time ``at`` (Unix seconds): ``rows`` rows, the newest ``head_id`` / ``head_hash``."""

    at: float
    rows: int
    head_id: int
    head_hash: str


def head_of(rows: Sequence[AuditRow], at: float) -> Anchor | None:
    """The anchor for a chain (None for an empty one)."""
    if not rows:
        return None
    return Anchor(at, len(rows), rows[-1].id, rows[-1].hash)


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Append ``anchor`` as one JSON line and fsync (the file only ever grows)."""
    line = json.dumps(asdict(anchor), sort_keys=True, separators=(",", ":")) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def post_anchor(url: str, anchor: Anchor, timeout_s: float = 5.0) -> None:
    """POST ``anchor`` as JSON to ``url`` (a second, independent witness); OSError when it fails."""
    body = json.dumps(asdict(anchor), sort_keys=True).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:  # the operator-configured URL
        if not 200 <= response.status < 300:
            raise OSError(f"anchor webhook answered {response.status}")


def latest_anchor(path: Path) -> Anchor | None:
    """The last anchor in the file (None when the file has none); StoreError when it is unreadable."""
    if not path.is_file():
        raise StoreError(f"anchor file {path} does not exist")
    last = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            last = Anchor(float(data["at"]), int(data["rows"]), int(data["head_id"]), str(data["head_hash"]))
        except (ValueError, KeyError, TypeError):
            raise StoreError(f"anchor file {path} line {number} is not an anchor") from None
    return last


def check_anchor(rows: Sequence[AuditRow], report: ChainReport, anchor: Anchor | None) -> ChainReport:
    """``report`` (of ``rows``), or a broken report when the anchored head is missing or changed."""
    if not report.ok or anchor is None:
        return report
    row = next((r for r in rows if r.id == anchor.head_id), None)
    if row is None or len(rows) < anchor.rows:
        return ChainReport(
            report.rows, anchor.head_id, f"anchored row {anchor.head_id} is missing: the newest audit rows were deleted"
        )
    if row.hash != anchor.head_hash:
        return ChainReport(report.rows, anchor.head_id, f"anchored row {anchor.head_id} no longer matches its hash")
    return report
