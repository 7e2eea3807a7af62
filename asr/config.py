"""Typed engine configuration, validated once at start-up."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """How one Whisper model is loaded and decoded.

    Each field carries a line of tuning advice.
    """

    model: str = "tiny.en"
    """Bundled name (`tiny.en`, `base`), a local CTranslate2 directory, or a hub name (large-v3, ...)."""
    device: str = "auto"
    """`cpu`, `cuda` or `auto` (CUDA when CTranslate2 sees a GPU)."""
    compute_type: str = "auto"
    """`auto` picks int8 on CPU and float16 on CUDA; int8_float16 halves GPU memory for large models."""
    cpu_threads: int = 0
    """Intra-op threads per worker; 0 = auto (on CPU: the cores divided among the workers)."""
    workers: int = 0
    """CTranslate2 workers (inter-op threads) of the model, each decoding one batch at a time; the scheduler
    keeps this many batches in flight (`BatcherConfig.max_inflight` auto). 0 = auto: on CPU one worker per
    core (up to 4), on CUDA 1. Measured on 2 cores with tiny.en (docs/capacity.md): a batch of 4 partials
    took 209 ms on one thread and 314 ms on two, so two single-threaded workers decode about three times
    as many small batches per second as one worker on both cores."""
    beam_size: int = 5
    """Beam width for finals. Partials are always greedy (beam 1): they are replaced anyway."""
    final_pad_s: float = 1.0
    """Silence appended after a final's audio before encoding. Whisper loops on very tight windows
    (0.2 s was seen to repeat sentences); 1 s keeps tiny.en's words (DESIGN.md)."""
    partial_pad_s: float = 1.0
    """The same for partials."""
    min_window_s: float = -1.0
    """Lower bound for the encoder window in seconds (30 = Whisper's full window, the slow classic path).
    -1 = auto: 8 s for English-only models, 10 s for multilingual ones. Measured on the 2-core machine:
    base on the Dutch clips gave WER 0.69 at utterance+1 s (it repeats sentences), 0.21 at 10 s and 30 s;
    tiny.en on VAD-cut JFK utterances repeated a 2.2 s utterance three times at utterance+1 s or 5 s and
    was clean at 8 s and 30 s (30 s took 3x longer). Measure per model and language before changing it."""
    partial_min_window_s: float = -1.0
    """The same floor for partials only; -1 = auto, half of `min_window_s` (4 s for English-only models).
    Partials are replaced by the final, so a cheaper window buys partial lag and capacity: on 2 cores a
    batch of 16 partials encodes in 182 ms at 4 s and 589 ms at 8 s (docs/capacity.md)."""
    no_speech_threshold: float = 0.6
    """With avg log-prob below `logprob_threshold`, a result whose no-speech probability exceeds this is
    treated as silence and dropped."""
    logprob_threshold: float = -1.0
    """See `no_speech_threshold`."""
    compression_ratio_threshold: float = 2.4
    """Text that gzip-compresses better than this is a repetition loop (see `fallback_temperatures`)."""
    final_timestamps: bool = False
    """Decode finals with Whisper's timestamp tokens (as faster-whisper's `transcribe` does) instead of
    `<|notimestamps|>`; the tokens are dropped from the text (word times come from alignment either way)."""
    context_mode: str = "prefix"
    """How a final's context audio (`DecodeRequest.context`, see `asr.context`) is used: `prefix` forces the
    context's words as the decoder prefix, so only new words are decoded; `words` decodes context and
    utterance freely and drops the leading words that match the context's text. Measured (docs/
    accuracy-longform.md): `prefix` helps slow talkers at real-time pace, `words` was much worse (tiny.en)."""
    fallback_temperatures: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8, 1.0)
    """Temperature fallback for finals (faster-whisper's `temperature` list after 0): a final that fails a
    guard (compression ratio, a character or token loop, more words than the audio can hold, a short doubled
    phrase, avg log-prob below `logprob_threshold` while not silence) is sampled again at each temperature in
    turn, from the same encoder output, until one passes; if none does, the best-scoring candidate is kept
    and its loops cut.
    () = off. Each step costs one decoder pass of `fallback_best_of` samples (about one beam search)."""
    fallback_best_of: int = 5
    """Candidates sampled per fallback temperature; the one with the best avg log-prob is judged."""
    fallback_budget_s: float = 0.3
    """Most wall seconds one batch may spend on temperature fallback: past it no further temperature is
    tried and the best candidate so far is kept (as when none passes). A fallback that walks all five
    temperatures took about 0.9 s per final on 2 cores, holding an engine worker while other calls'
    finals waited (docs/capacity.md). 0 = no limit."""
    tokens_per_second: float = 12.0
    """Cap on generated tokens per second of audio (plus a small constant): stops runaway loops early."""

    def __post_init__(self) -> None:
        if self.beam_size < 1:
            raise ValueError("beam_size must be >= 1")
        if self.final_pad_s < 0 or self.partial_pad_s < 0:
            raise ValueError("padding must be >= 0")
        if not (self.min_window_s == -1.0 or 0 <= self.min_window_s <= 30):
            raise ValueError("min_window_s must be -1 (auto) or within [0, 30]")
        if not (self.partial_min_window_s == -1.0 or 0 <= self.partial_min_window_s <= 30):
            raise ValueError("partial_min_window_s must be -1 (as min_window_s) or within [0, 30]")
        if self.fallback_budget_s < 0:
            raise ValueError("fallback_budget_s must be >= 0")
        if any(not 0 < t <= 1.5 for t in self.fallback_temperatures) or self.fallback_best_of < 1:
            raise ValueError("fallback_temperatures must be within (0, 1.5] and fallback_best_of >= 1")
        if self.context_mode not in ("words", "prefix"):
            raise ValueError("context_mode must be 'words' or 'prefix'")
        if self.cpu_threads < 0 or self.workers < 0:
            raise ValueError("cpu_threads and workers must be >= 0")


def thread_split(workers: int, cpu_threads: int, device: str, cores: int) -> tuple[int, int]:
    """(workers, intra-op threads per worker) for `EngineConfig.workers`/`cpu_threads` (0 = auto)."""
    if device == "cuda":
        return workers or 1, cpu_threads or 1
    w = workers or max(1, min(4, cores))
    return w, cpu_threads or max(1, cores // w)
