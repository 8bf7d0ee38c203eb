"""The sans-I/O core of a realtime translation session: audio in, segments out, translated events back.

The core never blocks and never does I/O. ``handle_text`` takes a client event and returns outputs: server
events (dicts, valid against the SDK's translation server events) and :class:`TranslateSegment` effects. The
connection runs each effect (Whisper's translate task, optional source transcription, speech synthesis) off
the event loop and hands the result to :meth:`TranslationCore.segment_done`, which returns the events to send.

Offline, a segment is one stretch of speech found by the server VAD (OpenAI's defaults), cut at most every
:data:`MAX_SEGMENT_S` seconds; it is translated as soon as it ends, so the output lags the speaker by one
phrase plus the engines' time. ``session.close`` flushes the speech in progress, waits for pending segments
and ends with ``session.closed``.

Limits (the server sets them from its settings, :mod:`.session_limits`): a client event longer than
``max_event_bytes`` is an ``event_too_large`` error; the input audio held for the speech in progress never
passes ``max_input_samples``: there, what is held is cut into a segment, as a long monologue is (the session
has no commit or clear for a client to make room).

Examples
--------
>>> core = TranslationCore(model="gpt-realtime-translate", now=0, vad=None)
>>> [e["type"] for e in core.start()]
['session.created']
>>> out = core.handle_text('{"type": "session.update", "session": {"audio": {"output": {"language": "fr"}}}}')
>>> out[0]["type"], out[0]["error"]["param"]
('error', 'session.audio.output.language')
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from voicelab.protocol import translation as protocol
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.formats import PCM_RATE
from voicelab.protocol.limits import MAX_EVENT_BYTES, event_too_large

from .core.input_buffer import MAX_BUFFER_SECONDS
from .core.text import split_words
from .ids import IdFactory
from .pcm_ring import PcmRing

__all__ = [
    "MAX_SEGMENT_S",
    "OFFLINE_TARGETS",
    "CloseConnection",
    "SegmentResult",
    "TranslateSegment",
    "TranslationCore",
]

SR = PCM_RATE
MAX_SEGMENT_S = 15
"""The longest stretch translated at once: Whisper reads 30 s windows; shorter segments keep the lag low."""
OFFLINE_TARGETS = ("en",)
"""Target languages the offline engines can produce (Whisper's translate task writes English only)."""
_AUDIO_CHUNK = protocol.FRAME_SAMPLES  # one output audio delta per 200 ms of speech
_RING_SECONDS = MAX_SEGMENT_S + 5
"""Audio preallocated for the speech in progress: a longest segment, its padding and the VAD's lag."""


class _VAD(Protocol):
    def feed(self, samples: np.ndarray) -> list[Any]: ...


@dataclass(frozen=True)
class TranslateSegment:
    """Effect: translate (and, if asked, transcribe) ``pcm`` (int16, 24 kHz) and speak the translation."""

    segment_id: int
    pcm: np.ndarray
    target_language: str
    transcribe: bool
    elapsed_ms: int


@dataclass(frozen=True)
class SegmentResult:
    """What the engines made of one segment: the translation, the source transcript, the translated speech."""

    translated: str
    source: str | None
    audio: np.ndarray  # int16 mono at 24 kHz


@dataclass(frozen=True)
class CloseConnection:
    """Effect: the session is over (after ``session.closed``): close the socket normally."""


Output = dict[str, Any] | TranslateSegment | CloseConnection


class TranslationCore:
    """One translation session's state machine (see the module docs).

    Parameters
    ----------
    model : str
        The translation model (validated by the caller against the catalogue).
    now : float
        The current time (s since epoch), for ``expires_at``.
    vad : object or None
        A server VAD (``feed(float32) -> events``); None: every append is one segment at ``session.close``
        (for tests).
    session : dict, optional
        Settings from an ephemeral key, applied at creation.
    """

    def __init__(self, *, model: str, now: float, vad: _VAD | None, session: dict[str, Any] | None = None):
        self.ids = IdFactory()
        self.session = protocol.default_session(
            session_id=self.ids.new("sess"), model=model, expires_at=int(now) + 3600
        )
        if session and session.get("audio"):
            self.session = protocol.apply_update(self.session, {"audio": session["audio"]})
        self._vad = vad
        self._audio = PcmRing(_RING_SECONDS * SR)  # the audio a segment may still need, by stream position
        self._speech_start: int | None = None
        self._next_segment = 0
        self._pending: set[int] = set()
        self.closing = False
        self.closed = False
        self.max_event_bytes = MAX_EVENT_BYTES
        self.max_input_samples = int(MAX_BUFFER_SECONDS * SR)

    # ------------------------------------------------------------------------------------------ client events

    def start(self) -> list[Output]:
        """``session.created``: the first event of every connection."""
        return [self._event({"type": "session.created", "session": self.session})]

    def handle_text(self, text: str) -> list[Output]:
        """One client event from the wire. Bad events get an ``error`` event; the session goes on."""
        if self.closing:
            return [
                self._error("invalid_value", "The session is closing: no more events are accepted.", "type")
            ]
        if len(text) > self.max_event_bytes:
            error = event_too_large(len(text), self.max_event_bytes)
            return [self._error(error.code or "event_too_large", error.message, error.param)]
        try:
            event = protocol.parse_client_event(text)
            kind = event["type"]
            if kind == "session.update":
                return self._update(event)
            if kind == "session.input_audio_buffer.append":
                return self._append(event)
            return self._close()
        except ProtocolError as exc:
            return [self._error(exc.code or "invalid_value", exc.message, exc.param, event_text=text)]

    def _update(self, event: dict[str, Any]) -> list[Output]:
        updated = protocol.apply_update(self.session, event["session"])
        language = updated["audio"]["output"]["language"]
        if language not in OFFLINE_TARGETS:
            raise ProtocolError(
                "unsupported_value",
                f"The offline emulator cannot translate into {language!r}: Whisper's translate task writes "
                f"English only, so audio.output.language must be one of {', '.join(OFFLINE_TARGETS)}. Set "
                "OPENAI_API_KEY to translate into other languages with OpenAI.",
                "session.audio.output.language",
            )
        self.session = updated
        return [self._event({"type": "session.updated", "session": self.session})]

    def _append(self, event: dict[str, Any]) -> list[Output]:
        try:
            raw = base64.b64decode(event["audio"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProtocolError("invalid_value", "Invalid 'audio': not valid base64.", "audio") from exc
        if len(raw) % 2:
            raise ProtocolError(
                "invalid_value", "Invalid 'audio': 24 kHz PCM16 mono has 2 bytes per sample.", "audio"
            )
        return self.append_pcm(np.frombuffer(raw, dtype="<i2").astype(np.int16))

    def append_pcm(self, pcm: np.ndarray) -> list[Output]:
        """Audio in (24 kHz mono int16): from ``session.input_audio_buffer.append``, or from a WebRTC track.

        Segments are cut where the VAD hears speech end (or every :data:`MAX_SEGMENT_S` seconds, or when the
        audio held reaches ``max_input_samples``)."""
        if self.closing:
            return []
        outputs: list[Output] = []
        self._audio.append(pcm)
        if self._vad is None:  # one segment at session.close, or each time the audio held reaches the limit
            if len(self._audio) > self.max_input_samples:
                outputs += self._cut(self._audio.start, self.samples_in)
                self._audio.forget_before(self.samples_in)
            return outputs
        for vad_event in self._vad.feed(pcm.astype(np.float32) / 32768.0):
            kind = getattr(vad_event, "type", "")
            if kind.endswith("speech_started"):
                self._speech_start = int(vad_event.audio_start_ms) * SR // 1000
            elif kind.endswith("speech_stopped") and self._speech_start is not None:
                end = int(getattr(vad_event, "speech_end_ms", 0) or vad_event.audio_end_ms) * SR // 1000
                outputs += self._cut(self._speech_start, end)
                self._speech_start = None
        longest = min(MAX_SEGMENT_S * SR, self.max_input_samples)
        if self._speech_start is not None and self.samples_in - self._speech_start > longest:
            outputs += self._cut(self._speech_start, self.samples_in)  # a long monologue: in parts
            self._speech_start = self.samples_in
        self._forget_before(self._speech_start if self._speech_start is not None else self.samples_in)
        return outputs

    def _close(self) -> list[Output]:
        outputs: list[Output] = []
        start = self._speech_start if self._vad is not None else self._audio.start
        if start is not None and self.samples_in - start >= SR // 10:
            outputs += self._cut(start, self.samples_in)
        self._speech_start = None
        self.closing = True
        return outputs + self._maybe_closed()

    # -------------------------------------------------------------------------------------- engine results

    def segment_done(self, effect: TranslateSegment, result: SegmentResult | Exception) -> list[Output]:
        """Events for a finished segment: source transcript, translated transcript and audio deltas."""
        self._pending.discard(effect.segment_id)
        outputs: list[Output] = []
        at = effect.elapsed_ms
        if isinstance(result, Exception):
            outputs.append(self._error("server_error", f"Translating a segment failed: {result}", None))
            return outputs + self._maybe_closed()
        if effect.transcribe and result.source:
            for piece in _fragments(result.source):
                outputs.append(
                    self._event({"type": "session.input_transcript.delta", "delta": piece, "elapsed_ms": at})
                )
        text = result.translated.strip()
        if text:
            pieces = split_words(text + " ")
            for piece in pieces:
                outputs.append(
                    self._event({"type": "session.output_transcript.delta", "delta": piece, "elapsed_ms": at})
                )
            for start in range(0, len(result.audio), _AUDIO_CHUNK):
                chunk = result.audio[start : start + _AUDIO_CHUNK].astype("<i2").tobytes()
                outputs.append(
                    self._event(
                        {
                            "type": "session.output_audio.delta",
                            "delta": base64.b64encode(chunk).decode("ascii"),
                            "format": "pcm16",
                            "sample_rate": SR,
                            "channels": 1,
                            "elapsed_ms": at + start * 1000 // SR,
                        }
                    )
                )
        return outputs + self._maybe_closed()

    @property
    def samples_in(self) -> int:
        """All audio received (samples): what is billed, per minute."""
        return self._audio.end

    @property
    def billed_seconds(self) -> float:
        """Seconds of input audio received: what gpt-realtime-translate bills, per minute."""
        return self.samples_in / SR

    # ------------------------------------------------------------------------------------------ helpers

    def _cut(self, start: int, end: int) -> list[Output]:
        pcm = self._slice(start, end)
        if len(pcm) < SR // 10:  # under 100 ms: nothing to translate
            return []
        segment_id = self._next_segment
        self._next_segment += 1
        self._pending.add(segment_id)
        transcribe = self.session["audio"]["input"].get("transcription") is not None
        return [
            TranslateSegment(
                segment_id,
                pcm,
                self.session["audio"]["output"]["language"],
                transcribe,
                protocol.frame_elapsed_ms(self.samples_in),  # where in the stream the output is made
            )
        ]

    def _slice(self, start: int, end: int) -> np.ndarray:
        return self._audio.slice(start, end)

    def _forget_before(self, position: int) -> None:
        """Drop audio no segment can still need (keep 300 ms of prefix padding)."""
        self._audio.forget_before(position - SR * 3 // 10)

    def _maybe_closed(self) -> list[Output]:
        if self.closing and not self._pending and not self.closed:
            self.closed = True
            return [self._event({"type": "session.closed"}), CloseConnection()]
        return []

    def _event(self, event: dict[str, Any]) -> dict[str, Any]:
        return protocol.server_event({**event, "event_id": self.ids.new("event")})

    def _error(
        self, code: str, message: str, param: str | None, *, event_text: str | None = None
    ) -> dict[str, Any]:
        body = ProtocolError(code, message, param).event_body(client_event_id=_client_event_id(event_text))
        return protocol.server_event({"type": "error", "event_id": self.ids.new("event"), "error": body})


_CLAUSE = re.compile(r"[^、。！？!?,.]+[、。！？!?,.]*")


def _fragments(text: str) -> list[str]:
    """Append-only transcript fragments: words where the text has spaces, else clauses (Japanese, Chinese).

    Examples
    --------
    >>> _fragments("駅はどこですか。まっすぐ行ってください。")
    ['駅はどこですか。', 'まっすぐ行ってください。']
    >>> _fragments("Where is it?")
    ['Where ', 'is ', 'it?']
    """
    if " " in text.strip():
        return split_words(text)
    return _CLAUSE.findall(text) or [text]


def _client_event_id(text: str | None) -> str | None:
    """The ``event_id`` of the client event an error answers, if it parses and has one."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    event_id = value.get("event_id") if isinstance(value, dict) else None
    return event_id if isinstance(event_id, str) else None
