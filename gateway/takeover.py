"""What a `start` with `resume_from` does before admission (async shell over the registry).

* `take_over`: the call is still live on another connection (a client whose network froze, then
  reconnected). An authenticated reconnect of the same tenant (the registry is keyed by tenant, so a
  token of another tenant never sees the call) asks that connection to yield: it finalises its open
  utterance, and closes with 4001 "taken over" (docs/protocol-extensions.md). The new connection waits
  at most `limits.takeover_wait_s` for it to be gone, then replays the finals after `resume_from`.
* `stored_seq`: the registry does not know the call (the process restarted, e.g. after kill -9): the
  highest final seq in the store, so the new finals number on from it instead of repeating stored seqs.
"""

from __future__ import annotations

import asyncio

import structlog

from gateway.runtime import Runtime
from protocol.messages import Start

log = structlog.get_logger("gateway.takeover")

TAKEOVER_CLOSE = (4001, "taken over")
"""Close code and reason for the connection a `resume_from` reconnect took the call from."""
_POLL_S = 0.02
_STORE_TIMEOUT_S = 5.0


async def take_over(rt: Runtime, tenant: str, start: Start) -> None:
    """If the call is live elsewhere and this start resumes it, make that connection yield (bounded wait)."""
    record = rt.registry.get(tenant, start.call_id)
    if start.resume_from is None or record is None or not record.live or record.takeover is None:
        return  # nothing to take over: `open` decides (a live call without resume stays refused)
    log.info("call_taken_over", call_id=start.call_id, tenant=tenant)
    record.takeover()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + rt.config.limits.takeover_wait_s
    while record.live and loop.time() < deadline:  # noqa: ASYNC110 (bounded poll of a pure registry)
        await asyncio.sleep(_POLL_S)


async def stored_seq(rt: Runtime, tenant: str, start: Start) -> int | None:
    """The call's highest stored seq when this start resumes a call the registry does not know."""
    source = rt.seq_source
    if start.resume_from is None or source is None or rt.registry.get(tenant, start.call_id) is not None:
        return None
    try:
        return await asyncio.wait_for(source(tenant, start.call_id), _STORE_TIMEOUT_S)
    except Exception as exc:  # the store is unreachable: number as a new call, and say so
        log.error("stored_seq_failed", call_id=start.call_id, exc_type=type(exc).__name__)
        return None
