"""Post-call insights on the call lifecycle: each `CallClosed` call becomes a `CallTranscript` for the
insights worker (`insights/`), with each final's text before redaction (in process only) and its
displayed, redacted text. Declined calls and calls with no final are never analysed."""

from __future__ import annotations

import asyncio
from collections import Counter

import structlog

from gateway.core.events import CallClosed, CallEvent, CloseReason
from insights.model import LANGUAGES, CallTranscript, Utterance
from insights.worker import InsightsWorker

log = structlog.get_logger("gateway.insights")


def transcript_of(event: CallClosed, timezone: str) -> CallTranscript | None:
    """The insights input of a closed call; None when there is nothing to analyse or no supported language."""
    if event.reason is CloseReason.DECLINED or event.consent == "declined" or not event.finals:
        return None
    language = event.start.language
    if language not in LANGUAGES:
        language = Counter(f.language for f in event.finals).most_common(1)[0][0]
    if language not in LANGUAGES:
        return None
    raws = event.raw_texts if len(event.raw_texts) == len(event.finals) else (None,) * len(event.finals)
    utterances = tuple(
        Utterance(f.leg, f.start, f.end, raw if raw is not None else f.text, f.text, f.words)
        for f, raw in sorted(zip(event.finals, raws, strict=True), key=lambda p: p[0].start)
    )
    legs = event.start.legs
    agent = "agent" if "agent" in legs else legs[0]
    return CallTranscript(
        event.tenant,
        event.call_id,
        language,
        event.started_at,
        legs,
        utterances,
        event.start.purposes,
        str(event.consent),
        agent,
        timezone,
    )


class InsightsListener:
    """A bus listener handing closed calls to the worker (on the event loop, never blocking the call)."""

    def __init__(self, worker: InsightsWorker, timezone: str) -> None:
        self.worker = worker
        self.timezone = timezone
        self._tasks: set[asyncio.Task[object]] = set()
        self.started = 0

    def __call__(self, event: CallEvent) -> None:
        if not isinstance(event, CallClosed):
            return
        transcript = transcript_of(event, self.timezone)
        if transcript is None:
            return
        task: asyncio.Task[object] = asyncio.get_running_loop().create_task(self.worker.call_closed(transcript))
        self._tasks.add(task)
        self.started += 1
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait until every analysis started so far has finished (stored and queued its results)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        await self.idle()
