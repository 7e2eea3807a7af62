"""The native transport: `GET /v1/stream`, the transcribe.v1 protocol of PROTOCOL.md (JSON or msgpack)."""

from __future__ import annotations

from starlette.websockets import WebSocket

from gateway.auth import bearer_token, denial, tenant_for
from gateway.runtime import Runtime
from gateway.transports.shell import WebSocketShell
from protocol.codec import Mode, encode_server, parse_binary, parse_text
from protocol.messages import ServerMessage

PATH = "/v1/stream"


class StreamConnection(WebSocketShell):
    """One accepted WebSocket speaking transcribe.v1 in `mode`."""

    transport = "native"

    def __init__(self, ws: WebSocket, runtime: Runtime, mode: Mode, tenant: str) -> None:
        self.mode = mode
        super().__init__(ws, runtime, tenant)

    def frames_for(self, msg: ServerMessage) -> list[str | bytes]:
        return [encode_server(msg, self.mode)]

    async def on_frame(self, text: str | None, data: bytes | None) -> bool:
        with self.rt.telemetry.stages.timed("wire_in"):
            msg = parse_text(text, self.mode) if text is not None else parse_binary(data or b"", self.mode)
        return await self.driver.handle(msg)


def _mode(ws: WebSocket) -> tuple[Mode, str | None]:
    offered = list(ws.scope.get("subprotocols") or [])
    for mode in (Mode.JSON, Mode.MSGPACK):
        if mode.value in offered:
            return mode, mode.value
    return Mode.JSON, None  # no subprotocol offered: JSON, as the v1 default


async def stream_endpoint(ws: WebSocket) -> None:
    """Authenticate before the upgrade (401 otherwise), pick the subprotocol, run the call."""
    rt: Runtime = ws.app.state.runtime
    tenant = tenant_for(bearer_token(ws.headers, ws.query_params), rt.config.tokens)
    if tenant is None:
        await ws.send_denial_response(denial(401))
        return
    mode, subprotocol = _mode(ws)
    await ws.accept(subprotocol=subprotocol)
    await StreamConnection(ws, rt, mode, tenant).run()
