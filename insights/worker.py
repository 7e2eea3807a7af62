"""The insights shell: analyse a closed call off the event loop, store it encrypted, queue the CRM webhook.

Wiring (the lead's lifecycle events): on `CallClosed`, `await worker.call_closed(transcript)`; after an
erasure of a call (request, subject, retention, or a late `declined`), `await worker.call_erased(tenant,
call_id)`. Analysis runs on one dedicated thread, so it never takes more than one core from the ASR.
Nothing is computed for a declined call, nor for one the store does not keep.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import structlog

from insights.abstractive import summarise
from insights.config import InsightsConfig
from insights.core import analyse
from insights.delivery import Deliverer
from insights.model import CallTranscript, Insights
from insights.outbox import Outbox
from insights.recent import RecentInsights
from insights.schema import to_dict
from store import TranscriptStore

log = structlog.get_logger("insights.worker")
Listener = Callable[[Insights], None]


class InsightsWorker:
    def __init__(self, store: TranscriptStore, config: InsightsConfig, clock: Callable[[], float] = time.time) -> None:
        self.store, self.config, self.clock = store, config, clock
        self.outbox = Outbox(config.outbox_path)
        self.deliverer = Deliverer(config, self.outbox, store, clock)
        self.recent = RecentInsights()
        """Displayable insights of recent calls, for the captions page (`GET .../insights/live`)."""
        self.listeners: list[Listener] = [self.recent]
        """Called with each call's stored insights; must not block."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="insights")
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start delivering (events left in the outbox by an earlier process go first)."""
        if self.config.webhook_url is not None and self._task is None:
            self._task = asyncio.create_task(self.deliverer.run(), name="insights-webhook")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._executor.shutdown(wait=True)

    def _purpose(self, purposes: tuple[str, ...]) -> str | None:
        allowed = [p for p in purposes if not self.config.crm_purposes or p in self.config.crm_purposes]
        return allowed[0] if allowed else None

    async def call_closed(self, transcript: CallTranscript) -> Insights | None:
        """Analyse, store (encrypted, under the call's purposes), queue for the CRM; None when not kept."""
        if transcript.consent == "declined" or not transcript.utterances:
            log.info(
                "insights_skipped",
                call_id=transcript.call_id,
                tenant=transcript.tenant,
                reason="declined" if transcript.consent == "declined" else "no_speech",
            )
            return None
        loop = asyncio.get_running_loop()
        try:
            result, cpu_s = await loop.run_in_executor(self._executor, _timed, transcript, self.config.regions)
        except Exception as exc:  # a bug in a rule must never break the call's lifecycle
            log.error("insights_failed", call_id=transcript.call_id, tenant=transcript.tenant, exc_info=exc)
            return None
        result = await self._abstract(transcript, result)
        document = json.dumps(to_dict(result, contacts=True), ensure_ascii=False)
        if not await self.store.put_insights(transcript.tenant, transcript.call_id, document):
            log.info("insights_skipped", call_id=transcript.call_id, tenant=transcript.tenant, reason="not_stored")
            return None
        log.info(
            "insights_stored",
            call_id=transcript.call_id,
            tenant=transcript.tenant,
            agreements=len(result.agreements),
            contacts=len(result.contacts),
            cpu_s=round(cpu_s, 4),
        )
        await self._publish(transcript, result)
        return result

    async def _publish(self, transcript: CallTranscript, result: Insights) -> None:
        """Queue the CRM delivery (when the call's purposes allow it) and tell the listeners."""
        purpose = self._purpose(transcript.purposes)
        if self.config.webhook_url is not None and purpose is not None:
            await asyncio.to_thread(
                self.outbox.add, "call.insights", transcript.tenant, transcript.call_id, purpose, self.clock()
            )
            self.deliverer.wake()
        for listener in self.listeners:
            try:
                listener(result)
            except Exception as exc:  # a broken viewer must not lose the insights
                log.error("insights_listener_failed", exc_info=exc)

    async def _abstract(self, transcript: CallTranscript, result: Insights) -> Insights:
        """Add the operator's chat-model summary when one is configured (redacted text only)."""
        if self.config.summary_url is None:
            return result
        async with httpx.AsyncClient(timeout=self.config.timeout_s) as client:
            abstract = await summarise(client, self.config.summary_url, self.config.summary_model, transcript)
        return dataclasses.replace(result, abstract=abstract)

    async def call_erased(self, tenant: str, call_id: str) -> None:
        """The call was erased: drop its pending insights delivery and tell the CRM to delete its copy."""
        self.recent.forget(tenant, call_id)
        await asyncio.to_thread(self.outbox.cancel, tenant, call_id, "call.insights")
        if self.config.webhook_url is not None:
            await asyncio.to_thread(self.outbox.add, "call.erased", tenant, call_id, "", self.clock())
            self.deliverer.wake()


def _timed(transcript: CallTranscript, regions: tuple[str, ...]) -> tuple[Insights, float]:
    """Analyse on the worker thread; also return the CPU seconds that thread spent on it."""
    started = time.thread_time()
    result = analyse(transcript, regions)
    return result, time.thread_time() - started
