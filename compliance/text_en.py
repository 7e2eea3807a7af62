"""The English compliance texts (pure: :class:`compliance.facts.Facts` in, Markdown out)."""

from __future__ import annotations

from compliance.facts import Facts, Purpose

__all__ = ["SECTIONS"]

_BASIS = {
    "legitimate_interest": "legitimate interest (GDPR art. 6(1)(f)), with the right to object by key press",
    "contract": "performance of a contract (GDPR art. 6(1)(b))",
    "legal_obligation": "legal obligation (GDPR art. 6(1)(c))",
    "consent": "consent (GDPR art. 6(1)(a))",
}
_PURPOSE = {
    "quality": "quality monitoring",
    "training": "staff training",
    "complaint": "complaint handling",
    "legal": "evidence and compliance",
    "evidence": "recording agreements",
}
_REDACTION = {
    "mask": "replaced by a label such as [PHONE]",
    "pseudonymise": "replaced by a stable per-call pseudonym",
    "off": "NOT removed (redaction is off)",
}
_SPECIAL = {
    "flag": "flagged, but the text stays and is stored",
    "mask": "replaced sentence by sentence by [SPECIAL:<category>]",
    "stop": "replaced, and transcription of the whole call stops",
    "off": "not looked for",
}


def purpose_name(p: Purpose) -> str:
    return _PURPOSE.get(p.name, p.name)


def _days(days: float | None) -> str:
    return "not stored" if days is None else f"{days:g} days"


def _purpose_list(f: Facts) -> str:
    return ", ".join(purpose_name(p) for p in f.purposes) or "no declared purpose"


def register(f: Facts) -> list[str]:
    """The art. 30 record of processing activities."""
    lines = [
        "## Record of processing (GDPR art. 30): AI transcription of phone calls",
        "",
        f"- **Controller:** {f.controller} (contact: {f.contact})",
        f"- **Purposes:** {_purpose_list(f)}",
        "- **Categories of data subjects:** callers (customers, leads) and the employees who take the calls",
        "- **Categories of personal data:** the transcribed text of the call (no audio), times, the declared "
        "purposes, the caller's number only as a keyed hash; names, phone numbers, IBANs, citizen service "
        f"numbers, e-mail addresses and long digit runs are {_REDACTION[f.redaction]}",
        f"- **Special categories:** mentions (health, religion, ...) are {_SPECIAL[f.special]}",
        "",
        "| purpose | legal basis | retention | recipients |",
        "|---|---|---|---|",
    ]
    for p in f.purposes:
        who = ", ".join(p.recipients) or "authorised staff of the organisation only"
        lines.append(f"| {purpose_name(p)} | {_BASIS[p.basis]} | {_days(p.retention_days)} | {who} |")
    lines += [
        "",
        "- **Processors:** none for transcription, which runs on own hardware with open models; the "
        "telecom provider that delivers the audio is a processor and its data processing agreement must "
        "say so",
        "- **Transfers outside the EEA:** none",
        f"- **Security measures:** {security(f)}",
    ]
    return lines


def security(f: Facts) -> str:
    parts = [
        "personal data is removed from the text before it leaves the gateway",
        "every stored transcript is encrypted with its own key (AES-256-GCM) and erased by destroying that key",
        "reads need an admin token and a declared purpose",
        "every read, export and erasure is written to a hash-chained audit log",
    ]
    if f.anchored:
        parts.append("the head of that chain is periodically written outside the database")
    if f.mask_digit_runs:
        parts.append(f"every run of {f.mask_digit_runs} or more digits is masked, even when speech recognition errs")
    return "; ".join(parts)


