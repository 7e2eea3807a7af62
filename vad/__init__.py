"""Voice activity detection and endpointing per call leg.

`SileroModel` (silero-vad's ONNX model on onnxruntime) scores 32 ms windows of 16 kHz audio;
`Segmenter` turns the probabilities into utterance boundaries (pure, no model); `LegEndpointer`
combines both with the utterance's audio for one leg. Configure with `VadConfig`.
"""

from vad.config import VadConfig
from vad.endpointer import LegEndpointer, UtteranceEnded, UtterancePaused, UtteranceStarted, VadEvent, push_many
from vad.errors import TimelineError, VadConfigError, VadError, VadModelError
from vad.segmenter import EndReason, Segmenter, SegmentEvent, SpeechEnd, SpeechPause, SpeechStart
from vad.silero import SAMPLE_RATE, WINDOW, SileroModel, SileroStream, bundled_model_path

__all__ = [
    "SAMPLE_RATE",
    "WINDOW",
    "EndReason",
    "LegEndpointer",
    "SegmentEvent",
    "Segmenter",
    "SileroModel",
    "SileroStream",
    "SpeechEnd",
    "SpeechPause",
    "SpeechStart",
    "TimelineError",
    "UtteranceEnded",
    "UtterancePaused",
    "UtteranceStarted",
    "VadConfig",
    "VadConfigError",
    "VadError",
    "VadEvent",
    "VadModelError",
    "bundled_model_path",
    "push_many",
]
