"""The JSON shape of insights (schema version 1), for the store, the HTTP endpoint and the CRM webhook.

`to_dict(insights, contacts=False)` is what may be displayed (redacted text only, no contact details);
`contacts=True` adds the contact details, for the encrypted store and the CRM delivery only.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from insights.model import Agreement, Contact, Due, Insights, SpanSentiment, UtteranceSentiment

VERSION = 1
TOP_KEYS = ("version", "call_id", "language", "summary", "abstract", "reason", "outcome", "agreements", "sentiment")


def to_dict(insights: Insights, contacts: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": VERSION,
        "call_id": insights.call_id,
        "language": insights.language,
        "summary": insights.summary,
        "abstract": insights.abstract,
        "reason": insights.reason,
        "outcome": insights.outcome,
        "agreements": [
            {"owner": a.owner, "what": a.what, "due": asdict(a.due) if a.due else None, "utterance": a.utterance}
            for a in insights.agreements
        ],
        "sentiment": {
            "call": asdict(insights.call),
            "legs": {k: asdict(v) for k, v in insights.legs.items()},
            "utterances": [asdict(u) for u in insights.utterances],
        },
    }
    if contacts:
        body["contacts"] = [
            {"kind": c.kind, "value": c.value, "utterance": c.utterance, "role": c.role} for c in insights.contacts
        ]
    return body


def from_dict(tenant: str, body: dict[str, Any]) -> Insights:
    """The inverse of `to_dict(..., contacts=True)` (contacts default to none when absent)."""
    s = body["sentiment"]
    return Insights(
        tenant=tenant,
        call_id=body["call_id"],
        language=body["language"],
        summary=body["summary"],
        reason=body["reason"],
        outcome=body["outcome"],
        agreements=tuple(
            Agreement(a["owner"], a["what"], Due(**a["due"]) if a["due"] else None, a["utterance"])
            for a in body["agreements"]
        ),
        contacts=tuple(Contact(c["kind"], c["value"], c["utterance"], c["role"]) for c in body.get("contacts", [])),
        utterances=tuple(UtteranceSentiment(**u) for u in s["utterances"]),
        legs={k: SpanSentiment(**v) for k, v in s["legs"].items()},
        call=SpanSentiment(**s["call"]),
        abstract=body.get("abstract"),
    )
