"""The Redis Streams bridge between gateway nodes (async shell over `gateway.cluster.codec`).

Theory of operation. Every call event of this node that may leave it (see the codec) is appended to one
Redis stream (`XADD ... MAXLEN ~ max_len`) by a single writer task, in order. A reader task follows the
stream from its start (so a node that joins late replays the history still kept) and hands every record
of *another* node to `sink`, this node's caption hub: a viewer connected here sees the remote call's
consent, partials, finals and `call_ended`, late-joiner replay included, and `/calls` lists it. Remote
events never reach this node's store or post-call listeners: the node holding the call owns those.

Why Redis Streams and not NATS JetStream: Debian ships both servers; Streams give an ordered, trimmed,
replayable log with one dependency (`redis`, already the cache of choice in most contact centres), and a
late node replays with one `XREAD` from `0`; JetStream would need a separate stream/consumer setup for
the same. Redis down: the writer retries with back-off and keeps at most `outbox` events (oldest dropped
and counted); calls on this node are never affected.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from gateway.cluster.codec import BadRecord, decode, decode_command, encode, encode_command
from gateway.cluster.config import ClusterConfig
from gateway.core.events import CallEvent

log = structlog.get_logger("gateway.cluster")


class RedisBridge:
    """Publishes this node's call events and feeds the other nodes' events into `sink`."""

    def __init__(self, config: ClusterConfig, sink: Callable[[CallEvent], None]) -> None:
        if config.redis_url is None:
            raise ValueError("the bridge needs cluster.redis_url")
        import redis.asyncio as aioredis

        self.config = config
        self.node = config.node_id or f"{socket.gethostname()}-{os.getpid()}"
        self._sink = sink
        self._redis = aioredis.from_url(config.redis_url)
        self._outbox: deque[bytes] = deque()
        self._ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.commands = config.stream + ":commands"
        self.on_command: Callable[[str, str, str, str | None], Awaitable[None]] | None = None
        """Applies a consent command to a call this node holds: (tenant, call_id, event, announcement)."""
        self.published = self.received = self.dropped = self.bad_records = 0

    def __call__(self, event: CallEvent) -> None:
        """The local bus listener: queue the event's record (never blocks)."""
        record = encode(event, self.node)
        if record is None:
            return
        if len(self._outbox) >= self.config.outbox:
            self._outbox.popleft()
            self.dropped += 1
        self._outbox.append(record)
        self._ready.set()

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._write(), name="cluster-writer"),
            asyncio.create_task(self._read(), name="cluster-reader"),
        ]
        log.info("cluster_bridge_started", node=self.node, stream=self.config.stream)

    async def aclose(self) -> None:
        """Write what is queued (bounded wait), then stop both tasks and close the connection."""
        for _ in range(50):
            if not self._outbox:
                break
            await asyncio.sleep(0.02)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._redis.aclose()

    async def _write(self) -> None:
        delay = 0.1
        while True:
            if not self._outbox:
                self._ready.clear()
                await self._ready.wait()
                continue
            record = self._outbox[0]
            try:
                await self._redis.xadd(self.config.stream, {"r": record}, maxlen=self.config.max_len, approximate=True)
            except Exception as exc:  # Redis away: keep the record, retry with back-off
                log.warning("cluster_write_failed", error=type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.1
            self._outbox.popleft()
            self.published += 1

    async def send_command(self, tenant: str, call_id: str, event: str, announcement: str | None) -> None:
        """Ask the node that holds the call to apply a consent event (every node reads the command stream)."""
        record = encode_command(self.node, tenant, call_id, event, announcement)
        await self._redis.xadd(self.commands, {"r": record}, maxlen=self.config.max_len, approximate=True)

    async def _read(self) -> None:
        last: dict[Any, Any] = {self.config.stream: "0-0", self.commands: await self._stream_end(self.commands)}
        while True:
            try:
                batches: Any = await self._redis.xread(last, block=1000, count=500)
            except Exception as exc:
                log.warning("cluster_read_failed", error=type(exc).__name__)
                await asyncio.sleep(1.0)
                continue
            for stream, entries in batches or []:
                name = stream.decode() if isinstance(stream, bytes) else str(stream)
                for entry_id, fields in entries:
                    last[name] = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
                    if name == self.commands:
                        await self._command(fields.get(b"r", b""))
                    else:
                        self._deliver(fields.get(b"r", b""))

    async def _stream_end(self, stream: str) -> str:
        """The id of the newest entry of `stream` (commands older than this node are not for it)."""
        while True:
            try:
                newest: Any = await self._redis.xrevrange(stream, count=1)
                break
            except Exception as exc:
                log.warning("cluster_read_failed", error=type(exc).__name__)
                await asyncio.sleep(1.0)
        if not newest:
            return "0-0"
        entry_id = newest[0][0]
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def _command(self, record: bytes) -> None:
        try:
            node, tenant, call_id, event, announcement = decode_command(record)
        except BadRecord:
            self.bad_records += 1
            return
        if node == self.node or self.on_command is None:
            return
        try:
            await self.on_command(tenant, call_id, event, announcement)
        except Exception as exc:  # a command for a call elsewhere, or a refused event: never stop the reader
            log.error("cluster_command_failed", exc_info=exc)

    def _deliver(self, record: bytes) -> None:
        try:
            node, event = decode(record)
        except BadRecord:
            self.bad_records += 1
            return
        if node == self.node:
            return
        self.received += 1
        try:
            self._sink(event)
        except Exception as exc:  # a failing hub must not stop the reader
            log.error("cluster_sink_failed", event_type=type(event).__name__, exc_info=exc)
