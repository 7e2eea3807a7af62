"""Call events as records on the cross-node bus (pure): what may leave a node, and nothing else.

Only what a caption viewer of another node may see travels: `CallOpened` (the `Start` without its
`caller`: a phone number never leaves the node holding the call), `ConsentChanged`, `Sent` for partials
and finals (already redacted; `raw_text` never travels), `ConnectionClosed` and `CallErased`. Records are
msgpack maps of plain values, never pickles: a node trusts the bus only to carry data.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import msgpack

from gateway.core.events import CallErased, CallEvent, CallOpened, ConnectionClosed, ConsentChanged, EraseReason, Sent
from protocol.codec import Mode, parse_text
from protocol.messages import Final, Partial, Redaction, Start, Word
from protocol.serialize import client_to_dict, server_to_dict


class BadRecord(ValueError):
    """A bus record this node cannot read (another version, or not ours): skipped and counted."""


def encode(event: CallEvent, node: str) -> bytes | None:
    """The record for `event`, or None for an event that stays on this node."""
    head: dict[str, Any] = {"node": node, "tenant": event.tenant, "call_id": event.call_id}
    if isinstance(event, CallOpened):
        start = dataclasses.replace(event.start, caller=None)
        body: dict[str, Any] = {"kind": "opened", "start": client_to_dict(start), "resumed": event.resumed}
    elif isinstance(event, ConsentChanged):
        body = {"kind": "consent", "state": str(event.state), "at": event.at, "initial": event.initial}
    elif isinstance(event, Sent) and isinstance(event.message, Partial | Final):
        body = {"kind": "sent", "message": server_to_dict(event.message)}
    elif isinstance(event, ConnectionClosed):
        body = {"kind": "closed", "finals": event.finals, "resumable": event.resumable}
    elif isinstance(event, CallErased):
        body = {"kind": "erased", "reason": str(event.reason)}
    else:
        return None
    packed: bytes = msgpack.packb(head | body, use_bin_type=True)
    return packed


def decode(record: bytes) -> tuple[str, CallEvent]:
    """(origin node, event) of a record; raises `BadRecord`."""
    try:
        obj = msgpack.unpackb(record, raw=False)
        node, tenant, call_id, kind = obj["node"], obj["tenant"], obj["call_id"], obj["kind"]
        return str(node), _event(kind, str(tenant), str(call_id), obj)
    except BadRecord:
        raise
    except Exception as exc:  # any malformed record: never let the bus crash a node
        raise BadRecord(f"unreadable bus record ({type(exc).__name__})") from None


def _event(kind: str, tenant: str, call_id: str, obj: dict[str, Any]) -> CallEvent:
    if kind == "opened":
        start = parse_text(json.dumps(obj["start"]), Mode.JSON)
        if not isinstance(start, Start):
            raise BadRecord("opened: not a start")
        return CallOpened(tenant, call_id, start, int(obj["resumed"]), "remote")
    if kind == "consent":
        return ConsentChanged(tenant, call_id, obj["state"], float(obj["at"]), None, bool(obj["initial"]))
    if kind == "sent":
        return Sent(tenant, call_id, _message(obj["message"]))
    if kind == "closed":
        return ConnectionClosed(tenant, call_id, int(obj["finals"]), bool(obj["resumable"]))
    if kind == "erased":
        return CallErased(tenant, call_id, EraseReason(obj["reason"]))
    raise BadRecord(f"unknown record kind {kind!r}")


def _message(d: dict[str, Any]) -> Partial | Final:
    if d["type"] == "partial":
        return Partial(
            d["leg"], d["utterance_id"], d["text"], float(d["start"]), float(d["end"]), int(d.get("stable_chars", 0))
        )
    if d["type"] == "final":
        words = tuple(
            Word(w["word"], float(w["start"]), float(w["end"]), float(w["probability"])) for w in d.get("words", ())
        )
        reds = tuple(Redaction(r["kind"], int(r["start"]), int(r["end"])) for r in d.get("redactions", ()))
        return Final(
            int(d["seq"]),
            d["leg"],
            d["utterance_id"],
            d["text"],
            float(d["start"]),
            float(d["end"]),
            d["language"],
            words,
            reds,
            tuple(d.get("special", ())),
        )
    raise BadRecord(f"sent: unexpected message type {d['type']!r}")


def encode_command(node: str, tenant: str, call_id: str, event: str, announcement: str | None) -> bytes:
    """A consent command for whichever node holds the call (the consent API of another node sent it)."""
    packed: bytes = msgpack.packb(
        {"node": node, "tenant": tenant, "call_id": call_id, "event": event, "announcement": announcement},
        use_bin_type=True,
    )
    return packed


def decode_command(record: bytes) -> tuple[str, str, str, str, str | None]:
    """(origin node, tenant, call_id, consent event, announcement); raises `BadRecord`."""
    try:
        obj = msgpack.unpackb(record, raw=False)
        announcement = obj.get("announcement")
        return (
            str(obj["node"]),
            str(obj["tenant"]),
            str(obj["call_id"]),
            str(obj["event"]),
            None if announcement is None else str(announcement),
        )
    except Exception as exc:
        raise BadRecord(f"unreadable command record ({type(exc).__name__})") from None
