"""The endpoint a call's legs get: the deployment's two endpoints (a turn's first utterance, one that
continues it), or exactly the one the call asked for (`start.endpoint_ms`, Deepgram's `endpointing`)."""

from __future__ import annotations

from asr.testing import FakeTranscriber
from gateway.runtime import Runtime
from tests.conftest import make_config
from vad.silero import SileroModel


def test_a_call_without_endpoint_gets_both_endpoints(vad_model: SileroModel) -> None:
    rt = Runtime(make_config(multilingual_model=None), {"tiny.en": FakeTranscriber("tiny.en")}, vad_model)
    config = rt.new_endpointer(language="en").config
    assert (config.min_silence_ms, config.turn_silence_ms) == (400, 800)


def test_a_call_that_sets_its_endpoint_gets_exactly_that_one(vad_model: SileroModel) -> None:
    """`endpoint_ms` 500 ends every utterance after 500 ms, inside a turn too (the longer endpoint is off)."""
    rt = Runtime(make_config(multilingual_model=None), {"tiny.en": FakeTranscriber("tiny.en")}, vad_model)
    config = rt.new_endpointer(endpoint_ms=500, language="en").config
    assert (config.min_silence_ms, config.turn_silence_ms) == (500, 0)
    assert rt.new_endpointer(endpoint_ms=2500, language="nl").config.turn_silence_ms == 0
