"""Sans-I/O bookkeeping for a Realtime API client session.

:class:`RealtimeCore` takes server events in (plain dicts, as they come off the wire) and client events out
(plain dicts to send), and keeps the protocol state a client needs: the connection phase, the conversation
items with their transcripts, the active response, usage totals, how much audio went each way, what playback
has reached, and what was sent while the socket was down. It never touches a socket, a clock or a thread:
times are passed in as ``t`` (seconds, any monotonic origin). :mod:`voicelab.realtime.session` moves the
bytes.

Examples
--------
>>> core = RealtimeCore({"type": "realtime", "instructions": "Be brief."})
>>> core.connecting(t=0.0)
>>> core.receive({"type": "session.created", "event_id": "e1", "session": {}}, t=0.1).send[0]["type"]
'session.update'
>>> core.receive({"type": "session.updated", "event_id": "e2", "session": {"type": "realtime"}}, t=0.2).ready
True
>>> core.phase
<Phase.READY: 'ready'>
"""

from __future__ import annotations

import copy
import enum
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from voicelab.errors import ParameterError

__all__ = [
    "BargeIn",
    "FunctionCall",
    "Item",
    "Phase",
    "Reaction",
    "RealtimeCore",
    "ReconnectPolicy",
    "Response",
    "ResponseState",
    "Turn",
    "UsageTotals",
    "audio_ms",
]

#: Bytes per millisecond of each GA input/output audio format.
_BYTES_PER_MS = {"audio/pcm": 48.0, "audio/pcmu": 8.0, "audio/pcma": 8.0}

#: Error codes that are expected races, not failures (the server already did what we asked).
BENIGN_ERROR_CODES = frozenset({"response_cancel_not_active"})


def audio_ms(n_bytes: int, *, format: str = "audio/pcm") -> float:
    """Duration in ms of ``n_bytes`` of audio in a GA Realtime format (PCM16 24 kHz by default).

    Examples
    --------
    >>> audio_ms(48_000)
    1000.0
    >>> audio_ms(800, format="audio/pcmu")
    100.0
    """
    try:
        return n_bytes / _BYTES_PER_MS[format]
    except KeyError:
        raise ParameterError("format", expected=f"one of {sorted(_BYTES_PER_MS)}", got=repr(format)) from None


class Phase(enum.Enum):
    """Where the connection is. Every transition is guarded in :class:`RealtimeCore`."""

    IDLE = "idle"  # not yet connected
    CONNECTING = "connecting"  # socket opening, waiting for session.created
    CONFIGURING = "configuring"  # session.update sent, waiting for session.updated
    READY = "ready"  # conversation can proceed
    RECONNECTING = "reconnecting"  # socket lost; client events are held back
    CLOSED = "closed"  # closed on purpose, or gave up


class ResponseState(enum.Enum):
    """Lifecycle of one model response."""

    REQUESTED = "requested"  # response.create sent, no response.created yet
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    INCOMPLETE = "incomplete"
    FAILED = "failed"
    LOST = "lost"  # the connection dropped before response.done


@dataclass(frozen=True)
class ReconnectPolicy:
    """How often and how patiently to reconnect.

    Parameters
    ----------
    max_attempts : int
        Tries after a drop (default 3).
    initial_delay : float
        Seconds before the first try; each next try doubles it (1, 2, 4 s by default).
    max_delay : float
        Upper bound of one delay.

    Examples
    --------
    >>> [ReconnectPolicy().delay(n) for n in (1, 2, 3)]
    [1.0, 2.0, 4.0]
    """

    max_attempts: int = 3
    initial_delay: float = 1.0
    max_delay: float = 4.0

    def __post_init__(self) -> None:
        if self.max_attempts < 0:
            raise ParameterError("max_attempts", expected="a count ≥ 0", got=repr(self.max_attempts))
        if self.initial_delay < 0 or self.max_delay < self.initial_delay:
            raise ParameterError(
                "initial_delay",
                expected="0 ≤ initial_delay ≤ max_delay",
                got=f"{self.initial_delay}, max_delay={self.max_delay}",
            )

    def delay(self, attempt: int) -> float:
        """Seconds to wait before try number ``attempt`` (1-based)."""
        return float(min(self.initial_delay * 2 ** (attempt - 1), self.max_delay))


@dataclass
class Item:
    """One conversation item as the client knows it."""

    id: str
    type: str  # message | function_call | function_call_output
    role: str | None = None  # user | assistant | system (messages)
    status: str | None = None
    response_id: str | None = None
    transcript: str = ""  # spoken words: input transcription or output audio transcript
    text: str = ""  # typed words: input_text or output_text
    name: str | None = None  # function name
    call_id: str | None = None
    arguments: str = ""
    output: str | None = None  # function_call_output
    audio_received_ms: float = 0.0  # assistant audio that reached us
    truncated_ms: int | None = None  # where we cut it (conversation.item.truncate)
    transcript_done: bool = False

    @property
    def content(self) -> str:
        """The words of the item, spoken or typed."""
        return self.transcript or self.text


