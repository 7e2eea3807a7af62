"""One call's transcription session, without sockets or timers (sans-I/O core).

Theory of operation: the async shell feeds client messages to `receive()` and engine results to
`decoded()`; both return effects for the shell to carry out: `Send` a server message, `Decode` a request
on the shared scheduler. The order of work for audio is fixed by DESIGN.md:

1. consent, at the door: while the call is not `active` a frame is only counted (to keep the sample
   clock) and discarded, never decoded. An `announced` call turns active exactly at the sample where
   its opt-out window ends, so a frame that straddles it is split there;
2. decode and resample to 16 kHz per leg (`protocol.audio`), after a gap the resampler is reset and
   each leg's 16 kHz clock jumps to the sample clock;
3. per-leg VAD endpointing (`vad.endpointer`);
4. a partial request every `partial_interval_s` of new utterance audio (stretched under load by the
   injected `partial_interval`), unless one for that leg is in flight; a final request when the utterance ends.
   When an utterance pauses (`vad` `UtterancePaused`, `early_final_ms` of silence) and the injected
   `early_final` gate allows it, the final is decoded ahead of the endpoint (ticket kind "early"): if the
   utterance then ends on exactly that audio, that decode is its final, handled as if requested at the end
   (order, context, seq); if speech resumed, its result is dropped. A failed early decode of an utterance
   that ended is requested again as a plain final, so nothing is lost.

Finals get `seq` numbers (1, 2, ... per call, no gaps) when they are sent. After `declined` nothing is
sent but the consent state and `closed`: open utterances are discarded and results still in flight are
dropped on arrival.

A final the text filter marks `stop` (special-category policy `stop`) halts the call for good, as if
consent were paused for ever: it is sent (masked), then a `privacy` event; from then on audio is dropped
at the door whatever the consent state, open utterances are discarded and results in flight dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from asr.context import Context, LegContext
from asr.stabilizer import PartialStabilizer
from asr.types import DecodeRequest, DecodeResult, Kind, WordTiming
from gateway.core.consent import ConsentMachine, Event, IllegalTransition, Transition
from gateway.core.early import EarlyFinals
from gateway.core.effects import Decode, Effect, Send, Ticket
from gateway.core.session_config import SessionConfig
from gateway.core.stages import StageClock
from protocol.audio import TARGET_RATE, AudioDecoder, frame_count
from protocol.errors import BadMessage
from protocol.messages import (
    AudioChunk,
    ClientMessage,
    Closed,
    ConsentEvent,
    ConsentState,
    Dtmf,
    Final,
    Finalize,
    KeepAlive,
    Partial,
    PrivacyEvent,
    Redaction,
    SpeechStarted,
    Start,
    Stop,
    Word,
)
from vad.endpointer import LegEndpointer, UtteranceEnded, UtterancePaused, UtteranceStarted, VadEvent, push_many


@dataclass(frozen=True, slots=True)
class FilteredFinal:
    """A final's content as it may leave the session, and what the session must do about it."""

    text: str
    words: tuple[Word, ...]
    redactions: tuple[Redaction, ...] = ()
    special: tuple[str, ...] = ()
    """GDPR art. 9 categories the text mentions, in order of first mention (`final.special`)."""
    stop: bool = False
    """Transcribe nothing more of this call (special-category policy `stop`; `special` names why)."""


class TextFilter(Protocol):
    """Redaction applied to every text before it leaves the session (see gateway.core.redaction)."""

    def partial(self, text: str) -> str: ...

    def final(self, text: str, words: tuple[Word, ...]) -> FilteredFinal: ...


@dataclass(slots=True)
class _Utterance:
    uid: str
    start: int
    stabilizer: PartialStabilizer = field(default_factory=PartialStabilizer)
    partial_audio: int = 0  # samples covered by the last partial request
    partial_in_flight: bool = False
    last_sent: str = ""


