"""WebRTC ingest for browser softphones (aiortc): `POST /v1/webrtc/offer` and the `/softphone` test page.

Theory of operation: the browser sends an SDP offer with one or two audio tracks and a data channel
labelled "transcripts"; the request also carries the `start` fields (call_id, language, consent,
purposes, legs). Before answering we apply the offer, count the audio tracks (one leg each, in m-line
order), build a native `Start` with `pcm_s16le` at 48 kHz and one channel per leg, and hand it to a
`CallDriver`; so admission, the registry, consent, VAD, scheduling and finals are exactly those of the
native stream, and a refused call is an HTTP error rather than a half-open peer connection.

After the answer, one pump task per track converts frames (`gateway.transports.webrtc_audio`) and puts
interleaved `AudioChunk`s of at most 1 s into the call's inbox; the data channel puts parsed client
messages (`consent`, `stop`, ...) into the same inbox, so one consumer applies them in arrival order.
Server messages go out on the data channel as transcribe.v1 JSON, queued until it opens. The call
ends on `stop`, when the peer goes away (connection failed/closed or every track ended), on idle
timeout or on shutdown drain; the flush always runs, then the peer is given a short grace to hang up
before we close the peer connection ourselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import structlog
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcdatachannel import RTCDataChannel
from av import AudioFrame
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.auth import bearer_token, denial, tenant_for
from gateway.driver import CallDriver
from gateway.origin import origin_allowed
from gateway.runtime import Runtime
from gateway.transports.shell import guarded, next_input
from gateway.transports.webrtc_audio import RATE, FramePcm, LegInterleaver
from protocol.codec import Mode, encode_server, parse_text
from protocol.errors import BadMessage, Overloaded, ProtocolError, TooLarge, Unsupported
from protocol.messages import AudioChunk, ClientMessage, ServerMessage, Start

log = structlog.get_logger("gateway.transports.webrtc")

CHANNEL_LABEL = "transcripts"
STATIC = Path(__file__).parents[1] / "static"
_START_FIELDS = ("call_id", "language", "consent", "purposes", "legs", "interim_results")
_HANGUP_GRACE_S = 2.0  # after `closed`: time the peer gets to read it and hang up before we close
_INBOX_HIGH = 64  # queued items (audio chunks are 20 ms when the network paces them): audio waits above this
_INBOX_MAX = 4 * _INBOX_HIGH  # beyond this a data-channel message ends the call (`overloaded`)
_Item = ClientMessage | ProtocolError


class WebRtcCall:
    """One browser call: a peer connection, its tracks and data channel, and the `CallDriver`."""

    transport = "webrtc"

    def __init__(self, runtime: Runtime, tenant: str) -> None:
        self.rt = runtime
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.driver = CallDriver(runtime, tenant, self._emit, self.transport, resumable=False)
        self._channel: RTCDataChannel | None = None
        self._outbox: list[str] = []
        self._inbox: asyncio.Queue[_Item] = asyncio.Queue()
        self._flooded = False
        self._room = asyncio.Event()
        self._room.set()
        self._drain = asyncio.Event()
        self._gone = asyncio.Event()
        self._tracks: list[MediaStreamTrack] = []
        self.task: asyncio.Task[None] | None = None
        self.pc.on("datachannel", self._on_datachannel)
        self.pc.on("connectionstatechange", self._on_state)

    # -- signalling --------------------------------------------------------------------------------

    async def accept(self, offer: RTCSessionDescription, fields: dict[str, object]) -> RTCSessionDescription:
        """Apply the offer, start the call (admission), and return the answer; raises ProtocolError."""
        try:
            await self.pc.setRemoteDescription(offer)
        except Exception as exc:  # aiortc's SDP parser: ValueError, KeyError, AssertionError... on junk
            raise BadMessage(f"sdp: not a usable offer ({type(exc).__name__})") from None
        self._tracks = self._audio_tracks()
        start = _start(fields, len(self._tracks))
        await self.driver.handle(start)
        try:
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except Exception:
            self.driver.end()
            raise
        answer = self.pc.localDescription
        return RTCSessionDescription(sdp=answer.sdp, type=answer.type)

    def _audio_tracks(self) -> list[MediaStreamTrack]:
        tracks: list[MediaStreamTrack] = []
        if not self.pc.getTransceivers():
            raise BadMessage("sdp: the offer has no media lines")
        for transceiver in self.pc.getTransceivers():
            track = transceiver.receiver.track
            if transceiver.kind != "audio":
                raise Unsupported("sdp: only audio tracks are accepted")
            if track is not None:
                tracks.append(track)
        if not 1 <= len(tracks) <= 2:
            raise Unsupported("sdp: send one or two audio tracks (one per leg)")
        if self.pc.sctp is None:
            raise BadMessage(f"sdp: the offer needs a data channel labelled {CHANNEL_LABEL!r}")
        return tracks

    # -- data channel ------------------------------------------------------------------------------

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if channel.label != CHANNEL_LABEL or self._channel is not None:
            return
        self._channel = channel
        channel.on("message", self._on_message)
        if channel.readyState == "open":
            self._flush_outbox()
        else:
            channel.on("open", self._flush_outbox)

    def _flush_outbox(self) -> None:
        channel, pending, self._outbox = self._channel, self._outbox, []
        if channel is not None:
            for text in pending:
                channel.send(text)

    def _emit(self, msg: ServerMessage) -> None:
        text = encode_server(msg, Mode.JSON)
        assert isinstance(text, str)
        channel = self._channel
        if channel is None or channel.readyState == "connecting" or self._outbox:
            self._outbox.append(text)  # sent, in order, when the channel opens
        elif channel.readyState == "open":
            channel.send(text)
        # closing/closed: the peer stopped listening; listeners (captions, store) still get the message

    def _on_message(self, data: str | bytes) -> None:
        item: _Item
        try:
            item = _parse_control(data, self.rt.config.max_frame_bytes)
        except ProtocolError as exc:
            item = exc
        if self._inbox.qsize() >= _INBOX_MAX:  # a peer flooding the data channel: end the call, bounded
            if not self._flooded:
                self._flooded = True
                self._inbox.put_nowait(Overloaded("data channel: too many messages waiting"))
            return
        self._inbox.put_nowait(item)  # never blocks: control messages are few and must keep their order

    def _on_state(self) -> None:
        if self.pc.connectionState in ("failed", "closed"):
            self._gone.set()

    def request_drain(self) -> None:
        """Shutdown: flush finals, send `closed`, then close the peer connection."""
        self._drain.set()

    # -- the call ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Register the call (so shutdown drains it) and run it in the background."""
        self.rt.connections.add(self)
        self.task = asyncio.create_task(self.run())

    async def run(self) -> None:
        """Pump audio and control messages into the driver until the call ends; always cleans up."""
        mixer = LegInterleaver(len(self._tracks))
        pumps = [asyncio.create_task(self._pump(leg, track, mixer)) for leg, track in enumerate(self._tracks)]
        try:
            await guarded(self.driver, self._consume(), "webrtc_internal_error")
        finally:
            for pump in pumps:
                pump.cancel()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._gone.wait(), _HANGUP_GRACE_S)
            await self.pc.close()
            self.rt.connections.discard(self)
            self.driver.end()  # last: `CallEnded` means the call is gone everywhere

    async def _consume(self) -> None:
        while True:
            item = await next_input(self._inbox.get(), self.rt.config.idle_timeout_s, self._drain, self._gone)
            if isinstance(item, str):  # idle, drain or the peer went away: flush what is open
                await self.driver.finish()
                return
            if self._inbox.qsize() <= _INBOX_HIGH // 2:
                self._room.set()
            if isinstance(item, ProtocolError):
                raise item
            if await self.driver.handle(item):
                return

    async def _pump(self, leg: int, track: MediaStreamTrack, mixer: LegInterleaver) -> None:
        pcm = FramePcm()
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                break
            if isinstance(frame, AudioFrame):
                mixer.push(leg, pcm.convert(frame))
            await self._forward(mixer)
        mixer.end(leg)
        await self._forward(mixer)
        if mixer.all_ended:
            self._gone.set()

    async def _forward(self, mixer: LegInterleaver) -> None:
        while (chunk := mixer.pop()) is not None:
            self._inbox.put_nowait(AudioChunk(chunk))
            if self._inbox.qsize() >= _INBOX_HIGH:  # the call lags: stop reading until it catches up
                self._room.clear()
                await self._room.wait()