def statement(f: Facts) -> list[str]:
    """The privacy-statement paragraph."""
    retention = "; ".join(f"{purpose_name(p)}: {_days(p.retention_days)}" for p in f.purposes)
    bases = "; ".join(f"{purpose_name(p)}: {_BASIS[p.basis]}" for p in f.purposes)
    return [
        "## Privacy statement: AI transcription",
        "",
        f"{f.controller} has phone calls transcribed by an AI on its own servers, for {_purpose_list(f)}. "
        "We keep only the text, never a recording; names, numbers and other personal data are removed first. "
        "We look only at what is said, not how (no emotion recognition). "
        f"Legal basis per purpose: {bases}. Retention per purpose: {retention}; after that the transcript is "
        "deleted automatically. We do not share transcripts with third parties or transfer them outside the EEA.",
        "",
        "You can always obtain a copy of the transcripts of your calls (GDPR art. 15) and have them erased "
        f"(art. 17). E-mail {f.contact} with the phone number you called from; we look your calls up by that "
        "number and send you the transcripts, or confirm their erasure, within one month. During the call you "
        f"can refuse processing by pressing {f.opt_out_digit}.",
    ]


def announcements(f: Facts) -> list[str]:
    """The announcement texts for inbound and outbound calls."""
    why = _purpose_list(f)
    keep = f.longest_retention_days
    kept = f"We keep the text for at most {keep:g} days." if keep else "We do not keep the text."
    return [
        "## Announcements",
        "",
        "**Inbound call:**",
        "",
        f"> This call is processed by an AI and transcribed for {why}. {kept} "
        f"If you do not want this, press {f.opt_out_digit} now.",
        "",
        "**Outbound call:**",
        "",
        f"> This is {f.controller} calling. This call is processed by an AI and transcribed for {why}. {kept} "
        f"If you do not want this, press {f.opt_out_digit}; the call continues without transcription.",
    ]


def colleagues(f: Facts) -> list[str]:
    """The notice for colleagues and the works council."""
    return [
        "## Notice to employees and the works council",
        "",
        f"From [date], phone calls with customers are transcribed by an AI for {_purpose_list(f)}. This runs on "
        "our own servers; nothing goes to a cloud service. No audio is kept, only the text, without the caller's "
        "personal data. Transcripts are kept for the periods above and can only be read with an admin token and a "
        "declared purpose; every read is logged. There is no emotion or voice analysis; any sentiment score comes "
        "from the words only. Transcripts are not used to assess individual employees beyond the stated purposes.",
        "",
        "Because the system can be used to observe or check employees, "
        f"{f.controller} asks the works council's consent beforehand (Dutch Works Councils Act, art. 27(1)(l)). "
        f"Employees can see their own transcripts and ask questions via {f.contact}.",
    ]


def dpia(f: Facts) -> list[str]:
    """The DPIA screening: criteria from the configuration and the conclusion."""
    criteria = [
        ("Special categories of data are processed or stored", not f.special_contained or f.redaction == "off"),
        ("Systematic recording of employees (their calls are transcribed)", True),
        ("Innovative technology (AI speech recognition)", True),
        ("Personal data stays readable in the text (redaction off)", f.redaction == "off"),
        ("Long retention (more than a year)", (f.longest_retention_days or 0) > 365),
        ("Emotion recognition or assessment by voice", False),
    ]
    lines = ["## DPIA screening", "", "| criterion | applies |", "|---|---|"]
    lines += [f"| {name} | {'yes' if hit else 'no'} |" for name, hit in criteria]
    hits = sum(hit for _, hit in criteria)
    if criteria[0][1]:
        verdict = (
            "**DPIA required:** special categories of data (such as medical data) are not held back. "
            "Set `special_categories` to `mask` or `stop`, or carry out a DPIA before going live."
        )
    elif hits >= 2:
        verdict = (
            f"**DPIA normally required:** {hits} criteria apply (with two or more, the EDPB guidelines WP248 "
            "say a DPIA is usually needed). Record the assessment in any case."
        )
    else:
        verdict = "**No DPIA required** by this screening; record the assessment."
    return [*lines, "", verdict, "", "_This screening is an aid, not legal advice._"]


SECTIONS = (register, statement, announcements, colleagues, dpia)
