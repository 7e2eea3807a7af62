"""Asterisk AudioSocket: an asyncio TCP server feeding ``AudioSocketAdapter``, one call per connection.

Theory of operation. Bytes read from the socket go to ``adapter.receive_data`` in whatever split TCP
delivers them (the adapter reassembles frames); the decoded client messages go to the call driver in
order; frames the adapter queues (only the terminate frame after a protocol error) are written back.
A hangup frame (``0x00``), an error frame (``0xff``) or EOF end the stream with ``Stop``: the driver
flushes the finals of the open utterances and the connection closes. AudioSocket cannot carry
transcripts, so the call's messages reach only the runtime's listeners and the call registry.

The protocol has no authentication and no call options: every call belongs to
``ServerConfig.audiosocket_tenant`` and takes its options from ``telephony.audiosocket`` (consent mode,
``audio_format`` of kind-0x10 frames, idle limit) with ``audiosocket_params`` over them; liveness is
TCP keepalive, so a silent call is never cut; the port listens
on ``audiosocket_host`` (loopback by default). Connections register in ``runtime.connections`` and
answer ``request_drain()`` like the WebSocket shells: flush, send the terminate frame, close.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import structlog

from gateway.driver import CallDriver
from gateway.runtime import Runtime
from gateway.transports.pump import deliver, frames_for
from gateway.transports.shell import guarded, new_pacer, next_input, pace
from protocol.adapters import AudioSocketAdapter
from protocol.errors import ProtocolError
from protocol.messages import ServerMessage

__all__ = ["HANGUP_FRAME", "AudioSocketConnection", "AudioSocketServer", "start_audiosocket"]

log = structlog.get_logger("gateway.transports.audiosocket")

#: Kind 0x00 (terminate), length 0: sent when we end the call (drain, idle timeout).
HANGUP_FRAME = b"\x00\x00\x00"
_READ_SIZE = 65536


class AudioSocketConnection:
    """One AudioSocket TCP connection (one call)."""

    transport = "audiosocket"

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, runtime: Runtime) -> None:
        cfg = runtime.config
        self.rt = runtime
        self.reader, self.writer = reader, writer
        entry = cfg.telephony.audiosocket
        self.adapter = AudioSocketAdapter(
            entry.defaults() | dict(cfg.audiosocket_params), audio_format=entry.audio_format
        )
        self.idle_timeout_s = entry.idle_timeout_s
        _keepalive(writer)
        self.driver = CallDriver(runtime, cfg.audiosocket_tenant, self._emit, self.transport, resumable=False)
        self._drain = asyncio.Event()
        self.pacer = new_pacer(runtime)  # an unauthenticated peer cannot flood the engine faster than this

    def request_drain(self) -> None:
        """Shutdown: flush the call's finals, send the terminate frame, close."""
        self._drain.set()

    def _emit(self, msg: ServerMessage) -> None:
        self._write(frames_for(self.adapter, msg))

    def _write(self, frames: list[str | bytes]) -> None:
        if self.writer.is_closing():
            return
        for frame in frames:
            self.writer.write(frame.encode() if isinstance(frame, str) else frame)

    async def run(self) -> None:
        """Serve the connection until the call ends; always releases the call and closes the socket."""
        self.rt.connections.add(self)
        try:
            await guarded(self.driver, self._receive_loop(), "audiosocket_internal_error")
        finally:
            self.rt.connections.discard(self)
            self.driver.end()
            with contextlib.suppress(Exception):
                await self.writer.drain()
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()

    async def _receive_loop(self) -> None:
        while True:
            data = await next_input(self._read(), self.idle_timeout_s, self._drain)
            if not isinstance(data, bytes):  # idle timeout or shutdown: flush, then hang up
                await self.driver.finish()
                self._write([HANGUP_FRAME])
                return
            if await self._feed(data):
                return
            await pace(self.pacer, self.driver, self._drain)

    async def _read(self) -> bytes:
        try:
            return await self.reader.read(_READ_SIZE)
        except ConnectionError:  # a reset is a hangup too
            return b""

    async def _feed(self, data: bytes) -> bool:
        """Feed one read (``b""``: EOF); True once the call is over."""
        try:
            if data:
                self.adapter.receive_data(data)
            else:
                self.adapter.receive_eof()
        except ProtocolError:
            await deliver(self.adapter, self.driver)  # the frames before the bad one are valid
            raise
        self._write(self.adapter.data_to_send())
        await self.writer.drain()
        done = await deliver(self.adapter, self.driver)
        return done or not data or self.adapter.stopped


def _keepalive(writer: asyncio.StreamWriter) -> None:
    """TCP keepalive on the call's socket: a vanished Asterisk is found by the kernel, not by silence."""
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
            if hasattr(socket, name):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)


class AudioSocketServer:
    """The AudioSocket TCP listener (``ServerConfig.audiosocket_host``/``audiosocket_port``)."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Bind and start accepting connections."""
        cfg = self.rt.config
        self._server = await asyncio.start_server(self._serve, cfg.audiosocket_host, cfg.audiosocket_port or 0)
        log.info("audiosocket_listening", host=cfg.audiosocket_host, port=self.port)

    @property
    def port(self) -> int:
        """The bound port (useful with ``audiosocket_port=0``)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the AudioSocket server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await AudioSocketConnection(reader, writer, self.rt).run()
        finally:
            self._tasks.discard(task)

    async def aclose(self) -> None:
        """Stop listening; cancel connections still open (call ``drain`` first to flush them)."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()


async def start_audiosocket(runtime: Runtime) -> AudioSocketServer | None:
    """Start the AudioSocket server when ``audiosocket_port`` is configured; None when it is off."""
    if runtime.config.audiosocket_port is None:
        return None
    server = AudioSocketServer(runtime)
    await server.start()
    return server