def _start(fields: dict[str, object], legs: int) -> Start:
    """The native `start` for this offer, validated by the protocol codec like any other."""
    obj = {k: fields[k] for k in _START_FIELDS if k in fields}
    obj.update(type="start", audio={"encoding": "pcm_s16le", "sample_rate": RATE, "channels": legs})
    msg = parse_text(json.dumps(obj), Mode.JSON)
    assert isinstance(msg, Start)
    return msg


def _parse_control(data: str | bytes, max_bytes: int) -> ClientMessage:
    """A data-channel message from the browser: any transcribe.v1 control message except `start`."""
    if not isinstance(data, str):
        raise BadMessage("data channel: send JSON text messages; audio travels on the media track")
    if len(data.encode()) > max_bytes:
        raise TooLarge(f"message of {len(data.encode())} bytes exceeds the limit of {max_bytes}")
    msg = parse_text(data, Mode.JSON)
    if isinstance(msg, Start):
        raise BadMessage("start: the call was started by the offer; send start fields with it")
    return msg


# -- HTTP ------------------------------------------------------------------------------------------

_HTTP_STATUS = {Overloaded: 503, Unsupported: 415, TooLarge: 413}


def _error(exc: ProtocolError) -> JSONResponse:
    status = next((s for cls, s in _HTTP_STATUS.items() if isinstance(exc, cls)), 400)
    return JSONResponse({"code": exc.code, "message": str(exc)}, status_code=status)