@dataclass(slots=True)
class _Leg:
    name: str
    endpointer: LegEndpointer
    language: str
    position: int = 0  # next 16 kHz sample on this leg's clock
    open: _Utterance | None = None
    previous_text: str = ""
    samples_to_vad: int = 0
    context: LegContext = field(default_factory=lambda: LegContext(0.0))
    final_order: list[str] = field(default_factory=list)
    """Utterance ids of the finals requested and not yet released, oldest first."""
    final_ready: dict[str, tuple[Ticket, DecodeResult | None]] = field(default_factory=dict)
    """Results of finals that wait for an earlier final of the leg (None: its decoding failed)."""
    held: dict[str, tuple[int, np.ndarray]] = field(default_factory=dict)
    """Finals (uid -> start, audio) waiting for the final just before them to be decoded (its context)."""
    vad_pending: list[tuple[np.ndarray, int]] = field(default_factory=list)
    """Deferred VAD: (16 kHz audio, its first sample on the leg clock) not yet pushed, oldest first."""
    early: EarlyFinals = field(default_factory=EarlyFinals)
    """Finals decoded ahead of their endpoint (`gateway.core.early`)."""


_VAD_DEFER_MAX_SAMPLES = TARGET_RATE // 5
"""Deferred VAD waits for at most 0.2 s of a leg's audio; past it the session scores its legs at once."""


@dataclass(frozen=True, slots=True)
class VadJob:
    """Audio of one leg waiting for VAD (deferred mode): the shell pushes it, batched across calls."""

    leg: str
    endpointer: LegEndpointer
    audio: np.ndarray
    start: int


@dataclass(slots=True)
class SessionCounters:
    """What tests read to prove consent at the door: nothing dropped ever reached VAD or the engine."""

    dropped_samples: int = 0
    processed_samples: int = 0
    vad_samples: int = 0
    engine_audio_samples: int = 0
    earliest_engine_sample: int | None = None  # 16 kHz leg clock: the first sample any request covered
    finals_sent: int = 0
    partials_sent: int = 0
    discarded_results: int = 0
    special_stops: int = 0  # 1 once a special-category mention stopped the call
    early_decodes: int = 0  # finals decoded ahead of their endpoint
    early_used: int = 0  # of those, the ones that became the final (the rest: speech resumed)


