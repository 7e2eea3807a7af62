"""Typed messages of the ``transcribe.v1`` wire protocol (see PROTOCOL.md).

Every message is a frozen, slotted dataclass that validates itself on construction:

* client messages (``Start`` ... ``Stop``) come from the peer, so a bad value raises
  ``BadMessage`` (or ``Unsupported`` for an audio format we do not serve);
* server messages (``Ready`` ... ``CallEnded``) are built by us, so a bad value is our bug and
  raises ``InternalError``.

Lists on the wire are tuples here. Defaults that depend on other fields (``Start.legs``) are
applied by the codec, see ``default_legs``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, get_args

from protocol._checks import (
    client_bool,
    client_choice,
    client_int,
    client_text,
    client_text_tuple,
    server_check,
    server_int,
    server_span,
    server_text,
    server_time,
)
from protocol.errors import BadMessage, InternalError, ProtocolError, Unsupported
from protocol.vocab import WIRE_CONSENT_EVENTS
from protocol.vocab import ConsentEventKind as ConsentEventKind
from protocol.vocab import ConsentStatus as ConsentStatus
from protocol.vocab import InitialConsent as InitialConsent
from protocol.vocab import RedactionPolicy as RedactionPolicy
from protocol.vocab import SpecialPolicy as SpecialPolicy

Encoding = Literal["pcm_s16le", "mulaw", "alaw"]
StartConsent = InitialConsent  # the names importers know; the vocabularies live in protocol.vocab
ConsentStateName = ConsentStatus
REDACTION_POLICIES: tuple[str, ...] = tuple(RedactionPolicy)
SPECIAL_POLICIES: tuple[str, ...] = tuple(SpecialPolicy)
PrivacyEventKind = Literal["special_category_stop"]
PRIVACY_EVENTS: tuple[str, ...] = get_args(PrivacyEventKind)

ENCODINGS: tuple[str, ...] = get_args(Encoding)
SAMPLE_RATES: tuple[int, ...] = (8000, 16000, 24000, 48000)
CHANNEL_COUNTS: tuple[int, ...] = (1, 2)
START_CONSENTS: tuple[str, ...] = tuple(InitialConsent)
CONSENT_EVENTS: tuple[str, ...] = WIRE_CONSENT_EVENTS
CONSENT_STATES: tuple[str, ...] = tuple(ConsentStatus)
DTMF_DIGITS = "0123456789*#ABCD"
PROTOCOL_NAME = "transcribe.v1"

MAX_ID_LEN = 256  # call_id, announcement
MAX_NAME_LEN = 64  # legs, purposes
MAX_PURPOSES = 32
MAX_CALLER_LEN = 64  # start.caller: an E.164 number, or a SIP user part
_LANGUAGE = re.compile(r"auto|[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def _set(message: object, name: str, value: object) -> None:
    """Store a parsed vocabulary member on a frozen message (a string becomes its enum member)."""
    object.__setattr__(message, name, value)


def default_legs(channels: int) -> tuple[str, ...]:
    """Leg names used when ``start`` has no ``legs``: ("caller",) or ("agent", "caller")."""
    return ("caller",) if channels == 1 else ("agent", "caller")


# --------------------------------------------------------------------------- client messages


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """Declared format of the audio frames: encoding, sample rate (Hz) and interleaved channels."""

    encoding: Encoding
    sample_rate: int
    channels: int

    def __post_init__(self) -> None:
        client_text(self.encoding, "start.audio.encoding", max_len=MAX_NAME_LEN)
        if self.encoding not in ENCODINGS:
            raise Unsupported(f"start.audio.encoding: unsupported, use one of {', '.join(ENCODINGS)}")
        if client_int(self.sample_rate, "start.audio.sample_rate") not in SAMPLE_RATES:
            raise Unsupported(f"start.audio.sample_rate: unsupported, use one of {SAMPLE_RATES}")
        if client_int(self.channels, "start.audio.channels") not in CHANNEL_COUNTS:
            raise Unsupported("start.audio.channels: unsupported, use 1 or 2")

    @property
    def bytes_per_sample(self) -> int:
        """Bytes of one sample of one channel: 2 for PCM, 1 for G.711."""
        return 2 if self.encoding == "pcm_s16le" else 1

    @property
    def frame_bytes(self) -> int:
        """Bytes of one sample frame (one sample of every channel)."""
        return self.bytes_per_sample * self.channels


@dataclass(frozen=True, slots=True)
class Start:
    """First client message: call identity, audio format, legs and consent.

    ``legs`` names the channels in order (one per channel, unique); the codec fills in
    ``default_legs(channels)`` when the peer omits it. ``resume_from`` is the last final ``seq``
    the client saw on a previous connection for the same call.
    """

    call_id: str
    audio: AudioFormat
    legs: tuple[str, ...]
    language: str = "auto"
    purposes: tuple[str, ...] = ()
    consent: InitialConsent = InitialConsent.PENDING
    interim_results: bool = True
    resume_from: int | None = None
    redaction: RedactionPolicy | None = None
    """Compatible extension: the call's redaction policy (None = the deployment's default)."""
    special_categories: SpecialPolicy | None = None
    """Compatible extension: what to do with GDPR art. 9 mentions (None = the deployment's default)."""
    caller: str | None = field(default=None, repr=False)
    """Compatible extension: the calling party's number, the call's data subject. Personal data: it is
    never logged (hence ``repr=False``), never shown to caption viewers, and stored only as a keyed hash
    (the store links it to the call once consent is active). None = not known."""
    endpoint_ms: int | None = None
    """Compatible extension: the silence (ms) that ends an utterance in this call, for clients whose protocol
    sets it (Deepgram ``endpointing``, OpenAI ``silence_duration_ms``); None = the deployment's VAD setting.
    The gateway keeps it within its VAD's limits (see ``gateway.runtime.Runtime.new_endpointer``)."""
    vad_events: bool = False
    """Compatible extension: send a ``speech_started`` message when the VAD opens an utterance."""

    def __post_init__(self) -> None:
        client_text(self.call_id, "start.call_id", max_len=MAX_ID_LEN)
        if not isinstance(self.audio, AudioFormat):
            raise BadMessage("start.audio: expected an audio format object")
        client_text_tuple(self.legs, "start.legs", max_items=2, max_len=MAX_NAME_LEN)
        if len(self.legs) != self.audio.channels:
            raise BadMessage("start.legs: need exactly one leg name per audio channel")
        if not _LANGUAGE.fullmatch(client_text(self.language, "start.language", max_len=32)):
            raise BadMessage('start.language: expected a language code such as "en" or "auto"')
        client_text_tuple(self.purposes, "start.purposes", max_items=MAX_PURPOSES, max_len=MAX_NAME_LEN)
        _set(self, "consent", InitialConsent(client_choice(self.consent, "start.consent", START_CONSENTS)))
        client_bool(self.interim_results, "start.interim_results")
        if self.resume_from is not None and client_int(self.resume_from, "start.resume_from") < 0:
            raise BadMessage("start.resume_from: must be >= 0")
        if self.redaction is not None:
            policy = client_choice(self.redaction, "start.redaction", REDACTION_POLICIES)
            _set(self, "redaction", RedactionPolicy(policy))
        if self.special_categories is not None:
            special = client_choice(self.special_categories, "start.special_categories", SPECIAL_POLICIES)
            _set(self, "special_categories", SpecialPolicy(special))
        if self.caller is not None:
            client_text(self.caller, "start.caller", max_len=MAX_CALLER_LEN)
        client_bool(self.vad_events, "start.vad_events")
        if self.endpoint_ms is not None and not 0 < client_int(self.endpoint_ms, "start.endpoint_ms") <= 60_000:
            raise BadMessage("start.endpoint_ms: must be within 1..60000")


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """Interleaved audio in the format declared by ``start`` (validated by ``protocol.audio``)."""

    data: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.data, bytes):
            raise BadMessage("audio.data: expected binary data")


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """A call-side consent event; ``announcement`` identifies the announcement played."""

    event: ConsentEventKind
    announcement: str | None = None

    def __post_init__(self) -> None:
        _set(self, "event", ConsentEventKind(client_choice(self.event, "consent.event", CONSENT_EVENTS)))
        if self.announcement is not None:
            client_text(self.announcement, "consent.announcement", max_len=MAX_ID_LEN)


