"""The CRM webhook deliverer: drains the outbox, signs each POST, retries with exponential back-off.

Payloads (JSON, UTF-8), identical on every retry of one event:

    {"id": EVENT_ID, "type": "call.insights", "tenant": T, "call_id": C, "created_at": UNIX,
     "insights": {...schema v1, with "contacts"...}}
    {"id": EVENT_ID, "type": "call.erased", "tenant": T, "call_id": C, "created_at": UNIX}

Headers: `X-Callscribe-Signature: t=...,v1=...` (see insights.signing), `Idempotency-Key: EVENT_ID`,
`X-Callscribe-Event: TYPE`. Any 2xx marks the event delivered; anything else (or no answer) is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import structlog

from insights.config import InsightsConfig
from insights.outbox import Event, Outbox
from insights.signing import EVENT, HEADER, IDEMPOTENCY, sign
from store import CallNotFound, PurposeDenied, StoreError, TranscriptStore

log = structlog.get_logger("insights.delivery")
ACTOR = "insights:webhook"


class Deliverer:
    def __init__(
        self, config: InsightsConfig, outbox: Outbox, store: TranscriptStore, clock: Callable[[], float] = time.time
    ) -> None:
        self.config, self.outbox, self.store, self.clock = config, outbox, store, clock
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled: due events now, then sleep until the next is due or `wake()`."""
        async with httpx.AsyncClient(timeout=self.config.timeout_s) as client:
            while True:
                self._wake.clear()  # before draining: a wake() during the drain is not lost
                try:
                    await self.drain(client)
                    nxt = await asyncio.to_thread(self.outbox.next_at)
                    delay = 3600.0 if nxt is None else max(0.0, nxt - self.clock())
                except Exception as exc:  # e.g. the outbox file is unavailable: retry later, keep serving
                    log.error("webhook_loop_failed", exc_info=exc)
                    delay = self.config.backoff_max_s
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def drain(self, client: httpx.AsyncClient) -> int:
        """Attempt every due event once; returns how many were delivered."""
        delivered = 0
        for event in await asyncio.to_thread(self.outbox.due, self.clock()):
            delivered += await self._attempt(client, event)
        return delivered

    async def _attempt(self, client: httpx.AsyncClient, event: Event) -> int:
        body = await self._body(event)
        if body is None:
            await asyncio.to_thread(self.outbox.drop, event.id, "no_insights")
            log.info("webhook_dropped", event_id=event.id, kind=event.kind, reason="no_insights")
            return 0
        assert self.config.webhook_url is not None
        headers = {
            HEADER: sign(self.config.webhook_secret, int(self.clock()), body),
            IDEMPOTENCY: event.id,
            EVENT: event.kind,
            "Content-Type": "application/json",
        }
        try:
            response = await client.post(self.config.webhook_url, content=body, headers=headers)
            status: int | None = response.status_code
        except httpx.HTTPError as exc:
            status = None
            log.warning("webhook_unreachable", event_id=event.id, error=type(exc).__name__)
        if status is not None and 200 <= status < 300:
            await asyncio.to_thread(self.outbox.delivered, event.id, self.clock())
            log.info("webhook_delivered", event_id=event.id, kind=event.kind, attempts=event.attempts + 1)
            return 1
        await self._retry(event, status)
        return 0

    async def _retry(self, event: Event, status: int | None) -> None:
        if event.attempts + 1 >= self.config.max_attempts:
            await asyncio.to_thread(self.outbox.drop, event.id, "gave_up")
            log.error("webhook_gave_up", event_id=event.id, kind=event.kind, status=status)
            return
        delay = min(self.config.backoff_max_s, self.config.backoff_base_s * 2**event.attempts)
        await asyncio.to_thread(self.outbox.failed, event.id, self.clock() + delay)
        log.warning("webhook_retry", event_id=event.id, kind=event.kind, status=status, delay_s=delay)

    async def _body(self, event: Event) -> bytes | None:
        payload: dict[str, Any] = {
            "id": event.id,
            "type": event.kind,
            "tenant": event.tenant,
            "call_id": event.call_id,
            "created_at": event.created_at,
        }
        if event.kind == "call.insights":
            try:
                payload["insights"] = await self.store.read_insights(event.tenant, event.call_id, event.purpose, ACTOR)
            except (CallNotFound, PurposeDenied):
                return None
            except StoreError as exc:
                log.error("webhook_read_failed", event_id=event.id, exc_info=exc)
                return None
        return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