@dataclass
class UsageTotals:
    """Tokens summed over every ``response.done`` (and transcription) of a session."""

    responses: int = 0
    input_text_tokens: int = 0
    input_audio_tokens: int = 0
    input_image_tokens: int = 0
    cached_text_tokens: int = 0
    cached_audio_tokens: int = 0
    output_text_tokens: int = 0
    output_audio_tokens: int = 0
    transcription_input_tokens: int = 0
    transcription_input_audio_tokens: int = 0
    transcription_output_tokens: int = 0
    transcription_seconds: float = 0.0

    @property
    def input_tokens(self) -> int:
        return self.input_text_tokens + self.input_audio_tokens + self.input_image_tokens

    @property
    def output_tokens(self) -> int:
        return self.output_text_tokens + self.output_audio_tokens

    def add_response(self, usage: dict[str, Any]) -> None:
        """Add one ``response.done`` ``usage`` object (GA shape)."""
        inp = usage.get("input_token_details") or {}
        out = usage.get("output_token_details") or {}
        cached = inp.get("cached_tokens_details") or {}
        self.responses += 1
        self.input_text_tokens += int(inp.get("text_tokens") or 0)
        self.input_audio_tokens += int(inp.get("audio_tokens") or 0)
        self.input_image_tokens += int(inp.get("image_tokens") or 0)
        if cached:
            self.cached_text_tokens += int(cached.get("text_tokens") or 0)
            self.cached_audio_tokens += int(cached.get("audio_tokens") or 0)
        else:  # only a total: attribute it to text
            self.cached_text_tokens += int(inp.get("cached_tokens") or 0)
        self.output_text_tokens += int(out.get("text_tokens") or 0)
        self.output_audio_tokens += int(out.get("audio_tokens") or 0)

    def add_transcription(self, usage: dict[str, Any]) -> None:
        """Add the ``usage`` of an ``…input_audio_transcription.completed`` event (tokens or duration)."""
        if usage.get("type") == "duration":
            self.transcription_seconds += float(usage.get("seconds") or 0.0)
            return
        details = usage.get("input_token_details") or {}
        self.transcription_input_tokens += int(usage.get("input_tokens") or 0)
        self.transcription_input_audio_tokens += int(details.get("audio_tokens") or 0)
        self.transcription_output_tokens += int(usage.get("output_tokens") or 0)

    def as_response_usage(self) -> dict[str, Any]:
        """The totals as one GA ``response.done`` usage object (what :func:`voicelab.pricing.cost` prices)."""
        return {
            "total_tokens": self.input_tokens + self.output_tokens,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "input_token_details": {
                "text_tokens": self.input_text_tokens,
                "audio_tokens": self.input_audio_tokens,
                "image_tokens": self.input_image_tokens,
                "cached_tokens": self.cached_text_tokens + self.cached_audio_tokens,
                "cached_tokens_details": {
                    "text_tokens": self.cached_text_tokens,
                    "audio_tokens": self.cached_audio_tokens,
                    "image_tokens": 0,
                },
            },
            "output_token_details": {
                "text_tokens": self.output_text_tokens,
                "audio_tokens": self.output_audio_tokens,
            },
        }

    def as_transcription_usage(self) -> dict[str, Any]:
        """Transcription totals as a transcription usage object (tokens, or duration when only that is
        known)."""
        if self.transcription_input_tokens == 0 and self.transcription_seconds:
            return {"type": "duration", "seconds": self.transcription_seconds}
        return {
            "type": "tokens",
            "input_tokens": self.transcription_input_tokens,
            "output_tokens": self.transcription_output_tokens,
            "total_tokens": self.transcription_input_tokens + self.transcription_output_tokens,
            "input_token_details": {
                "audio_tokens": self.transcription_input_audio_tokens,
                "text_tokens": self.transcription_input_tokens - self.transcription_input_audio_tokens,
            },
        }


@dataclass
class Response:
    """One model response with the moments that matter for latency."""

    id: str | None
    state: ResponseState
    requested_t: float | None = None
    created_t: float | None = None
    first_audio_t: float | None = None
    first_text_t: float | None = None
    done_t: float | None = None
    item_ids: list[str] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    status_details: dict[str, Any] | None = None
    audio_ms: float = 0.0


@dataclass
class Turn:
    """One exchange: what the user said (or typed) and the response it got, with timings.

    ``start_t`` is the moment the user finished (end of speech on the audio clock mapped to the session clock,
    or the time the text/response request was sent); latencies are measured from there.
    """

    index: int
    start_t: float
    user_item_id: str | None = None
    speech_started_t: float | None = None
    speech_stopped_t: float | None = None
    response: Response | None = None
    kind: str = "voice"  # voice | text | tool (follow-up after function results) | server

    def __repr__(self) -> str:
        def sec(x: float | None) -> str:
            return "-" if x is None else f"{x:.2f} s"

        state = self.response.state.value if self.response else "waiting"
        return (
            f"Turn({self.index}, {self.kind}, {state}, first audio {sec(self.time_to_first_audio)}, "
            f"total {sec(self.total_time)})"
        )

    @property
    def time_to_first_audio(self) -> float | None:
        """Seconds from the end of the user's turn to the first audio delta."""
        if self.response is None or self.response.first_audio_t is None:
            return None
        return self.response.first_audio_t - self.start_t

    @property
    def time_to_first_text(self) -> float | None:
        if self.response is None or self.response.first_text_t is None:
            return None
        return self.response.first_text_t - self.start_t

    @property
    def total_time(self) -> float | None:
        """Seconds from the end of the user's turn to ``response.done``."""
        if self.response is None or self.response.done_t is None:
            return None
        return self.response.done_t - self.start_t