@dataclass(frozen=True, slots=True)
class Dtmf:
    """A DTMF key press (one of 0-9, *, #, A-D), optionally on a named leg."""

    digit: str
    leg: str | None = None

    def __post_init__(self) -> None:
        if client_text(self.digit, "dtmf.digit", max_len=1) not in DTMF_DIGITS:
            raise BadMessage("dtmf.digit: must be one of 0-9, *, #, A-D")
        if self.leg is not None:
            client_text(self.leg, "dtmf.leg", max_len=MAX_NAME_LEN)


@dataclass(frozen=True, slots=True)
class Finalize:
    """End every open utterance now and send its final."""


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """Resets the idle timer."""


@dataclass(frozen=True, slots=True)
class Stop:
    """Flush: send all remaining finals, then ``closed``, then close (1000)."""


ClientMessage = Start | AudioChunk | ConsentEvent | Dtmf | Finalize | KeepAlive | Stop


# --------------------------------------------------------------------------- server messages


@dataclass(frozen=True, slots=True)
class Ready:
    """Answer to ``start``: the session is set up."""

    session_id: str
    call_id: str
    consent: ConsentStatus
    model: str
    languages: tuple[str, ...]
    protocol: str = PROTOCOL_NAME

    def __post_init__(self) -> None:
        server_text(self.session_id, "ready.session_id", allow_empty=False)
        server_text(self.call_id, "ready.call_id", allow_empty=False)
        server_check(self.consent in CONSENT_STATES, "ready.consent: not a consent state")
        _set(self, "consent", ConsentStatus(self.consent))
        server_text(self.model, "ready.model")
        server_check(isinstance(self.languages, tuple), "ready.languages: expected a tuple")
        for language in self.languages:
            server_text(language, "ready.languages[]", allow_empty=False)
        server_text(self.protocol, "ready.protocol", allow_empty=False)


