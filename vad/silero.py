"""silero-vad (v5, ONNX) on onnxruntime, streamed per call leg.

Theory of operation
-------------------
The model scores one window of 512 samples (32 ms at 16 kHz) per row and call. Each row is the window
prefixed with the last 64 samples of the previous window of the same stream (the "context"; zeros at
the start of a stream), and comes with a recurrent state [2, batch, 128] (zeros at the start); the model
returns the row's speech probability and its next state. A `SileroStream` therefore owns three things:
its context, its state, and the fewer-than-512 samples left over from the last `process` call. Only
complete windows are scored and the leftover is carried to the next call, so the probabilities do not
depend on how the audio was chunked.

Rows of a batch are independent (a row's output depends only on its own input and state), so
`SileroModel.run_streams` advances several legs' streams in lock step, one `session.run` per window
step for all of them. On one CPU thread a window costs about 66 us alone and about 31 us in a batch of
16. The stream's own `process` goes through the same code with a batch of one, so both paths give the
same numbers.

The session is created with one intra-op and one inter-op thread on the CPU provider: the model is tiny,
and thread hand-offs would cost more than they save. It is not safe to run one session from two threads
at once through this class (streams mutate state); call it from one thread, or load a model per thread.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from vad.errors import VadModelError

SAMPLE_RATE = 16000
"""The only rate the streams accept; resample telephony audio before."""
WINDOW = 512
"""Samples scored per probability (32 ms)."""
CONTEXT = 64
"""Samples of the previous window prepended to each window."""
_STATE_SIZE = 128
_INPUTS = frozenset({"input", "state", "sr"})

Audio = npt.NDArray[np.float32]


def bundled_model_path() -> Path:
    """Return the path of the ONNX file shipped inside the `silero_vad` package, without importing it.

    (Importing `silero_vad` would import torch, which this project never installs.)
    """
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise VadModelError("silero-vad is not installed (pip install --no-deps silero-vad)")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "silero_vad.onnx"


class SileroModel:
    """One loaded silero VAD session, shared by any number of `SileroStream`s (one per leg)."""

    def __init__(self, session: ort.InferenceSession, path: Path) -> None:
        """Wrap an existing session; prefer `SileroModel.load`."""
        names = {i.name for i in session.get_inputs()}
        if names != _INPUTS:
            raise VadModelError(f"{path} is not a silero v5 VAD model (inputs {sorted(names)})")
        self._session = session
        self._sr = np.array(SAMPLE_RATE, dtype=np.int64)
        self.path = path

    @classmethod
    def load(cls, path: str | Path | None = None) -> SileroModel:
        """Load the model from `path`, or the file bundled with the silero-vad package when None.

        Raises `VadModelError` when the file is missing or onnxruntime cannot load it.
        """
        model_path = bundled_model_path() if path is None else Path(path)
        if not model_path.is_file():
            raise VadModelError(f"silero VAD model not found: {model_path}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's errors derive from Exception only: wrap, keep the cause
            raise VadModelError(f"cannot load silero VAD model {model_path}: {exc}") from exc
        return cls(session, model_path)

    def new_stream(self) -> SileroStream:
        """Return a fresh stream (zero state, zero context) for one leg."""
        return SileroStream(self)

    def probabilities(self, windows: Audio, states: Audio) -> tuple[Audio, Audio]:
        """Score one window per row: `windows` [batch, 64+512], `states` [2, batch, 128].

        Returns (probabilities [batch], next states [2, batch, 128]). This is the raw batched step;
        most callers want `SileroStream.process` or `run_streams`.
        """
        if windows.ndim != 2 or windows.shape[1] != CONTEXT + WINDOW:
            raise ValueError(f"windows must be [batch, {CONTEXT + WINDOW}], got {windows.shape}")
        if states.shape != (2, windows.shape[0], _STATE_SIZE):
            raise ValueError(f"states must be [2, {windows.shape[0]}, {_STATE_SIZE}], got {states.shape}")
        feeds = {"input": windows.astype(np.float32, copy=False), "state": states, "sr": self._sr}
        output, next_states = self._session.run(None, feeds)
        return np.asarray(output, dtype=np.float32)[:, 0], np.asarray(next_states, dtype=np.float32)

    def run_streams(self, jobs: Sequence[tuple[SileroStream, npt.ArrayLike]]) -> list[Audio]:
        """Feed each stream its audio and score all complete windows, batching across streams.

        Returns, per job and in order, what `stream.process(audio)` would have returned.
        """
        streams = [stream for stream, _ in jobs]
        if len({id(s) for s in streams}) != len(streams):
            raise ValueError("a stream may appear only once per run_streams call")
        if any(s.model is not self for s in streams):
            raise ValueError("every stream must belong to this model")
        blocks = [stream._take_windows(audio) for stream, audio in jobs]
        results = [np.empty(len(block), dtype=np.float32) for block in blocks]
        for step in range(max((len(b) for b in blocks), default=0)):
            rows = [j for j, block in enumerate(blocks) if len(block) > step]
            inputs = np.stack([streams[j]._input_row(blocks[j][step]) for j in rows])
            if len(rows) == 1:
                states = streams[rows[0]]._state
            else:
                states = np.concatenate([streams[j]._state for j in rows], axis=1)
            probs, next_states = self.probabilities(inputs, states)
            for row, j in enumerate(rows):
                streams[j]._advance(blocks[j][step], next_states[:, row : row + 1])
                results[j][step] = probs[row]
        return results


class SileroStream:
    """The streaming state of one leg: context, recurrent state and leftover samples.

    `windows` counts every window this stream has scored since it was created (`reset` keeps it).
    """

    def __init__(self, model: SileroModel) -> None:
        """Create a stream on `model`; prefer `model.new_stream()`."""
        self.model = model
        self.windows = 0
        self._state: Audio = np.zeros((2, 1, _STATE_SIZE), dtype=np.float32)
        self._context: Audio = np.zeros(CONTEXT, dtype=np.float32)
        self._pending: Audio = np.zeros(0, dtype=np.float32)

    @property
    def pending_samples(self) -> int:
        """Samples received but not yet scored (always < 512)."""
        return len(self._pending)

    def process(self, audio16k: npt.ArrayLike) -> Audio:
        """Append mono float audio at 16 kHz; return one probability per newly completed window."""
        return self.model.run_streams([(self, audio16k)])[0]

    def reset(self) -> None:
        """Forget context, state and leftover samples, as at the start of a new stream."""
        self._state = np.zeros((2, 1, _STATE_SIZE), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def _take_windows(self, audio: npt.ArrayLike) -> Audio:
        """Join leftover and new audio; return the complete windows [n, 512], keep the rest."""
        samples = np.asarray(audio)
        if samples.ndim != 1:
            raise ValueError(f"audio must be 1-D mono, got shape {samples.shape}")
        if samples.size and not np.issubdtype(samples.dtype, np.floating):
            raise TypeError(f"audio must be float samples in [-1, 1], got {samples.dtype}")
        joined = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        count = len(joined) // WINDOW
        self._pending = joined[count * WINDOW :].copy()
        return joined[: count * WINDOW].reshape(count, WINDOW)

    def _input_row(self, window: Audio) -> Audio:
        return np.concatenate([self._context, window])

    def _advance(self, window: Audio, state: Audio) -> None:
        self._context = window[-CONTEXT:].copy()
        self._state = np.ascontiguousarray(state)
        self.windows += 1