@dataclass(frozen=True)
class FunctionCall:
    """A function the model asked for, ready to run."""

    call_id: str
    name: str
    arguments: str
    item_id: str
    response_id: str | None

    def parsed_arguments(self) -> dict[str, Any]:
        """Arguments as a dict (``{}`` for empty text); raises ParameterError on invalid JSON."""
        if not self.arguments.strip():
            return {}
        try:
            value = json.loads(self.arguments)
        except json.JSONDecodeError as exc:
            raise ParameterError(
                "arguments", expected="a JSON object", got=f"invalid JSON ({exc.msg})"
            ) from exc
        if not isinstance(value, dict):
            raise ParameterError("arguments", expected="a JSON object", got=type(value).__name__)
        return value


@dataclass(frozen=True)
class BargeIn:
    """The user spoke over the assistant: stop playback at ``audio_end_ms`` of ``item_id``."""

    item_id: str
    content_index: int
    audio_end_ms: int
    played_ms: float
    received_ms: float
    cancelled_response: str | None


@dataclass
class Reaction:
    """What the I/O layer should do after a server event.

    Attributes
    ----------
    send : list of dict
        Client events to send now, in order.
    calls : list of FunctionCall
        Function calls to run (their results go back through :meth:`RealtimeCore.function_result`).
    barge_in : BargeIn or None
        Set when playback must stop now.
    notes : list of dict
        Client-side events (``type`` starting with ``voicelab.``) for the event log.
    ready : bool
        The session just became ready (first time, or again after a reconnect).
    error : dict or None
        The server's ``error`` object, unless the error is a benign race.
    """

    send: list[dict[str, Any]] = field(default_factory=list)
    calls: list[FunctionCall] = field(default_factory=list)
    barge_in: BargeIn | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)
    ready: bool = False
    error: dict[str, Any] | None = None


class _Playback:
    """Where playback of assistant audio has got to, at real-time speed, unless a player reports exactly.

    Audio of successive items plays back to back: an item starts when its first delta arrives or when the
    previous item finishes, whichever is later.
    """

    def __init__(self) -> None:
        self.start_t: dict[str, float] = {}
        self.reported_ms: dict[str, float] = {}
        self.stopped: dict[str, float] = {}
        self.end_t = 0.0  # when everything queued so far will have played

    def received(self, item_id: str, ms: float, t: float, total_ms: float) -> None:
        if item_id in self.stopped:
            return
        if item_id not in self.start_t:
            self.start_t[item_id] = max(t, self.end_t)
        self.end_t = max(self.end_t, self.start_t[item_id] + total_ms / 1000.0)

    def played_ms(self, item_id: str, t: float, received_ms: float) -> float:
        if item_id in self.stopped:
            return self.stopped[item_id]
        if item_id in self.reported_ms:
            return min(self.reported_ms[item_id], received_ms)
        start = self.start_t.get(item_id)
        if start is None:
            return 0.0
        return max(0.0, min((t - start) * 1000.0, received_ms))

    def is_playing(self, item_id: str, t: float, received_ms: float) -> bool:
        return item_id not in self.stopped and self.played_ms(item_id, t, received_ms) < received_ms

    def stop(self, item_id: str, at_ms: float, t: float) -> None:
        self.stopped[item_id] = at_ms
        self.end_t = t