class CallSession:
    """The state of one call from `start` to `closed`."""

    def __init__(
        self,
        start: Start,
        config: SessionConfig,
        endpointers: Callable[[], LegEndpointer],
        text_filter: TextFilter | None = None,
        first_seq: int = 1,
        uid_prefix: str = "",
        stages: StageClock | None = None,
        partial_interval: Callable[[], float] | None = None,
        vad_pending: Callable[[CallSession], None] | None = None,
        early_final: Callable[[], bool] | None = None,
    ) -> None:
        self.start = start
        self.stages = stages or StageClock()
        """Where the audio path's time goes (`audio_decode`, `vad`); the runtime passes its own."""
        self._partial_interval = partial_interval or (lambda: config.partial_interval_s)
        """New utterance audio between two partials now (the runtime's `PartialCadence` under load)."""
        self._early_final = early_final or (lambda: False)
        """Whether a paused utterance may be decoded ahead of its endpoint now (the runtime's
        `early_final_ok`: the engine mostly idle, nothing waiting). None = never."""
        self._vad_pending = vad_pending
        """Deferred VAD: called when a leg has audio waiting; the shell then takes `vad_jobs()`, pushes them
        (batched with other calls' legs) and hands the events to `vad_done()`. None = VAD inside `receive`."""
        self.config = config
        self.fmt = start.audio
        self.consent = ConsentMachine(start.consent, config.opt_out_window_s)
        self.legs = [
            _Leg(name, endpointers(), start.language, context=self._leg_context(config)) for name in start.legs
        ]
        self.counters = SessionCounters()
        self._decoder = AudioDecoder(self.fmt, config.max_frame_seconds)
        self._filter = text_filter
        self._samples = 0  # the sample clock: per-channel samples received, dropped ones included
        self._processed_until: int | None = None
        self._next_seq = first_seq
        self._uid_prefix = uid_prefix
        self.stopping = False
        self.transitions: list[Transition] = []

    @staticmethod
    def _leg_context(config: SessionConfig) -> LegContext:
        return LegContext(config.context_s, config.context_max_gap_s, config.context_max_utterance_s)

    # -- clocks -------------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Audio seconds since the first sample of the stream."""
        return self._samples / self.fmt.sample_rate

    @property
    def halted(self) -> bool:
        """A special-category mention stopped transcription for the rest of the call (the consent machine's
        `halt`)."""
        return self.consent.halted

    def halt_for_good(self) -> None:
        """Start halted (a resumed connection of a call that was stopped on a special category)."""
        self.consent.process("halt", self.now)

    @property
    def declined(self) -> bool:
        return self.consent.state == "declined"

    @property
    def next_seq(self) -> int:
        return self._next_seq

    def audio_seconds(self) -> dict[str, float]:
        return {leg.name: round(self.now, 3) for leg in self.legs}

    # -- inbound ------------------------------------------------------------------------------------

    def receive(self, msg: ClientMessage) -> list[Effect]:
        """Apply one client message (after `start`); raises ProtocolError for bad input.

        In deferred-VAD mode anything but audio first settles the audio still waiting for VAD, so a
        finalize, stop or consent change sees every earlier frame exactly as without deferral."""
        if isinstance(msg, AudioChunk):
            return self._audio(msg.data)
        return self.settle_vad() + self._control(msg)

    def _control(self, msg: ClientMessage) -> list[Effect]:
        if isinstance(msg, ConsentEvent):
            return self._consent(msg.event, msg.announcement)
        if isinstance(msg, Dtmf):
            return self._consent(Event.OPT_OUT, None) if msg.digit == self.config.opt_out_digit else []
        if isinstance(msg, Finalize):
            return self._flush()
        if isinstance(msg, Stop):
            self.stopping = True
            return self._flush()
        if isinstance(msg, KeepAlive):
            return []
        if isinstance(msg, Start):
            raise BadMessage("start: sent twice on one stream")
        raise BadMessage("unexpected message")

    def closed(self) -> Closed:
        return Closed(finals=self._next_seq - 1, audio_seconds=self.audio_seconds())

    # -- consent ------------------------------------------------------------------------------------

    def _consent(self, event: Event, announcement: str | None) -> list[Effect]:
        try:
            transition = self.consent.process(event, self.now, announcement)
        except IllegalTransition as exc:
            raise BadMessage(f"consent: {exc}") from None
        return self._after_transition(transition)

    def _after_transition(self, t: Transition) -> list[Effect]:
        self.transitions.append(t)
        if not t.changed:
            return []
        effects: list[Effect] = []
        if t.after == "paused":
            effects += self._flush()  # speech before the pause is transcribed, the paused span is not
        elif t.after == "declined":
            for leg in self.legs:
                leg.endpointer.discard()
                leg.open = None
                leg.vad_pending.clear()
        effects.append(Send(ConsentState(t.after, round(t.at, 3), t.announcement)))
        return effects

    # -- audio --------------------------------------------------------------------------------------

    def _audio(self, data: bytes) -> list[Effect]:
        n = frame_count(self.fmt, len(data), self.config.max_frame_seconds)
        begin, end = self._samples, self._samples + n
        effects: list[Effect] = []
        window = self.consent.window_ends_at
        if window is not None:
            at = max(begin, math.ceil(window * self.fmt.sample_rate - 1e-9))
            if at < end:
                self.counters.dropped_samples += at - begin
                self._samples = at
                elapsed = self.consent.process("window_elapsed", at / self.fmt.sample_rate)
                effects += self._after_transition(elapsed)
                data, begin = data[(at - begin) * self.fmt.frame_bytes :], at
        self._samples = end
        if not self.consent.processing:
            self.counters.dropped_samples += end - begin
            return effects
        return effects + self._process(data, begin)

    def _process(self, data: bytes, begin: int) -> list[Effect]:
        if self._processed_until != begin:  # first audio, or a gap (audio dropped while not active)
            self._decoder.reset()
            for leg in self.legs:
                leg.position = round(begin * TARGET_RATE / self.fmt.sample_rate)
        self._processed_until = begin + len(data) // self.fmt.frame_bytes
        self.counters.processed_samples += len(data) // self.fmt.frame_bytes
        with self.stages.timed("audio_decode"):
            decoded = self._decoder.decode(data)
        for leg, audio in zip(self.legs, decoded, strict=True):
            if len(audio):
                leg.vad_pending.append((audio, leg.position))
                leg.position += len(audio)
        waiting = max(sum(len(a) for a, _ in leg.vad_pending) for leg in self.legs)
        if self._vad_pending is not None and waiting < _VAD_DEFER_MAX_SAMPLES:
            self._vad_pending(self)
            return []
        return self.settle_vad()  # immediate mode, or a burst of frames without a turn of the shell's loop

    # -- VAD (in `receive`, or deferred to the shell and batched across calls) -----------------------

    @property
    def vad_waiting(self) -> bool:
        """Whether any leg has audio not yet pushed through VAD."""
        return any(leg.vad_pending for leg in self.legs)

    def vad_jobs(self) -> list[VadJob]:
        """Take, per leg, its waiting audio up to the first gap (at most one job per leg and call)."""
        jobs = []
        for leg in self.legs:
            if not leg.vad_pending:
                continue
            audio, start = leg.vad_pending.pop(0)
            parts, end = [audio], start + len(audio)
            while leg.vad_pending and leg.vad_pending[0][1] == end:
                nxt, _ = leg.vad_pending.pop(0)
                parts.append(nxt)
                end += len(nxt)
            jobs.append(VadJob(leg.name, leg.endpointer, np.concatenate(parts) if len(parts) > 1 else audio, start))
        return jobs

    def vad_done(self, jobs: list[VadJob], events: list[list[VadEvent]]) -> list[Effect]:
        """The endpointers' events for `jobs` (as `vad.endpointer.push_many` returned them)."""
        effects: list[Effect] = []
        for job, evs in zip(jobs, events, strict=True):
            leg = next(leg for leg in self.legs if leg.name == job.leg)
            leg.samples_to_vad += len(job.audio)
            self.counters.vad_samples += len(job.audio)
            effects += self._vad_events(leg, evs)
            effects += self._maybe_partial(leg)
        return effects

    def settle_vad(self) -> list[Effect]:
        """Push every leg's waiting audio now (one batch per gap-free stretch) and return the effects."""
        effects: list[Effect] = []
        while jobs := self.vad_jobs():
            with self.stages.timed("vad"):
                events = push_many([(job.endpointer, job.audio, job.start) for job in jobs])
            effects += self.vad_done(jobs, events)
        return effects

    def _vad_events(self, leg: _Leg, events: list[VadEvent]) -> list[Effect]:
        effects: list[Effect] = []
        for ev in events:
            if isinstance(ev, UtteranceStarted):
                leg.open = _Utterance(f"{self._uid_prefix}{leg.name}-{ev.index}", ev.start)
                if self.start.vad_events:
                    effects.append(Send(SpeechStarted(leg.name, leg.open.uid, round(ev.start / TARGET_RATE, 3))))
            elif isinstance(ev, UtterancePaused):
                effects += self._early(leg, ev)
            elif isinstance(ev, UtteranceEnded):
                uid = leg.open.uid if leg.open else f"{self._uid_prefix}{leg.name}-{ev.index}"
                leg.open = None
                effects += self._request_final(leg, uid, ev.start, ev.audio)
        return effects

    def _early(self, leg: _Leg, ev: UtterancePaused) -> list[Effect]:
        """Decode a paused utterance's final ahead of its endpoint, if the gate allows and no final of the leg
        is still decoding (its context would not be known yet)."""
        u = leg.open
        if u is None or not self._early_final():
            return []
        ctx = leg.context.peek(len(ev.audio), ev.start)
        if ctx is None:
            return []
        decode = self._request(leg, u.uid, "final", ev.start, ev.audio, ctx, ticket_kind="early")
        leg.early.started(decode.ticket, ctx)
        self.counters.early_decodes += 1
        return [decode]

    def _maybe_partial(self, leg: _Leg) -> list[Effect]:
        u = leg.open
        if u is None or u.partial_in_flight or not self.start.interim_results:
            return []
        current = leg.endpointer.current_audio()
        if current is None:
            return []
        _, start, audio = current
        interval = self._partial_interval()
        # under load the first partial waits in the same proportion as the others (PartialCadence)
        need = interval if u.partial_audio else self.config.first_partial_s * interval / self.config.partial_interval_s
        if len(audio) - u.partial_audio < need * TARGET_RATE:
            return []
        u.partial_audio = len(audio)
        u.partial_in_flight = True
        return [self._request(leg, u.uid, "partial", start, audio)]

    def _request_final(self, leg: _Leg, uid: str, start: int, audio: np.ndarray) -> list[Effect]:
        """A final's request, or none yet: it waits for the final just before it (`asr.context`), or its early
        decode (same span, same context) is, or will be, its result (`gateway.core.early`)."""
        early = leg.early.take(uid)  # the utterance ended: its early decode is no longer the open one's
        audio = audio.astype(np.float32, copy=False)
        leg.final_order.append(uid)
        ctx = leg.context.request(uid, audio, start)
        if ctx is None:
            leg.held[uid] = (start, audio)
            return []
        ticket = Ticket(leg.name, uid, "final", start, start + len(audio))
        served = leg.early.ended(early, ticket, audio, ctx)
        if served is None:
            return [self._request(leg, uid, "final", start, audio, ctx)]
        self.counters.early_used += 1
        return self.decoded(ticket, served.result) if served.done else []

    def _early_decoded(self, leg: _Leg, ticket: Ticket, result: DecodeResult | None) -> list[Effect]:
        """An early decode came back: the final of an utterance that ended on its span, kept for an utterance
        still open, or dropped (speech resumed after it)."""
        waiting = leg.early.came_back(ticket, result)
        if waiting is None:
            return []
        if result is None:  # the early decode failed: the final is requested as usual
            self.counters.early_used -= 1
            final = waiting.ticket
            return [self._request(leg, final.utterance_id, "final", final.start, waiting.audio, waiting.context)]
        return self.decoded(waiting.ticket, result)

    def _release_held(self, leg: _Leg, waiter: tuple[str, Context] | None) -> list[Effect]:
        """The final that waited for the one just decoded goes to the engine with its context."""
        while waiter is not None:
            uid, ctx = waiter
            start, audio = leg.held.pop(uid)
            if not (self.halted or self.declined):
                return [self._request(leg, uid, "final", start, audio, ctx)]
            # nothing more is decoded: released as failed, and so is whatever waits behind it
            leg.final_ready[uid] = (Ticket(leg.name, uid, "final", start, start + len(audio)), None)
            waiter = leg.context.decoded(uid, "", ())
        return []

    def _request(
        self,
        leg: _Leg,
        uid: str,
        kind: Kind,
        start: int,
        audio: np.ndarray,
        ctx: Context | None = None,
        ticket_kind: str | None = None,
    ) -> Decode:
        prompt = leg.previous_text if kind == "final" and self.config.condition_on_previous else ""
        audio = audio.astype(np.float32, copy=False)
        request = DecodeRequest(
            self.start.call_id, leg.name, kind, audio, leg.language, prompt, *((ctx.audio, ctx.prefix) if ctx else ())
        )
        c = self.counters
        c.engine_audio_samples += len(audio)
        c.earliest_engine_sample = start if c.earliest_engine_sample is None else min(c.earliest_engine_sample, start)
        return Decode(Ticket(leg.name, uid, ticket_kind or kind, start, start + len(audio)), request)

    def _flush(self) -> list[Effect]:
        if self.halted:
            return []  # everything open was discarded when the call halted
        effects: list[Effect] = []
        empty = [np.zeros(0, np.float32)] * len(self.legs)
        # the resampler's held-back tail belongs to audio processed while active (also when pausing now)
        tail = self._decoder.flush() if self._processed_until is not None and not self.declined else empty
        for leg, audio in zip(self.legs, tail, strict=True):
            events = leg.endpointer.push(audio, leg.position) if len(audio) else []
            leg.position += len(audio)
            effects += self._vad_events(leg, events + leg.endpointer.flush())
        self._decoder.reset()
        self._processed_until = None
        return effects

    # -- results ------------------------------------------------------------------------------------

    def decoded(self, ticket: Ticket, result: DecodeResult | None) -> list[Effect]:
        """Turn an engine result into messages (None: the partial was replaced by a newer one, or the final
        could not be decoded; the shell reports that failure to the client)."""
        leg = next(leg for leg in self.legs if leg.name == ticket.leg)
        if ticket.kind == "early":
            return self._early_decoded(leg, ticket, result)
        if ticket.kind == "final" and ticket.utterance_id in leg.final_order:
            text, words = (result.text, result.words) if result is not None else ("", ())
            held = self._release_held(leg, leg.context.decoded(ticket.utterance_id, text, words))
            leg.final_ready[ticket.utterance_id] = (ticket, result)
            return held + self._release_finals(leg)
        if ticket.kind == "partial" and leg.open is not None and leg.open.uid == ticket.utterance_id:
            leg.open.partial_in_flight = False
        return self._result(leg, ticket, result)

    def _result(self, leg: _Leg, ticket: Ticket, result: DecodeResult | None) -> list[Effect]:
        if result is None or self.declined or self.halted:
            self.counters.discarded_results += result is not None
            return []
        if leg.language == "auto" and result.language:
            leg.language = result.language  # detected once per leg, then fixed
        if ticket.kind == "partial":
            return self._partial(leg, ticket, result)
        return self._final(leg, ticket, result)

    def _release_finals(self, leg: _Leg) -> list[Effect]:
        """A leg's finals leave in the order their utterances ended, whichever batch finished first (the
        engine may decode several batches at once): a result waits for the results of earlier finals."""
        effects: list[Effect] = []
        while leg.final_order and leg.final_order[0] in leg.final_ready:
            ticket, result = leg.final_ready.pop(leg.final_order.pop(0))
            effects += self._result(leg, ticket, result)
        return effects

    def _partial(self, leg: _Leg, ticket: Ticket, result: DecodeResult) -> list[Effect]:
        u = leg.open
        if u is None or u.uid != ticket.utterance_id or not result.text:
            return []  # its final is already on its way: a late partial would flicker back
        stable = u.stabilizer.update(result.text)
        if stable is None:
            return []
        text = self._filter.partial(stable.text) if self._filter else stable.text
        if not text or text == u.last_sent:
            return []  # everything so far is held back (it could still become PII) or unchanged
        u.last_sent = text
        self.counters.partials_sent += 1
        committed = stable.text[: stable.stable_chars]
        shown = self._filter.partial(committed) if self._filter else committed
        stable_chars = len(shown) if text.startswith(shown) else 0
        return [
            Send(
                Partial(
                    leg.name,
                    ticket.utterance_id,
                    text,
                    ticket.start / TARGET_RATE,
                    ticket.end / TARGET_RATE,
                    stable_chars,
                )
            )
        ]

    def _final(self, leg: _Leg, ticket: Ticket, result: DecodeResult) -> list[Effect]:
        if not result.text:
            return []
        leg.previous_text = result.text
        offset, last = ticket.start / TARGET_RATE, ticket.end / TARGET_RATE
        words = tuple(_word(w, offset, last) for w in result.words)
        out = self._filter.final(result.text, words) if self._filter else FilteredFinal(result.text, words)
        seq, self._next_seq = self._next_seq, self._next_seq + 1
        self.counters.finals_sent += 1
        final = Final(
            seq,
            leg.name,
            ticket.utterance_id,
            out.text,
            round(offset, 3),
            round(last, 3),
            result.language,
            out.words,
            out.redactions,
            out.special,
        )
        sent = Send(final, None if out.special else result.text)
        return [sent, *self._halt(out.special[0])] if out.stop and out.special else [sent]

    def _halt(self, category: str) -> list[Effect]:
        """Stop transcribing for the rest of the call: discard what is open, drop audio from now on."""
        self.consent.process("halt", self.now)
        self.counters.special_stops += 1
        for leg in self.legs:
            leg.endpointer.discard()
            leg.open = None
            leg.vad_pending.clear()
        self._decoder.reset()
        self._processed_until = None
        return [Send(PrivacyEvent("special_category_stop", category, round(self.now, 3)))]


def _word(w: WordTiming, offset: float, last: float) -> Word:
    """A word on the leg clock, clamped inside its utterance (alignment can overshoot the audio)."""
    start = min(max(offset + w.start, offset), last)
    end = min(max(offset + w.end, start), last)
    return Word(w.word, round(start, 3), round(end, 3), round(min(max(w.probability, 0.0), 1.0), 3))
