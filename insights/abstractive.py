"""Optional abstractive summary from an OpenAI-compatible chat endpoint the operator runs (vLLM, llama.cpp
server, Ollama), configured by URL and off by default. Only display (redacted) text is sent, never the
unredacted text or the contact details. Any failure leaves the extractive summary in place.
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog

from insights.model import CallTranscript

log = structlog.get_logger("insights.abstractive")
_PROMPT = {
    "en": "Summarise this customer-service phone call in at most three sentences: who called about what, what "
    "was agreed (who does what, when) and whether it was resolved. Answer in English.",
    "nl": "Vat dit klantenservicegesprek samen in hoogstens drie zinnen: wie belde waarover, welke afspraken zijn "
    "gemaakt (wie doet wat, wanneer) en of het is opgelost. Antwoord in het Nederlands.",
}


def messages(call: CallTranscript) -> list[dict[str, str]]:
    """The chat request's messages: the instruction, then the redacted transcript, one line per utterance."""
    lines = "\n".join(f"{call.role(u.leg)}: {u.display}" for u in call.utterances)
    return [{"role": "system", "content": _PROMPT[call.language]}, {"role": "user", "content": lines}]


async def summarise(client: httpx.AsyncClient, url: str, model: str, call: CallTranscript) -> str | None:
    """POST `{url}/chat/completions`; the first choice's text, or None (logged) when the endpoint fails."""
    body: dict[str, Any] = {"model": model, "messages": messages(call), "temperature": 0.2, "max_tokens": 200}
    try:
        response = await client.post(url.rstrip("/") + "/chat/completions", json=body)
        response.raise_for_status()
        text = response.json()["choices"][0]["message"]["content"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.warning("abstractive_summary_failed", call_id=call.call_id, error=type(exc).__name__)
        return None
    return text.strip() if isinstance(text, str) and text.strip() else None