@dataclass(frozen=True, slots=True)
class ConsentState:
    """The consent state changed, ``at`` seconds of audio into the stream.

    ``announcement`` (compatible extension) is the announcement version last named by the call's
    ``consent`` events, for the audit trail; None when none was named.
    """

    state: ConsentStateName
    at: float
    announcement: str | None = None

    def __post_init__(self) -> None:
        server_check(self.state in CONSENT_STATES, "consent.state: not a consent state")
        _set(self, "state", ConsentStatus(self.state))
        server_time(self.at, "consent.at")
        if self.announcement is not None:
            server_text(self.announcement, "consent.announcement", allow_empty=False)


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word with its audio times and probability (0..1)."""

    word: str
    start: float
    end: float
    probability: float

    def __post_init__(self) -> None:
        server_text(self.word, "word.word")
        server_span(self.start, self.end, "word")
        probability = server_time(self.probability, "word.probability")
        server_check(probability <= 1.0, "word.probability: must be within 0..1")


@dataclass(frozen=True, slots=True)
class Redaction:
    """A redacted span of a transcript: character offsets ``[start, end)`` into its ``text``."""

    kind: str
    start: int
    end: int

    def __post_init__(self) -> None:
        server_text(self.kind, "redaction.kind", allow_empty=False)
        server_int(self.start, "redaction.start")
        server_int(self.end, "redaction.end", minimum=self.start + 1)


def _check_redactions(redactions: tuple[Redaction, ...], text: str) -> None:
    server_check(isinstance(redactions, tuple), "final.redactions: expected a tuple")
    for redaction in redactions:
        server_check(isinstance(redaction, Redaction), "final.redactions: expected Redaction items")
        server_check(redaction.end <= len(text), "final.redactions: span beyond the end of text")


@dataclass(frozen=True, slots=True)
class Partial:
    """Interim text of an open utterance.

    ``stable_chars`` (our compatible extension) is the length of the prefix of ``text`` that
    will not change any more.
    """

    leg: str
    utterance_id: str
    text: str
    start: float
    end: float
    stable_chars: int = 0

    def __post_init__(self) -> None:
        server_text(self.leg, "partial.leg", allow_empty=False)
        server_text(self.utterance_id, "partial.utterance_id", allow_empty=False)
        server_text(self.text, "partial.text")
        server_span(self.start, self.end, "partial")
        server_int(self.stable_chars, "partial.stable_chars")
        server_check(self.stable_chars <= len(self.text), "partial.stable_chars: beyond the text")


@dataclass(frozen=True, slots=True)
class Final:
    """Final text of an utterance; ``seq`` counts 1, 2, 3 ... per call without gaps.

    ``special`` (compatible extension) names the GDPR art. 9 categories the utterance mentions, in
    order of first mention, unless the call's special-category policy is ``off``.
    """

    seq: int
    leg: str
    utterance_id: str
    text: str
    start: float
    end: float
    language: str
    words: tuple[Word, ...] = ()
    redactions: tuple[Redaction, ...] = ()
    special: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        server_int(self.seq, "final.seq", minimum=1)
        server_text(self.leg, "final.leg", allow_empty=False)
        server_text(self.utterance_id, "final.utterance_id", allow_empty=False)
        server_text(self.text, "final.text")
        server_span(self.start, self.end, "final")
        server_text(self.language, "final.language")
        server_check(isinstance(self.words, tuple), "final.words: expected a tuple")
        server_check(all(isinstance(w, Word) for w in self.words), "final.words: expected Word items")
        _check_redactions(self.redactions, self.text)
        server_check(isinstance(self.special, tuple), "final.special: expected a tuple")
        for category in self.special:
            server_text(category, "final.special[]", allow_empty=False)
        server_check(len(set(self.special)) == len(self.special), "final.special: duplicate category")


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    """An error reported to the peer; ``message`` never echoes audio or transcript content."""

    code: str
    message: str

    def __post_init__(self) -> None:
        server_text(self.code, "error.code", allow_empty=False)
        server_text(self.message, "error.message")

    @classmethod
    def from_exception(cls, exc: ProtocolError | InternalError) -> ErrorMessage:
        """The ``error`` message for an exception; internal errors get a generic message."""
        if isinstance(exc, InternalError):
            return cls(code=exc.code, message="internal error")
        return cls(code=exc.code, message=exc.message)


@dataclass(frozen=True, slots=True)
class Closed:
    """Last message of a stream: number of finals sent and audio seconds per leg."""

    finals: int
    audio_seconds: dict[str, float]

    def __post_init__(self) -> None:
        server_int(self.finals, "closed.finals")
        server_check(isinstance(self.audio_seconds, dict), "closed.audio_seconds: expected a dict")
        for leg, seconds in self.audio_seconds.items():
            server_text(leg, "closed.audio_seconds key", allow_empty=False)
            server_time(seconds, "closed.audio_seconds value")
        object.__setattr__(self, "audio_seconds", dict(self.audio_seconds))  # no aliasing


@dataclass(frozen=True, slots=True)
class CallEnded:
    """Captions stream only: the call is over after ``finals`` finals."""

    call_id: str
    finals: int

    def __post_init__(self) -> None:
        server_text(self.call_id, "call_ended.call_id", allow_empty=False)
        server_int(self.finals, "call_ended.finals")


@dataclass(frozen=True, slots=True)
class PrivacyEvent:
    """Compatible extension (``type: "privacy"``): the gateway acted on the call's privacy policy.

    ``special_category_stop``: a final mentioned the special category ``category`` under the policy
    ``stop``; that final was masked and nothing of the call is transcribed after ``at`` (audio seconds).
    """

    event: PrivacyEventKind
    category: str
    at: float

    def __post_init__(self) -> None:
        server_check(self.event in PRIVACY_EVENTS, "privacy.event: not a privacy event")
        server_text(self.category, "privacy.category", allow_empty=False)
        server_time(self.at, "privacy.at")


WARNING_CODES: tuple[str, ...] = ("format_mismatch",)
"""Codes of the `warning` message (compatible extension)."""


@dataclass(frozen=True, slots=True)
class ServerWarning:
    """Compatible extension (``type: "warning"``): something about the call looks wrong; the call goes on.

    ``format_mismatch``: the audio does not fit the declared ``start.audio`` (it arrives at a fraction of
    real time, or sounds like noise): zero finals are the likely result. ``at`` is in audio seconds.
    """

    code: str
    message: str
    at: float

    def __post_init__(self) -> None:
        server_check(self.code in WARNING_CODES, "warning.code: not a warning code")
        server_text(self.message, "warning.message", allow_empty=False)
        server_time(self.at, "warning.at")


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """Compatible extension (``type: "speech_started"``, only when ``start.vad_events``): the VAD opened
    utterance ``utterance_id`` on ``leg``, whose audio starts at ``at`` seconds (pre-roll included)."""

    leg: str
    utterance_id: str
    at: float

    def __post_init__(self) -> None:
        server_text(self.leg, "speech_started.leg", allow_empty=False)
        server_text(self.utterance_id, "speech_started.utterance_id", allow_empty=False)
        server_time(self.at, "speech_started.at")


ServerMessage = (
    Ready
    | ConsentState
    | Partial
    | Final
    | ErrorMessage
    | Closed
    | CallEnded
    | PrivacyEvent
    | ServerWarning
    | SpeechStarted
)
