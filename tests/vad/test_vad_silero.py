"""The silero ONNX model, streamed per leg."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from vadkit import RATE, jfk, model

from vad import WINDOW, SileroModel, VadModelError, bundled_model_path


def _chunked(stream_audio: np.ndarray, size: int) -> np.ndarray:
    stream = model().new_stream()
    parts = [stream.process(stream_audio[i : i + size]) for i in range(0, len(stream_audio), size)]
    return np.concatenate(parts)


def test_bundled_model_is_found_without_importing_torch() -> None:
    """The bundled file is located and loaded without importing silero_vad (whose import needs torch)."""
    assert bundled_model_path().is_file()
    assert model().path == bundled_model_path()
    assert "silero_vad" not in sys.modules
    assert "torch" not in sys.modules


def test_missing_model_file_raises_typed_error(tmp_path: Path) -> None:
    """A path that does not exist gives VadModelError naming the path."""
    with pytest.raises(VadModelError, match="not found"):
        SileroModel.load(tmp_path / "nope.onnx")


def test_corrupt_model_file_raises_typed_error(tmp_path: Path) -> None:
    """A file that is not an ONNX model gives VadModelError, not an onnxruntime exception."""
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not a model")
    with pytest.raises(VadModelError, match="cannot load"):
        SileroModel.load(bad)


def test_speech_scores_high_and_silence_low() -> None:
    """Real speech gets windows near 1 and digital silence stays near 0, one probability per window."""
    speech = model().new_stream().process(jfk())
    silence = model().new_stream().process(np.zeros(RATE * 2, dtype=np.float32))
    assert speech.dtype == np.float32
    assert len(speech) == len(jfk()) // WINDOW
    assert float(np.mean(speech > 0.9)) > 0.5
    assert float(silence.max()) < 0.1


def test_probabilities_do_not_depend_on_chunking() -> None:
    """20 ms chunks, 1 s chunks and one whole-clip call give identical probabilities."""
    audio = jfk()
    whole = model().new_stream().process(audio)
    np.testing.assert_array_equal(_chunked(audio, 320), whole)
    np.testing.assert_array_equal(_chunked(audio, RATE), whole)
    np.testing.assert_array_equal(_chunked(audio, 777), whole)


def test_leftover_samples_wait_for_a_complete_window() -> None:
    """Fewer than 512 samples yield no probability; they are scored once the window completes."""
    stream = model().new_stream()
    assert len(stream.process(jfk()[:500])) == 0
    assert stream.pending_samples == 500
    assert stream.windows == 0
    assert len(stream.process(jfk()[500:1100])) == 2
    assert (stream.pending_samples, stream.windows) == (1100 - 2 * WINDOW, 2)


def test_reset_restarts_the_stream_but_keeps_the_window_count() -> None:
    """After reset a stream scores audio exactly like a fresh one; the windows counter keeps counting."""
    stream = model().new_stream()
    first = stream.process(jfk()[: WINDOW * 60 + 100])
    stream.reset()
    again = stream.process(jfk()[: WINDOW * 60 + 100])
    np.testing.assert_array_equal(first, again)
    assert stream.windows == 2 * len(first)
    assert stream.pending_samples == 100


def test_batched_streams_match_single_streams() -> None:
    """run_streams over several legs of different lengths returns what each stream alone returns."""
    audio = jfk()
    pieces = [audio[: RATE * 3], audio[RATE * 4 : RATE * 5 + 123], np.zeros(700, np.float32), audio[:10]]
    alone = [model().new_stream().process(piece) for piece in pieces]
    streams = [model().new_stream() for _ in pieces]
    batched = model().run_streams(list(zip(streams, pieces, strict=True)))
    for one, many in zip(alone, batched, strict=True):
        np.testing.assert_allclose(many, one, atol=1e-6)
    assert [s.windows for s in streams] == [len(p) // WINDOW for p in pieces]


def test_run_streams_rejects_a_stream_twice() -> None:
    """Passing the same stream twice in one batch is a usage error."""
    stream = model().new_stream()
    with pytest.raises(ValueError, match="once"):
        model().run_streams([(stream, jfk()[:1024]), (stream, jfk()[:1024])])


def test_bad_audio_is_rejected() -> None:
    """Integer PCM and multi-channel arrays are refused rather than silently mis-scored."""
    stream = model().new_stream()
    with pytest.raises(TypeError):
        stream.process(np.zeros(1024, dtype=np.int16))
    with pytest.raises(ValueError, match="1-D"):
        stream.process(np.zeros((1024, 2), dtype=np.float32))
    assert stream.windows == 0
