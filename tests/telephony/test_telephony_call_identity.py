"""chan_websocket before `channel_id`: calls get distinct identities from `v(call_id=${UNIQUEID})`, or a clear
refusal without it; never a merged call, and no viewer ever sees another call's captions."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets

from bench.audio import Clip, read_wav
from protocol.adapters.asterisk_ws import NO_CALL_ID
from tests.conftest import TOKEN
from tests.telephony.conftest import CALL, JFK, Telephony
from tests.telephony.media_servers import asterisk_plain_timeline, play_ws

SECTION = "callscribe"  # the websocket_client section name: chan_websocket's connection_id in client mode
OPTIONS = {"language": "en", "consent": "granted", "interim_results": "false"}


def caller_clip() -> Clip:
    """The synthetic call's caller channel (right) alone: other words than JFK's."""
    call = read_wav(CALL)
    return Clip(call.samples[:, 1:2], call.rate)


async def captions(tel: Telephony, call_id: str) -> list[dict[str, Any]]:
    """Every frame a caption viewer that joined before the call (`?wait=1`) receives, up to `call_ended`."""
    url = tel.gw.url.replace("/v1/stream", f"/v1/calls/{call_id}/captions") + f"?token={TOKEN}&wait=1"
    frames: list[dict[str, Any]] = []
    async with websockets.connect(url) as ws:
        async for frame in ws:
            frames.append(json.loads(frame))
            if frames[-1]["type"] == "call_ended":
                break
    return frames


def final_texts(frames: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(f["seq"], f["text"]) for f in frames if f["type"] == "final"]


async def test_two_concurrent_calls_with_the_documented_call_id_stay_apart(tel: Telephony) -> None:
    """Two concurrent pre-`channel_id` calls on one websocket_client, each dialled with
    `v(call_id=${UNIQUEID})`: two calls, each numbered from 1, and each viewer sees only its own call's
    finals (the words of its own clip)."""
    ids = ("1733061234.17", "1733061234.18")
    viewers = [asyncio.create_task(captions(tel, call_id)) for call_id in ids]
    await asyncio.sleep(0.2)  # the viewers are waiting before the calls start
    clips = (read_wav(JFK), caller_clip())
    peers = [
        play_ws(
            tel.url("asterisk", call_id=call_id, **OPTIONS),
            asterisk_plain_timeline(clip, SECTION),
            subprotocols=["media"],
            hang_up=True,
        )
        for call_id, clip in zip(ids, clips, strict=True)
    ]
    runs = await asyncio.wait_for(asyncio.gather(*peers), 120)
    assert [run.close_code for run in runs] == [1000, 1000]
    seen = await asyncio.wait_for(asyncio.gather(*viewers), 120)
    for call_id, frames in zip(ids, seen, strict=True):
        logged = [(f.seq, f.text) for f in tel.log.finals(call_id)]
        assert logged and final_texts(frames) == logged and logged[0][0] == 1
    first, second = (" ".join(text for _, text in final_texts(f)).lower() for f in seen)
    assert "country" in first and "country" not in second
    assert "invoice" in second or "charged" in second, second


async def test_a_call_without_a_per_call_id_is_refused_clearly(tel: Telephony) -> None:
    """Without `v(call_id=...)` a pre-`channel_id` MEDIA_START is refused (1008, the error names the dial
    option) rather than keyed by the shared connection_id: two such calls are both refused, none merged."""
    timeline = asterisk_plain_timeline(read_wav(JFK), SECTION)
    runs = await asyncio.wait_for(
        asyncio.gather(*(play_ws(tel.url("asterisk", **OPTIONS), timeline, subprotocols=["media"]) for _ in range(2))),
        60,
    )
    assert [run.close_code for run in runs] == [1008, 1008]
    assert SECTION not in tel.log.messages
    assert "v(call_id=${UNIQUEID})" in NO_CALL_ID


async def test_a_later_unrelated_call_never_receives_the_earlier_calls_finals(tel: Telephony) -> None:
    """After a call ends, a later call with its own id is numbered from 1 and its viewer sees only its own
    finals; a later call that reuses the ended call's id is refused, not continued."""
    earlier, later = "1733061300.1", "1733061300.2"
    first = await play_ws(
        tel.url("asterisk", call_id=earlier, **OPTIONS),
        asterisk_plain_timeline(read_wav(JFK), SECTION),
        subprotocols=["media"],
        hang_up=True,
    )
    assert first.close_code == 1000
    await tel.log.ended(earlier)
    viewer = asyncio.create_task(captions(tel, later))
    await asyncio.sleep(0.2)
    second = await play_ws(
        tel.url("asterisk", call_id=later, **OPTIONS),
        asterisk_plain_timeline(caller_clip(), SECTION),
        subprotocols=["media"],
        hang_up=True,
    )
    assert second.close_code == 1000
    frames = await asyncio.wait_for(viewer, 120)
    texts = final_texts(frames)
    assert texts and texts[0][0] == 1
    assert not {text for _, text in texts} & {f.text for f in tel.log.finals(earlier)}
    reuse = await play_ws(
        tel.url("asterisk", call_id=earlier, **OPTIONS),
        asterisk_plain_timeline(read_wav(JFK), SECTION),
        subprotocols=["media"],
    )
    assert reuse.close_code == 1008