async def _bounded_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refused (`too_large`) from its Content-Length or as soon as more than `max_bytes`
    arrived: never buffered beyond the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"offer of {declared} bytes exceeds the limit of {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"offer of more than {max_bytes} bytes exceeds the limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def _offer_body(request: Request, max_bytes: int) -> tuple[RTCSessionDescription, dict[str, object]]:
    body = await _bounded_body(request, max_bytes)
    try:
        fields = json.loads(body)
    except (ValueError, RecursionError):
        raise BadMessage("offer: the body is not valid JSON") from None
    if not isinstance(fields, dict):
        raise BadMessage("offer: expected a JSON object")
    sdp, kind = fields.get("sdp"), fields.get("type")
    if not isinstance(sdp, str) or not sdp or kind != "offer":
        raise BadMessage('offer: needs "sdp" (a string) and "type": "offer"')
    return RTCSessionDescription(sdp=sdp, type="offer"), fields


async def offer_endpoint(request: Request) -> Response:
    """`POST /v1/webrtc/offer`: answer a browser's offer and start its call (see the module doc)."""
    rt: Runtime = request.app.state.runtime
    tenant = tenant_for(bearer_token(request.headers, request.query_params), rt.config.tokens)
    if tenant is None:
        return denial(401)
    if not origin_allowed(request.headers, rt.config.limits.allowed_origins):
        return denial(403, "this Origin may not place calls")
    call = WebRtcCall(rt, tenant)
    try:
        offer, fields = await _offer_body(request, rt.config.limits.max_offer_bytes)
        answer = await call.accept(offer, fields)
    except ProtocolError as exc:
        await call.pc.close()
        log.info("webrtc_offer_refused", code=exc.code)
        return _error(exc)
    except Exception:  # our bug: no half-open peer connection; Starlette answers 500 and logs it
        await call.pc.close()
        raise
    call.start()
    return JSONResponse({"sdp": answer.sdp, "type": answer.type})


PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "media-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # the token may be in the URL until the script removes it
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
"""Headers of the softphone page and its assets: no framing, no inline code, nothing cached or referred."""


async def softphone_page(request: Request) -> Response:
    """The softphone test page (token and call_id come from its query string; the script then removes the
    token from the address bar and keeps it in sessionStorage)."""
    return FileResponse(STATIC / "softphone.html", media_type="text/html", headers=PAGE_HEADERS)


async def softphone_script(request: Request) -> Response:
    return FileResponse(STATIC / "softphone.js", media_type="text/javascript", headers=PAGE_HEADERS)


async def softphone_style(request: Request) -> Response:
    return FileResponse(STATIC / "softphone.css", media_type="text/css", headers=PAGE_HEADERS)


def routes() -> list[BaseRoute]:
    """The WebRTC routes to mount in the app."""
    return [
        Route("/v1/webrtc/offer", offer_endpoint, methods=["POST"]),
        Route("/softphone", softphone_page),
        Route("/softphone.js", softphone_script),
        Route("/softphone.css", softphone_style),
    ]