class RealtimeCore:
    """Protocol state of one client session, driven by plain event dicts.

    Parameters
    ----------
    config : dict
        The GA ``session`` object to apply (sent in ``session.update`` after every ``session.created``).
    on_disconnect : {"replay", "drop"}
        What to do with audio appended while the socket is down: hold it and send it after the session is
        configured again (``"replay"``, up to ``max_pending_ms``), or drop it. Either way it is counted in
        ``audio_replayed_ms`` / ``audio_dropped_ms`` and noted in the event log — never silently lost.
    max_pending_ms : float
        How much held audio to keep for replay; the oldest beyond that is dropped (and counted).

    Examples
    --------
    >>> core = RealtimeCore({"type": "realtime"})
    >>> core.connecting(t=0.0)
    >>> _ = core.receive({"type": "session.created", "event_id": "e", "session": {}}, t=0.0)
    >>> _ = core.receive({"type": "session.updated", "event_id": "e", "session": {}}, t=0.0)
    >>> core.append_audio(b"\\x00\\x00" * 2400, t=0.1)[0]["type"]
    'input_audio_buffer.append'
    >>> core.audio_sent_ms
    100.0
    """

    def __init__(
        self,
        config: dict[str, Any] | None = None,
        *,
        on_disconnect: str = "replay",
        max_pending_ms: float = 30_000.0,
    ) -> None:
        if on_disconnect not in ("replay", "drop"):
            raise ParameterError("on_disconnect", expected="'replay' or 'drop'", got=repr(on_disconnect))
        self.config: dict[str, Any] = copy.deepcopy(config) if config else {"type": "realtime"}
        self.on_disconnect = on_disconnect
        self.max_pending_ms = float(max_pending_ms)
        self.phase = Phase.IDLE
        self.session: dict[str, Any] = {}  # effective config from the last session.updated
        self.items: dict[str, Item] = {}
        self.responses: dict[str, Response] = {}
        self.active_response: Response | None = None
        self.usage = UsageTotals()
        self.turns: list[Turn] = []
        self.errors: list[dict[str, Any]] = []
        # input audio
        self.audio_sent_ms = 0.0  # appended and handed to the socket
        self.audio_replayed_ms = 0.0  # held while disconnected, sent later
        self.audio_dropped_ms = 0.0  # held while disconnected, then given up
        self._dropped_in_outage = 0.0  # dropped since the session was last ready
        self._audio_base_ms = 0.0  # audio sent on earlier connections (server clock restarts)
        self._audio_clock: list[tuple[float, float]] = []  # (input audio ms, session t) at each append
        self._pending: deque[dict[str, Any]] = deque()  # client events held while not ready
        self._pending_audio_ms = 0.0
        # output audio
        self._playback = _Playback()
        self._output_format = "audio/pcm"
        # connection bookkeeping
        self.connections = 0
        self.reconnects = 0
        self._pending_calls: dict[str, list[str]] = {}  # response id -> call ids awaiting results
        self._follow_up_wanted = False
        self._next_turn_kind = "text"
        self._open_turn: Turn | None = None  # user speech not yet answered
        self._awaiting: deque[Turn] = deque()  # turns whose response.create is on its way

    # ------------------------------------------------------------------ connection
    def connecting(self, *, t: float) -> None:
        """The I/O layer is opening a socket (first time, or again)."""
        if self.phase is Phase.CLOSED:
            raise ParameterError(
                "phase",
                expected="a session that is not closed",
                got="closed",
                fix="open a new RealtimeSession",
            )
        if self.phase is not Phase.RECONNECTING:
            self.phase = Phase.CONNECTING

    def disconnected(self, *, t: float, code: int | None = None, reason: str = "") -> list[dict[str, Any]]:
        """The socket dropped unexpectedly. Returns notes for the event log."""
        if self.phase is Phase.CLOSED:
            return []
        self.phase = Phase.RECONNECTING
        notes: list[dict[str, Any]] = [{"type": "voicelab.disconnected", "code": code, "reason": reason}]
        if self.active_response is not None:
            self.active_response.state = ResponseState.LOST
            self.active_response.done_t = t
            notes.append({"type": "voicelab.response_lost", "response_id": self.active_response.id})
            self.active_response = None
        # the server's audio clock restarts with the next session
        self._audio_base_ms = self.audio_sent_ms
        return notes

    def reconnect_attempt(
        self,
        attempt: int,
        *,
        delay: float,
        t: float,
        code: int | None = None,
        max_attempts: int | None = None,
    ) -> dict[str, Any]:
        """Note one reconnect try (the I/O layer calls this for every attempt)."""
        self.phase = Phase.RECONNECTING
        return {
            "type": "voicelab.reconnecting",
            "attempt": attempt,
            "max_attempts": max_attempts,
            "delay": round(delay, 3),
            "code": code,
        }

    def closed(self, *, t: float, intentional: bool = True, reason: str = "") -> list[dict[str, Any]]:
        """The session is over (closed on purpose, or reconnecting gave up). Held audio is reported lost."""
        notes: list[dict[str, Any]] = []
        lost = self._drop_pending(reason="closed")
        if lost:
            notes.append(lost)
        if self.active_response is not None:
            self.active_response.state = ResponseState.LOST
            self.active_response = None
        self.phase = Phase.CLOSED
        notes.append({"type": "voicelab.closed", "intentional": intentional, "reason": reason})
        return notes

    @property
    def is_ready(self) -> bool:
        return self.phase is Phase.READY

    # ------------------------------------------------------------------ sending
    def send(self, event: dict[str, Any], *, t: float) -> list[dict[str, Any]]:
        """Route one client event: returned for sending now, or held until the session is ready again."""
        if self.phase is Phase.CLOSED:
            raise ParameterError(
                "session", expected="an open session", got="a closed one", fix="open a new RealtimeSession"
            )
        kind = event.get("type")
        if kind == "conversation.item.create":
            item = event.get("item") or {}
            if item.get("type") == "function_call_output":
                self._next_turn_kind = "tool"
            elif item.get("role") == "user":
                self._next_turn_kind = "text"
        elif kind == "input_audio_buffer.commit":
            self._next_turn_kind = "voice"
        elif kind == "response.create":
            turn = self._open_turn
            if turn is not None:  # audio committed by hand, then a response requested
                if turn.speech_stopped_t is None:
                    turn.start_t = t
                self._open_turn = None
            else:
                turn = Turn(len(self.turns), start_t=t, kind=self._next_turn_kind)
            self._next_turn_kind = "text"
            self._follow_up_wanted = False
            self.turns.append(turn)
            self._awaiting.append(turn)
            if self.active_response is None:
                self.active_response = Response(None, ResponseState.REQUESTED, requested_t=t)
        if self.phase is not Phase.READY and kind != "session.update":
            self._pending.append(event)
            return []
        return [event]

    def append_audio(self, pcm16: bytes, *, t: float) -> list[dict[str, Any]]:
        """An ``input_audio_buffer.append`` for 24 kHz PCM16 bytes (held while disconnected)."""
        import base64

        if len(pcm16) % 2:
            raise ParameterError(
                "pcm16", expected="an even number of bytes (16-bit samples)", got=f"{len(pcm16)} bytes"
            )
        ms = audio_ms(len(pcm16))
        event: dict[str, Any] = {"type": "input_audio_buffer.append",
                                 "audio": base64.b64encode(pcm16).decode("ascii")}
        if self.phase is Phase.READY:
            self._audio_clock.append((self.audio_sent_ms, t))
            self.audio_sent_ms += ms
            return [event]
        if self.phase is Phase.CLOSED:
            raise ParameterError("session", expected="an open session", got="a closed one")
        if self.on_disconnect == "drop" and self.phase is Phase.RECONNECTING:
            self.audio_dropped_ms += ms
            self._dropped_in_outage += ms
            return []
        event["_ms"] = ms
        event["_t"] = t
        self._pending.append(event)
        self._pending_audio_ms += ms
        self._trim_pending()
        return []

    def _trim_pending(self) -> None:
        while self._pending_audio_ms > self.max_pending_ms:
            for i, ev in enumerate(self._pending):
                if ev.get("type") == "input_audio_buffer.append":
                    del self._pending[i]
                    self._pending_audio_ms -= ev["_ms"]
                    self.audio_dropped_ms += ev["_ms"]
                    self._dropped_in_outage += ev["_ms"]
                    break
            else:
                break

    def _drop_pending(self, *, reason: str) -> dict[str, Any] | None:
        dropped = self._pending_audio_ms
        n_events = len(self._pending)
        self._pending.clear()
        self._pending_audio_ms = 0.0
        if not n_events:
            return None
        self.audio_dropped_ms += dropped
        return {
            "type": "voicelab.audio_dropped",
            "audio_ms": round(dropped, 1),
            "events": n_events,
            "reason": reason,
        }

    def _release_pending(self, t: float) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        out: list[dict[str, Any]] = []
        replayed = 0.0
        while self._pending:
            ev = self._pending.popleft()
            if ev.get("type") == "input_audio_buffer.append":
                ms = ev.pop("_ms")
                ev.pop("_t", None)
                self._audio_clock.append((self.audio_sent_ms, t))
                self.audio_sent_ms += ms
                replayed += ms
            out.append(ev)
        self._pending_audio_ms = 0.0
        note = None
        if out and self.connections > 1:
            self.audio_replayed_ms += replayed
            note = {"type": "voicelab.replayed", "audio_ms": round(replayed, 1), "events": len(out)}
        return out, note

    def hold(self, event: dict[str, Any], *, t: float) -> None:
        """An event the socket refused (it died under us): keep it for replay, and un-count its audio."""
        if self.phase is Phase.CLOSED:
            return
        if event.get("type") == "input_audio_buffer.append":
            ms = audio_ms(len(event.get("audio", "")) * 3 // 4 - event.get("audio", "")[-2:].count("="))
            self.audio_sent_ms -= ms
            if self._audio_base_ms > self.audio_sent_ms:
                self._audio_base_ms = self.audio_sent_ms
            if self.on_disconnect == "drop":
                self.audio_dropped_ms += ms
                self._dropped_in_outage += ms
                return
            event = {**event, "_ms": ms, "_t": t}
            self._pending_audio_ms += ms
        self._pending.append(event)
        self._trim_pending()

    @property
    def pending_audio_ms(self) -> float:
        """Audio held back while not connected, waiting to be replayed."""
        return self._pending_audio_ms

    def input_time(self, audio_ms_: float) -> float | None:
        """Session time at which input audio position ``audio_ms_`` (session-wide clock) was sent."""
        clock = self._audio_clock
        if not clock:
            return None
        # last append that started at or before that position
        lo, hi = 0, len(clock) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if clock[mid][0] <= audio_ms_:
                lo = mid
            else:
                hi = mid - 1
        start_ms, t = clock[lo]
        if lo + 1 < len(clock):
            next_ms, next_t = clock[lo + 1]
            if next_ms > start_ms:
                frac = min(max((audio_ms_ - start_ms) / (next_ms - start_ms), 0.0), 1.0)
                return t + frac * (next_t - t)
        return t

    # ------------------------------------------------------------------ truncation / barge-in
    def played_ms(self, item_id: str, *, t: float) -> float:
        """How much of an assistant item's audio has played by ``t`` (reported by a player, else real
        time)."""
        item = self.items.get(item_id)
        received = item.audio_received_ms if item else 0.0
        return self._playback.played_ms(item_id, t, received)

    def playback_stopped(self, item_id: str) -> bool:
        """Playback of this item was cut (barge-in): its late audio deltas must not be played."""
        return item_id in self._playback.stopped

    def playback_span(self, item_id: str) -> tuple[float, float] | None:
        """(start, end) session times of an item's playback (end cut short by a truncation)."""
        item = self.items.get(item_id)
        start = self._playback.start_t.get(item_id)
        if item is None or start is None:
            return None
        ms = (
            item.audio_received_ms
            if item.truncated_ms is None
            else min(item.truncated_ms, item.audio_received_ms)
        )
        return start, start + ms / 1000.0

    def report_played(self, item_id: str, played_ms: float) -> None:
        """A player says exactly how much of ``item_id`` it has played."""
        self._playback.reported_ms[item_id] = max(0.0, float(played_ms))

    def playing_item(self, *, t: float) -> Item | None:
        """The assistant item whose audio is still playing at ``t``, if any."""
        for item in reversed(self.items.values()):
            if item.role == "assistant" and item.audio_received_ms > 0:
                if self._playback.is_playing(item.id, t, item.audio_received_ms):
                    return item
                return None
        return None

    def truncate(self, item_id: str, played_ms: float, *, t: float) -> dict[str, Any]:
        """A ``conversation.item.truncate`` at ``played_ms``, clamped to the audio actually received.

        Truncating past the audio the server sent is an error on the server ("Audio content of 2450ms is
        already shorter than 2535ms"): the cut is never later than what arrived, nor earlier than 0.
        """
        item = self.items.get(item_id)
        if item is None:
            raise ParameterError("item_id", expected="an item of this conversation", got=repr(item_id))
        received = item.audio_received_ms
        end_ms = int(min(max(played_ms, 0.0), received))  # floor: never past the audio received
        item.truncated_ms = end_ms
        self._playback.stop(item_id, end_ms, t)
        return {
            "type": "conversation.item.truncate",
            "item_id": item_id,
            "content_index": 0,
            "audio_end_ms": end_ms,
        }

    def barge_in(
        self, *, t: float, played_ms: float | None = None
    ) -> tuple[list[dict[str, Any]], BargeIn | None]:
        """The user started speaking: cancel the active response and truncate what was not heard.

        Returns the client events to send and a :class:`BargeIn` (``None`` when nothing was playing).
        """
        item = self.playing_item(t=t)
        send: list[dict[str, Any]] = []
        cancelled = None
        if self.active_response is not None and self.active_response.state is ResponseState.IN_PROGRESS:
            cancelled = self.active_response.id
            send.append({"type": "response.cancel"})
        if item is None and cancelled is not None:
            # an underrun: all audio received so far has played, but the response is still speaking
            item = next(
                (
                    self.items[i]
                    for i in reversed(self.active_response.item_ids)  # type: ignore[union-attr]
                    if i in self.items
                    and self.items[i].audio_received_ms > 0
                    and not self.playback_stopped(i)
                ),
                None,
            )
        if item is None and played_ms is not None:  # told exactly where playback stopped: cut the last item
            item = next(
                (
                    it
                    for it in reversed(self.items.values())
                    if it.role == "assistant"
                    and it.audio_received_ms > 0
                    and not self.playback_stopped(it.id)
                ),
                None,
            )
        if item is None:
            return send, None
        played = self.played_ms(item.id, t=t) if played_ms is None else played_ms
        truncate = self.truncate(item.id, played, t=t)
        send.append(truncate)
        return send, BargeIn(item.id, 0, truncate["audio_end_ms"], played, item.audio_received_ms, cancelled)

    # ------------------------------------------------------------------ function calls
    def function_result(self, call: FunctionCall, output: str, *, t: float) -> list[dict[str, Any]]:
        """The ``function_call_output`` item for ``call`` and, once every call of that response has its
        result, one follow-up ``response.create`` (held back if another response is active)."""
        events = [
            {
                "type": "conversation.item.create",
                "item": {"type": "function_call_output", "call_id": call.call_id, "output": output},
            }
        ]
        waiting = self._pending_calls.get(call.response_id or "", [])
        if call.call_id in waiting:
            waiting.remove(call.call_id)
        if not waiting:
            self._pending_calls.pop(call.response_id or "", None)
            if self.active_response is None:
                self._follow_up_wanted = True
                events.append({"type": "response.create"})
            else:
                self._follow_up_wanted = True
        out: list[dict[str, Any]] = []
        for ev in events:
            out += self.send(ev, t=t)
        return out

    # ------------------------------------------------------------------ receiving
    def receive(self, event: dict[str, Any], *, t: float) -> Reaction:
        """Update the state from one server event and say what to do next."""
        kind = event.get("type", "")
        reaction = Reaction()
        handler = getattr(self, "_on_" + kind.replace(".", "_"), None)
        if handler is not None:
            handler(event, t, reaction)
        return reaction

    # session
    def _on_session_created(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        if self.phase is Phase.CLOSED:
            return
        self.connections += 1
        if self.connections > 1:
            self.reconnects += 1
            r.notes.append({"type": "voicelab.reconnected", "connection": self.connections})
        self.session = dict(event.get("session") or {})
        self.phase = Phase.CONFIGURING
        r.send.append({"type": "session.update", "session": copy.deepcopy(self.config)})

    def _on_session_updated(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        self.session = dict(event.get("session") or {})
        fmt = (((self.session.get("audio") or {}).get("output") or {}).get("format") or {}).get("type")
        if fmt in _BYTES_PER_MS:
            self._output_format = fmt
        if self.phase in (Phase.CONFIGURING, Phase.CONNECTING):
            self.phase = Phase.READY
            r.ready = True
            released, note = self._release_pending(t)
            r.send += released
            if note:
                r.notes.append(note)
            if self._dropped_in_outage:
                lost = round(self._dropped_in_outage, 1)
                why = "appended while disconnected" if self.on_disconnect == "drop" else "replay buffer full"
                r.notes.append({"type": "voicelab.audio_dropped", "audio_ms": lost, "reason": why})
                self._dropped_in_outage = 0.0

    def update_config(self, session: dict[str, Any]) -> dict[str, Any]:
        """Merge ``session`` into the config re-applied on reconnect; returns the ``session.update`` event."""
        _deep_merge(self.config, session)
        return {"type": "session.update", "session": copy.deepcopy(session)}

    # input audio / VAD
    def _server_ms(self, ms: float | int | None) -> float | None:
        return None if ms is None else self._audio_base_ms + float(ms)

    def vad_time(self, event: dict[str, Any]) -> float | None:
        """Session time at which the audio a ``speech_started``/``speech_stopped`` event points at was sent.

        ``audio_start_ms`` reaches back by the prefix padding (300 ms by default) into audio that may
        have been
        sent long before (the silence of the previous turn): the speech itself starts that much later.
        """
        if event.get("type") == "input_audio_buffer.speech_started":
            position = self._server_ms(event.get("audio_start_ms"))
            detection = ((self.session.get("audio") or {}).get("input") or {}).get("turn_detection") or {}
            pad = detection.get("prefix_padding_ms", 300 if detection.get("type") == "server_vad" else 0)
            position = None if position is None else position + float(pad or 0)
        else:
            position = self._server_ms(event.get("audio_end_ms"))
        return None if position is None else self.input_time(min(position, self.audio_sent_ms))

    def _on_input_audio_buffer_speech_started(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        speech_t = self.vad_time(event)
        turn = Turn(
            len(self.turns),
            start_t=t,
            user_item_id=event.get("item_id"),
            speech_started_t=speech_t if speech_t is not None else t,
            kind="voice",
        )
        self._open_turn = turn
        sends, barge = self.barge_in(t=t)
        r.send += sends
        r.barge_in = barge
        if barge is not None:
            r.notes.append(
                {
                    "type": "voicelab.barge_in",
                    "item_id": barge.item_id,
                    "audio_end_ms": barge.audio_end_ms,
                    "played_ms": round(barge.played_ms, 1),
                    "received_ms": round(barge.received_ms, 1),
                    "response_id": barge.cancelled_response,
                }
            )

    def _on_input_audio_buffer_speech_stopped(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        stopped_t = self.vad_time(event)
        turn = self._open_turn or Turn(len(self.turns), start_t=t, kind="voice")
        turn.speech_stopped_t = stopped_t if stopped_t is not None else t
        turn.start_t = turn.speech_stopped_t
        turn.user_item_id = turn.user_item_id or event.get("item_id")
        self._open_turn = turn

    def _on_input_audio_buffer_committed(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        turn = self._open_turn
        if turn is None:  # manual commit without server VAD
            turn = Turn(len(self.turns), start_t=t, kind="voice")
            self._open_turn = turn
        turn.user_item_id = event.get("item_id") or turn.user_item_id

    # items
    def _item_from(self, data: dict[str, Any], response_id: str | None = None) -> Item:
        item_id = data.get("id") or ""
        item = self.items.get(item_id)
        if item is None:
            item = Item(id=item_id, type=data.get("type", "message"), role=data.get("role"))
            self.items[item_id] = item
        item.status = data.get("status", item.status)
        item.response_id = item.response_id or response_id
        if item.type == "function_call":
            item.name = data.get("name") or item.name
            item.call_id = data.get("call_id") or item.call_id
            item.arguments = data.get("arguments") or item.arguments
        elif item.type == "function_call_output":
            item.call_id = data.get("call_id") or item.call_id
            item.output = data.get("output", item.output)
        for part in data.get("content") or []:
            ptype = part.get("type")
            if ptype in ("input_text", "output_text", "text") and part.get("text"):
                item.text = part["text"]
            elif ptype in ("input_audio", "output_audio", "audio") and part.get("transcript"):
                item.transcript = part["transcript"]
        return item

    def _on_conversation_item_added(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        item = self._item_from(event.get("item") or {})
        turn = self._open_turn
        if item.role == "user" and turn is not None and turn.user_item_id in (None, item.id):
            turn.user_item_id = item.id

    _on_conversation_item_created = _on_conversation_item_added  # beta name, for older servers

    def _on_conversation_item_done(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        self._item_from(event.get("item") or {})

    def _on_conversation_item_retrieved(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        self._item_from(event.get("item") or {})

    def _on_conversation_item_deleted(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        self.items.pop(event.get("item_id", ""), None)

    def _on_conversation_item_truncated(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        item = self.items.get(event.get("item_id", ""))
        if item is not None:
            item.truncated_ms = int(event.get("audio_end_ms", 0))

    def _on_conversation_item_input_audio_transcription_delta(
        self, event: dict[str, Any], t: float, r: Reaction
    ) -> None:
        item = self.items.setdefault(
            event.get("item_id", ""), Item(id=event.get("item_id", ""), type="message", role="user")
        )
        if not item.transcript_done:
            item.transcript += event.get("delta") or ""

    def _on_conversation_item_input_audio_transcription_completed(
        self, event: dict[str, Any], t: float, r: Reaction
    ) -> None:
        item = self.items.setdefault(
            event.get("item_id", ""), Item(id=event.get("item_id", ""), type="message", role="user")
        )
        item.transcript = event.get("transcript") or ""
        item.transcript_done = True
        if event.get("usage"):
            self.usage.add_transcription(event["usage"])

    # responses
    def _response(self, response_id: str | None) -> Response | None:
        if response_id is None:
            return self.active_response
        return self.responses.get(response_id)

    def _on_response_created(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        data = event.get("response") or {}
        rid = data.get("id")
        resp = self.active_response
        if resp is None or resp.id is not None:
            resp = Response(rid, ResponseState.IN_PROGRESS, requested_t=t)
        resp.id = rid
        resp.state = ResponseState.IN_PROGRESS
        resp.created_t = t
        self.active_response = resp
        if rid:
            self.responses[rid] = resp
        if self._awaiting:  # we asked for this response
            turn = self._awaiting.popleft()
        elif self._open_turn is not None:  # server VAD answered the user's speech
            turn = self._open_turn
            self._open_turn = None
            self.turns.append(turn)
        else:  # a response nobody here asked for
            turn = Turn(len(self.turns), start_t=t, kind="server")
            self.turns.append(turn)
        turn.response = resp
        for i, tu in enumerate(self.turns):
            tu.index = i

    def _on_response_output_item_added(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        resp = self._response(event.get("response_id"))
        item = self._item_from(event.get("item") or {}, event.get("response_id"))
        if resp is not None and item.id not in resp.item_ids:
            resp.item_ids.append(item.id)

    def _on_response_output_item_done(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        self._item_from(event.get("item") or {}, event.get("response_id"))

    def _assistant_item(self, event: dict[str, Any]) -> Item:
        item_id = event.get("item_id", "")
        item = self.items.get(item_id)
        if item is None:
            item = Item(id=item_id, type="message", role="assistant", response_id=event.get("response_id"))
            self.items[item_id] = item
        return item

    def _on_response_output_audio_delta(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        import base64

        item = self._assistant_item(event)
        n_bytes = len(base64.b64decode(event.get("delta") or ""))
        ms = audio_ms(n_bytes, format=self._output_format)
        item.audio_received_ms += ms
        self._playback.received(item.id, ms, t, item.audio_received_ms)
        resp = self._response(event.get("response_id"))
        if resp is not None:
            resp.audio_ms += ms
            if resp.first_audio_t is None:
                resp.first_audio_t = t

    def _on_response_output_audio_transcript_delta(
        self, event: dict[str, Any], t: float, r: Reaction
    ) -> None:
        item = self._assistant_item(event)
        if not item.transcript_done:
            item.transcript += event.get("delta") or ""

    def _on_response_output_audio_transcript_done(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        item = self._assistant_item(event)
        item.transcript = event.get("transcript", item.transcript) or ""
        item.transcript_done = True

    def _on_response_output_text_delta(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        item = self._assistant_item(event)
        item.text += event.get("delta") or ""
        resp = self._response(event.get("response_id"))
        if resp is not None and resp.first_text_t is None:
            resp.first_text_t = t

    def _on_response_output_text_done(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        item = self._assistant_item(event)
        item.text = event.get("text", item.text) or ""

    def _on_response_function_call_arguments_delta(
        self, event: dict[str, Any], t: float, r: Reaction
    ) -> None:
        item = self.items.setdefault(
            event.get("item_id", ""), Item(id=event.get("item_id", ""), type="function_call")
        )
        item.arguments += event.get("delta") or ""

    def _on_response_function_call_arguments_done(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        item = self.items.setdefault(
            event.get("item_id", ""), Item(id=event.get("item_id", ""), type="function_call")
        )
        item.arguments = event.get("arguments", item.arguments) or ""
        item.call_id = event.get("call_id") or item.call_id
        item.name = event.get("name") or item.name

    def _on_response_done(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        data = event.get("response") or {}
        rid = data.get("id")
        resp = self.responses.get(rid) if rid else self.active_response
        if resp is None:
            resp = Response(rid, ResponseState.IN_PROGRESS, created_t=t)
            if rid:
                self.responses[rid] = resp
        status = data.get("status") or "completed"
        try:
            resp.state = ResponseState(status)
        except ValueError:
            resp.state = ResponseState.FAILED
        resp.done_t = t
        resp.status_details = data.get("status_details")
        usage = data.get("usage")
        if usage:
            resp.usage = usage
            self.usage.add_response(usage)
        calls: list[FunctionCall] = []
        for out in data.get("output") or []:
            item = self._item_from(out, rid)
            if item.id not in resp.item_ids:
                resp.item_ids.append(item.id)
            if item.type == "function_call" and resp.state is ResponseState.COMPLETED and item.call_id:
                calls.append(FunctionCall(item.call_id, item.name or "", item.arguments, item.id, rid))
        if self.active_response is resp:
            self.active_response = None
        if calls:
            self._pending_calls[rid or ""] = [c.call_id for c in calls]
            r.calls = calls
        elif self._follow_up_wanted and not self._pending_calls:
            # a follow-up was held back while this response ran
            r.send += self.send({"type": "response.create"}, t=t)

    def _on_error(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        error = event.get("error") or {}
        if error.get("code") in BENIGN_ERROR_CODES:
            r.notes.append({"type": "voicelab.ignored_error", "code": error.get("code")})
            return
        self.errors.append(error)
        if (
            self.active_response is not None
            and self.active_response.state is ResponseState.REQUESTED
            and error.get("code") == "conversation_already_has_active_response"
        ):
            self.active_response = None
        r.error = error

    # ------------------------------------------------------------------ views
    def transcript(self) -> list[tuple[str, str]]:
        """(role, words) of every message item in order, spoken or typed."""
        return [
            (item.role or "", item.content)
            for item in self.items.values()
            if item.type == "message" and item.content
        ]


def _deep_merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
