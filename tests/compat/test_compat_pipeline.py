"""Calls on the compatible surfaces are ordinary gateway calls: the event bus (captions, store, metrics
listeners) sees them open under the key's tenant and close with the same finals the client received."""

from __future__ import annotations

import asyncio

from bench.audio import encode
from gateway.core.events import CallClosed, CallEvent, CallOpened
from tests.compat import dg, oai
from tests.compat.conftest import chunks, jfk
from tests.compat.test_compat_openai_sdk import GA_SESSION
from tests.conftest import TOKEN, Gateway


async def test_both_surfaces_run_through_the_call_pipeline(compat_gw: Gateway) -> None:
    """A Deepgram and an OpenAI call each publish CallOpened (their transport, tenant-a, consent granted by
    the operator) and one CallClosed whose finals are the transcripts their client got."""
    events: list[CallEvent] = []
    closed_twice = asyncio.Event()

    def listen(event: CallEvent) -> None:
        events.append(event)
        if sum(isinstance(e, CallClosed) for e in events) == 2:
            closed_twice.set()

    compat_gw.runtime.bus.subscribe(listen)
    audio = encode(jfk().samples, "pcm_s16le")
    run = await dg.stream(
        compat_gw.http,
        TOKEN,
        [*chunks(audio, 32000), "CloseStream"],
        encoding="linear16",
        sample_rate=16000,
        language="en",
        punctuate="true",
    )
    rt = await oai.stream(compat_gw.http, TOKEN, GA_SESSION, encode(jfk(24000).samples, "pcm_s16le"), 48000)
    opened = {e.transport: e for e in events if isinstance(e, CallOpened)}
    assert set(opened) == {"deepgram", "openai_realtime"}
    assert all(e.tenant == "tenant-a" and e.start.consent == "granted" for e in opened.values())
    await asyncio.wait_for(closed_twice.wait(), 60)  # the Realtime call ends once its client has closed
    closed = {e.call_id: e for e in events if isinstance(e, CallClosed)}
    deepgram = closed[opened["deepgram"].call_id]
    assert [f.text for f in deepgram.finals] == [r.channel.alternatives[0].transcript for r in run.finals()]
    realtime = closed[opened["openai_realtime"].call_id]
    assert [f.text for f in realtime.finals] == [c.transcript for c in rt.completed]
