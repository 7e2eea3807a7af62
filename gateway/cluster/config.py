"""Settings of the cross-node bus (`[cluster]` in the config file)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Off by default (one node). With `redis_url` set, nodes share caption streams through Redis Streams."""

    redis_url: str | None = None
    """`redis://host:6379/0`: the bus every gateway node of the deployment uses; None runs one node alone."""
    node_id: str = ""
    """This node's name on the bus (empty: host name and process id)."""
    stream: str = "callscribe:events"
    """The Redis stream all nodes append their call events to."""
    max_len: int = 100_000
    """Approximate length the stream is trimmed to (a late node replays what is left of it)."""
    outbox: int = 10_000
    """Events waiting to be written to Redis; past it the oldest are dropped and counted."""

    def __post_init__(self) -> None:
        if self.redis_url is not None and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("redis_url must be a redis://, rediss:// or unix:// URL")
        if not self.stream or self.max_len < 100 or self.outbox < 10:
            raise ValueError("stream must be named, max_len >= 100, outbox >= 10")
