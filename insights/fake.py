"""A CRM webhook receiver you can run (tests, development): verifies signatures, applies each event once.

    async with FakeCrm(secret) as crm:      # uvicorn on 127.0.0.1, port 0
        crm.url                               # http://127.0.0.1:PORT/hook
        crm.events                            # applied events in order (one per Idempotency-Key)
        crm.deliveries                        # every POST received, duplicates and rejects included
        crm.fail_next = 2                     # answer 503 to the next two deliveries
        crm.reply_delay_s = 5.0               # apply, then answer late (a sender that dies meanwhile retries)

It answers 401 to a bad signature, 200 to a duplicate (already applied) and to a new event.

`FakeChat(reply)` is an OpenAI-compatible chat endpoint (`POST /v1/chat/completions`) answering `reply`
and recording every request body (`requests`), for the optional abstractive summary.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from insights.signing import HEADER, IDEMPOTENCY, SignatureError, verify


@dataclass
class Delivery:
    key: str | None
    status: int
    body: bytes = field(repr=False)


class FakeCrm:
    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.events: list[dict[str, Any]] = []
        self.deliveries: list[Delivery] = []
        self.fail_next = 0
        self.reply_delay_s = 0.0
        self._seen: set[str] = set()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.received = asyncio.Event()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        key = request.headers.get(IDEMPOTENCY)
        status = await self._status(request, body, key)
        self.deliveries.append(Delivery(key, status, body))
        self.received.set()
        if self.reply_delay_s:
            await asyncio.sleep(self.reply_delay_s)
        return JSONResponse({"status": status}, status_code=status)

    async def _status(self, request: Request, body: bytes, key: str | None) -> int:
        try:
            verify(self.secret, request.headers.get(HEADER), body, time.time())
        except SignatureError:
            return 401
        if self.fail_next > 0:
            self.fail_next -= 1
            return 503
        if key is None:
            return 400
        if key not in self._seen:
            self._seen.add(key)
            self.events.append(json.loads(body))
        return 200

    async def __aenter__(self) -> FakeCrm:
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        self._server, self._task = await _serve(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        await self._task

    async def wait_for(self, count: int, within_s: float = 10.0) -> None:
        """Wait until `count` events were applied (or raise TimeoutError)."""
        async with asyncio.timeout(within_s):
            while len(self.events) < count:
                self.received.clear()
                await self.received.wait()


class FakeChat:
    def __init__(self, reply: str, status: int = 200) -> None:
        self.reply, self.status = reply, status
        self.requests: list[dict[str, Any]] = []
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    async def _complete(self, request: Request) -> Response:
        self.requests.append(json.loads(await request.body()))
        if self.status != 200:
            return JSONResponse({"error": "unavailable"}, status_code=self.status)
        return JSONResponse(
            {
                "object": "chat.completion",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": self.reply}, "finish_reason": "stop"}
                ],
            }
        )

    async def __aenter__(self) -> FakeChat:
        app = Starlette(routes=[Route("/v1/chat/completions", self._complete, methods=["POST"])])
        self._server, self._task = await _serve(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        await self._task


async def _serve(app: Starlette) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return server, task
