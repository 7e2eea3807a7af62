"""CTranslate2 Whisper engine: batched encode + generate over utterances from many calls.

Theory of operation: a batch is decoded in groups of one kind (all partials or all finals) and one window
bucket (`_window_bucket`: the request's window rounded up to 2 s). Each request's audio is padded with
`*_pad_s` of silence (and at least to `min_window_s`); a group is padded to its longest member, so the
encoder sees a window of a few seconds instead of Whisper's fixed 30 s (CTranslate2 >= 3.19 accepts
shorter inputs), and no utterance gets much more silence than its own window holds. One `encode` call
serves a group; `generate` runs greedy for partials and beam search for finals with one prompt per
request (language and optional previous text); finals get word timestamps from `align`, grouped by
language. The guards in `asr.guards` then drop silence and cut loops.

faster-whisper provides the loader (device, hub download), the mel front end and the tokenizer; its
segment-by-segment `transcribe()` is not used.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer

from asr.config import EngineConfig, thread_split
from asr.context import context_split
from asr.guards import clean, compression_ratio, drop_echo, is_silence, loop_reason
from asr.models import resolve_model
from asr.types import SAMPLE_RATE, Audio, DecodeRequest, DecodeResult, WordTiming

_HOP = 160  # samples per mel frame
_N_FFT = 400  # samples per STFT frame
_PROMPT_TOKENS = 223  # Whisper's limit for previous-text conditioning


def _auto_device(device: str) -> str:
    if device != "auto":
        return device
    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


class WhisperEngine:
    """A `Transcriber` on one CTranslate2 Whisper model (thread-safe for one caller at a time)."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        device = _auto_device(config.device)
        compute = config.compute_type
        if compute == "auto":
            compute = "float16" if device == "cuda" else "int8"
        self.device, self.compute_type = device, compute
        self.workers, threads = thread_split(config.workers, config.cpu_threads, device, os.cpu_count() or 1)
        self._fw = WhisperModel(
            resolve_model(config.model),
            device=device,
            compute_type=compute,
            cpu_threads=threads,
            num_workers=self.workers,
        )
        self._model: Any = self._fw.model
        self.multilingual: bool = bool(self._model.is_multilingual)
        self._tokenizers: dict[str, Tokenizer] = {}
        self.min_window_s = config.min_window_s
        if self.min_window_s < 0:  # auto: measured per model (see EngineConfig.min_window_s)
            self.min_window_s = 10.0 if self.multilingual else 8.0
        self.fallbacks: dict[str, int] = {}
        """Finals sent to temperature fallback so far, by the guard that failed, and (`context`) finals decoded
        again without their context (metrics; no text)."""
        self.partial_min_window_s = config.partial_min_window_s
        if self.partial_min_window_s < 0:  # auto: half the finals' floor (see EngineConfig)
            self.partial_min_window_s = self.min_window_s / 2

    @property
    def name(self) -> str:
        return self.config.model

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._fw.supported_languages) if self.multilingual else ("en",)

    @property
    def faster_whisper(self) -> WhisperModel:
        """The loaded faster-whisper model, for long-form file decoding (`asr.longform`)."""
        return self._fw

    def tokenizer(self, language: str) -> Tokenizer:
        if language not in self._tokenizers:
            lang = language if self.multilingual else None
            self._tokenizers[language] = Tokenizer(
                self._fw.hf_tokenizer, self.multilingual, task="transcribe", language=lang
            )
        return self._tokenizers[language]

    def transcribe_offline(self, audio: np.ndarray, language: str) -> str:
        """faster-whisper's own offline transcription (30 s windows, beam search): the accuracy baseline."""
        lang = None if language == "auto" else language
        segments, _ = self._fw.transcribe(audio, language=lang, beam_size=self.config.beam_size)
        return " ".join(s.text.strip() for s in segments)

    # -- batch ---------------------------------------------------------------------------------------

    def transcribe_batch(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
        """Decode a batch; requests of mixed kinds are split and decoded kind by kind."""
        results: dict[int, DecodeResult] = {}
        groups: dict[tuple[str, int], list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault((r.kind, self._window_bucket(r)), []).append(i)
        timings: dict[str, float] = {}
        for _, idx in sorted(groups.items(), key=lambda g: g[0][0] != "final"):
            decoded = self._decode_group([requests[i] for i in idx])
            for key, value in decoded[0].timings.items():
                timings[key] = timings.get(key, 0.0) + value
            for i, res in zip(idx, decoded, strict=True):
                results[i] = res
        # every result carries the whole batch's timings (what the scheduler's observers account)
        return [dataclasses.replace(results[i], timings=timings) for i in range(len(requests))]

    def _window_samples(self, request: DecodeRequest) -> int:
        """The request's own encoder window: its audio plus the kind's padding, at least the kind's floor,
        at most Whisper's 30 s (a group is encoded on the largest of its members')."""
        final = request.kind == "final"
        pad = self.config.final_pad_s if final else self.config.partial_pad_s
        floor = self.min_window_s if final else self.partial_min_window_s
        samples = max(len(request.encoder_audio) + int(pad * SAMPLE_RATE), int(floor * SAMPLE_RATE))
        return min(samples, 30 * SAMPLE_RATE)

    def _window_bucket(self, request: DecodeRequest) -> int:
        """The request's window rounded up to 2 s: a batch is encoded per bucket, so a short utterance is
        never padded to a long one's window (a few seconds of extra silence after it made tiny.en invent
        words there, and the guards then paid for temperature fallback)."""
        return -(-self._window_samples(request) // (2 * SAMPLE_RATE))

    def _features(self, requests: Sequence[DecodeRequest]) -> tuple[Any, list[int]]:
        audios = [r.encoder_audio for r in requests]
        window = max(self._window_samples(r) for r in requests)
        window += (-window) % (2 * _HOP)  # an even number of mel frames
        mels = [padded_mel(self._fw.feature_extractor, audio, window) for audio in audios]
        batch = np.ascontiguousarray(np.stack(mels).astype(np.float32))
        frames = [min(len(a), window) // _HOP for a in audios]
        return ctranslate2.StorageView.from_array(batch), frames

    def _languages(self, requests: Sequence[DecodeRequest], encoded: Any) -> list[str]:
        langs = [r.language if self.multilingual else "en" for r in requests]
        auto = [i for i, lang in enumerate(langs) if lang == "auto"]
        if auto:
            detected = self._model.detect_language(encoded)
            for i in auto:
                langs[i] = detected[i][0][0].strip("<|>")
        return langs

    def _prompt(self, request: DecodeRequest, language: str) -> list[int]:
        tok = self.tokenizer(language)
        prompt: list[int] = []
        if request.prompt:
            prev = tok.encode(" " + request.prompt.strip())[-_PROMPT_TOKENS:]
            prompt = [tok.sot_prev, *prev]
        prefix = self._prefix(request, language)
        if request.kind == "final" and self.config.final_timestamps:  # as faster-whisper's transcribe does
            return [*prompt, *tok.sot_sequence, *([tok.timestamp_begin, *prefix] if prefix else [])]
        return [*prompt, *tok.sot_sequence, tok.no_timestamps, *prefix]

    def _prefix(self, request: DecodeRequest, language: str) -> list[int]:
        """The forced decoder prefix: the words of the request's context audio."""
        if not request.prefix or not len(request.context) or self.config.context_mode != "prefix":
            return []
        tokens: list[int] = self.tokenizer(language).encode(" " + request.prefix.strip())
        return tokens[-_PROMPT_TOKENS // 2 :]

    def _decode_group(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
        t0 = time.perf_counter()
        features, frames = self._features(requests)
        t_feat = time.perf_counter()
        encoded = self._model.encode(features, to_cpu=False)
        t_enc = time.perf_counter()
        langs = self._languages(requests, encoded)
        prompts = [self._prompt(r, lang) for r, lang in zip(requests, langs, strict=True)]
        final = requests[0].kind == "final"
        max_audio = max(r.seconds for r in requests)
        max_len = min(448, int(max_audio * self.config.tokens_per_second) + 16 + max(map(len, prompts)))
        outs = self._generate(encoded, prompts, final, max_len)
        t_gen = time.perf_counter()
        results = [self._result(r, lang, out) for r, lang, out in zip(requests, langs, outs, strict=True)]
        alone = self._decoded_alone(requests, results) if final else {}
        for i in alone:
            results[i] = DecodeResult("", results[i].language)  # replaced below; skipped by fallback and words
        tries = 0
        if final and self.config.fallback_temperatures:
            results, tries = self._fallback(requests, results, encoded, prompts, max_len)
        t_fb = time.perf_counter()
        results = [self._cleaned(r, q.seconds) for r, q in zip(results, requests, strict=True)]
        if final:
            results = self._with_words(requests, results, encoded, frames)
        t_align = time.perf_counter()
        for i, redone in alone.items():
            results[i] = redone
        timings = {
            "features": t_feat - t0,
            "encode": t_enc - t_feat,
            "generate": t_gen - t_enc,
            "fallback": t_fb - t_gen,
            "fallback_tries": float(tries),
            "align": t_align - t_fb,
            "total": t_align - t0,
        }
        if alone:  # the second pass's time counts too (its stages are inside "fallback" and "total")
            extra = next(iter(alone.values())).timings
            timings["fallback"] += extra.get("total", 0.0)
            timings["total"] += extra.get("total", 0.0)
            timings["fallback_tries"] += 1 + extra.get("fallback_tries", 0.0)
        return [
            DecodeResult(
                r.text, r.language, r.words, r.no_speech_prob, r.avg_logprob, r.compression_ratio, r.rejected, timings
            )
            for r in results
        ]

    def _decoded_alone(self, requests: Sequence[DecodeRequest], results: list[DecodeResult]) -> dict[int, DecodeResult]:
        """Context must never make a final worse than decoding it alone: a final decoded with context that
        loops, or that ends at once with nothing new although it is not silence, is decoded again without
        it (its own encoder pass, and the temperature fallback if that fails too)."""
        redo = [
            i
            for i, (q, r) in enumerate(zip(requests, results, strict=True))
            if len(q.context) and (r.rejected not in (None, "no_speech", "logprob") or (not r.text and not r.rejected))
        ]
        if not redo:
            return {}
        self.fallbacks["context"] = self.fallbacks.get("context", 0) + len(redo)
        empty = np.zeros(0, dtype=np.float32)
        again = self._decode_group([dataclasses.replace(requests[i], context=empty, prefix="") for i in redo])
        return dict(zip(redo, again, strict=True))

    def _generate(
        self, encoded: Any, prompts: list[list[int]], final: bool, max_len: int, temperature: float = 0.0
    ) -> list[Any]:
        sampling: dict[str, Any] = {}
        if temperature > 0:
            sampling = {
                "num_hypotheses": self.config.fallback_best_of,
                "sampling_topk": 0,
                "sampling_temperature": temperature,
            }
        return list(
            self._model.generate(
                encoded,
                prompts,
                beam_size=self.config.beam_size if final and not temperature else 1,
                max_length=max_len,
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
                suppress_tokens=[-1],
                **sampling,
            )
        )

    def _result(self, request: DecodeRequest, language: str, out: Any, hypothesis: int = 0) -> DecodeResult:
        """The raw decode, judged: `rejected` names the first guard it fails (its text is not cut yet)."""
        tok = self.tokenizer(language)
        ids = [t for t in out.sequences_ids[hypothesis] if t < tok.eot]
        prefix = self._prefix(request, language)  # timestamp tokens (> eot) are already filtered out
        if prefix and ids[: len(prefix)] == prefix:  # CTranslate2 returns the forced prefix too
            ids = ids[len(prefix) :]
        text = drop_echo(tok.decode(ids).strip(), request.prefix) if prefix else tok.decode(ids).strip()
        # CTranslate2 scores are length-normalised sums (length_penalty 1), as faster-whisper reads them
        avg_logprob = float(out.scores[hypothesis]) * len(ids) / (len(ids) + 1) if out.scores else 0.0
        no_speech = float(out.no_speech_prob)
        ratio = compression_ratio(text)
        cfg = self.config
        rejected: str | None = None
        if is_silence(no_speech, avg_logprob, cfg.no_speech_threshold, cfg.logprob_threshold):
            text, rejected = "", "no_speech"
        elif text:
            rejected = loop_reason(text, ratio, cfg.compression_ratio_threshold, request.seconds)
            if rejected is None and avg_logprob < cfg.logprob_threshold:
                rejected = "logprob"
        return DecodeResult(text, language, (), no_speech, avg_logprob, ratio, rejected)

    def _fallback(
        self,
        requests: Sequence[DecodeRequest],
        results: list[DecodeResult],
        encoded: Any,
        prompts: list[list[int]],
        max_len: int,
    ) -> tuple[list[DecodeResult], int]:
        """Temperature fallback for the finals that failed a guard (see `EngineConfig.fallback_temperatures`)."""
        out = list(results)
        todo = [i for i, r in enumerate(results) if r.rejected not in (None, "no_speech")]
        for i in todo:
            reason = results[i].rejected or ""
            self.fallbacks[reason] = self.fallbacks.get(reason, 0) + 1
        tried: dict[int, list[DecodeResult]] = {i: [results[i]] for i in todo}
        tries = 0
        ctranslate2.set_random_seed(len(todo))  # reproducible runs
        started, budget = time.perf_counter(), self.config.fallback_budget_s
        for temperature in self.config.fallback_temperatures:
            if not todo or (tries and budget and time.perf_counter() - started > budget):
                break
            tries += 1
            sub = self._select(encoded, todo, len(results))
            outs = self._generate(sub, [prompts[i] for i in todo], True, max_len, temperature)
            for i, o in zip(list(todo), outs, strict=True):
                cands = [self._result(requests[i], results[i].language, o, h) for h in range(len(o.sequences_ids))]
                best = max(cands, key=lambda c: c.avg_logprob)
                tried[i].append(best)
                if best.rejected is None:
                    out[i] = best
                    todo.remove(i)
        for i in todo:  # none passed: faster-whisper's choice, the best log-prob among non-loops
            pool = [c for c in tried[i] if c.rejected in (None, "logprob")] or tried[i]
            out[i] = max(pool, key=lambda c: c.avg_logprob)
        return out, tries

    @staticmethod
    def _cleaned(r: DecodeResult, seconds: float) -> DecodeResult:
        return DecodeResult(
            clean(r.text, seconds),
            r.language,
            r.words,
            r.no_speech_prob,
            r.avg_logprob,
            r.compression_ratio,
            r.rejected if r.rejected != "logprob" else None,
        )

    def _with_words(
        self, requests: Sequence[DecodeRequest], results: list[DecodeResult], encoded: Any, frames: list[int]
    ) -> list[DecodeResult]:
        """Word timestamps from cross-attention alignment, one `align` call per language.

        With context, the context's words and the text are aligned together, those words dropped and the
        times shifted to count from the start of the request's own audio (see `_own_words`)."""
        out = list(results)
        for lang in {r.language for r in results if r.text}:
            idx = [i for i, r in enumerate(results) if r.text and r.language == lang]
            tok = self.tokenizer(lang)
            prefixes = [self._prefix(requests[i], lang) for i in idx]
            tokens = [
                [*p, *(t for t in tok.encode(" " + results[i].text) if t < tok.eot)]
                for p, i in zip(prefixes, idx, strict=True)
            ]
            sub = self._select(encoded, idx, len(results))
            aligned = self._fw.find_alignment(tok, tokens, sub, max(frames[i] for i in idx))
            for i, p, words in zip(idx, prefixes, aligned, strict=True):
                skip = len(tok.split_to_word_tokens([*p, tok.eot])[0]) - 1 if p else 0
                timed, text = _own_words(_merge_punctuation(words[skip:]), requests[i], results[i].text, forced=bool(p))
                r = results[i]
                out[i] = DecodeResult(
                    text, r.language, timed, r.no_speech_prob, r.avg_logprob, r.compression_ratio, r.rejected
                )
        return out

    @staticmethod
    def _select(encoded: Any, idx: list[int], total: int) -> Any:
        if len(idx) == total:
            return encoded
        arr = np.asarray(encoded) if encoded.device == "cpu" else None
        if arr is None:  # on GPU: copy through the host once; alignment batches are small
            arr = np.asarray(ctranslate2.StorageView.to_device(encoded, ctranslate2.Device.cpu))
        return ctranslate2.StorageView.from_array(np.ascontiguousarray(arr[idx]))


def _own_words(
    words: tuple[WordTiming, ...], request: DecodeRequest, text: str, forced: bool
) -> tuple[tuple[WordTiming, ...], str]:
    """The words and text of the request's own audio, timed from its start.

    Without a forced prefix the decode holds the context's words too: the leading words that match the
    context's text (`asr.context.context_split`) are dropped."""
    ctx = request.context_seconds
    if not ctx:
        return words, text
    if not forced:
        full = text.split()
        skip = context_split(text, request.prefix)
        text = " ".join(full[skip:])
        words = words[skip:] if len(words) == len(full) else words[max(len(words) - len(full) + skip, 0) :]
    shifted = tuple(
        WordTiming(w.word, round(max(w.start - ctx, 0.0), 3), round(max(w.end - ctx, 0.0), 3), w.probability)
        for w in words
    )
    return shifted, text


def _merge_punctuation(words: list[dict[str, Any]]) -> tuple[WordTiming, ...]:
    """Attach tokens that are only punctuation ("." ",") to the word before them."""
    out: list[WordTiming] = []
    for w in words:
        text = str(w["word"]).strip()
        if not text:
            continue
        start, end, prob = round(float(w["start"]), 3), round(float(w["end"]), 3), float(w["probability"])
        if out and not any(ch.isalnum() for ch in text):
            prev = out[-1]
            out[-1] = WordTiming(prev.word + text, prev.start, prev.end, prev.probability)
        else:
            out.append(WordTiming(text, start, end, prob))
    return tuple(out)


def padded_mel(extract: Callable[..., Any], audio: Audio, window: int) -> Any:
    """Whisper's log-mel of `audio` zero-padded to `window` samples, computing the STFT of the audio only.

    A frame that sees nothing but the padding has the log floor (the spectrogram's max - 8, as Whisper
    clamps it, normalised), so the frames past the audio's last STFT window are filled with it instead of
    being transformed: the same numbers as `extract` on the whole padded window, in about a third of the
    time (1.1 against 3.5 ms for 4.3 s of audio in an 8 s window, on the 2-core machine).
    """
    n = min(len(audio), window)
    head = np.zeros(min(window, n + _N_FFT), dtype=np.float32)
    head[:n] = audio[:n]
    mel = extract(head, padding=0)[:, : len(head) // _HOP]
    frames = window // _HOP
    if mel.shape[1] >= frames:
        return mel[:, :frames]
    peak = 4.0 * float(mel.max()) - 4.0  # undo Whisper's (log + 4) / 4
    floor = (max(-10.0, peak - 8.0) + 4.0) / 4.0
    out = np.full((mel.shape[0], frames), floor, dtype=mel.dtype)
    out[:, : mel.shape[1]] = mel
    return out
