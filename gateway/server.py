"""Running the app under uvicorn, with a drain of open calls before uvicorn closes sockets."""

from __future__ import annotations

import asyncio
from types import FrameType

import uvicorn

from gateway.app import create_app, drain
from gateway.http.edge import header_protocol
from gateway.logs import install_scrubber
from gateway.runtime import Runtime


class GatewayServer(uvicorn.Server):
    """uvicorn closes WebSockets with 1012 at once on SIGTERM; this first lets every call flush its finals."""

    def __init__(self, runtime: Runtime) -> None:
        cfg = runtime.config
        config = uvicorn.Config(
            create_app(runtime),
            host=cfg.host,
            port=cfg.port,
            lifespan="on",
            access_log=False,
            log_config=None,
            ws="websockets-sansio",
            ws_max_size=cfg.max_frame_bytes * 4,
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=int(cfg.drain_timeout_s) + 5,
            ws_ping_interval=cfg.telephony.ws_ping_interval_s,
            ws_ping_timeout=cfg.telephony.ws_ping_timeout_s,
            http=header_protocol(cfg.limits.header_timeout_s),
            h11_max_incomplete_event_size=cfg.limits.max_header_bytes,
            server_header=False,
        )
        super().__init__(config)
        install_scrubber()  # no uvicorn line may carry a query string (`?token=`)
        self.runtime = runtime
        self._draining: asyncio.Task[None] | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._draining is None and not self.should_exit:
            self._draining = asyncio.get_event_loop().create_task(self._drain_then_exit())
        else:  # a second signal: stop now
            super().handle_exit(sig, frame)

    async def _drain_then_exit(self) -> None:
        await drain(self.runtime)
        self.should_exit = True

    async def shutdown_gracefully(self) -> None:
        """The same path as SIGTERM, for tests and embedding."""
        await self._drain_then_exit()

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        for server in self.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        raise RuntimeError("server not started")
