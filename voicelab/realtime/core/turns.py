"""What a client knows of the conversation: items, responses and turns, built from server events.

The records (:class:`Item`, :class:`Response`, :class:`Turn`, :class:`FunctionCall`, :class:`BargeIn`) and
:class:`Conversation`, which builds them: it takes the conversation and response events (plain dicts, as they
come off the wire) and the client events that open a turn, and keeps items with their transcripts, responses
with the moments that matter for latency, turns pairing a user's input with its response, the function calls
awaiting results, and the usage totals. No I/O, no clock: times are passed in as ``t``.

Examples
--------
>>> conv = Conversation()
>>> conv.client_event({"type": "response.create"}, t=1.0)
>>> conv.response_created({"type": "response.created", "response": {"id": "resp_1"}}, t=1.2)
>>> conv.text_delta({"type": "response.output_text.delta", "response_id": "resp_1", "item_id": "it_1",
...                  "delta": "Hi"}, t=1.3)
>>> _ = conv.response_done({"type": "response.done", "response": {"id": "resp_1", "status": "completed"}},
...                        t=1.5)
>>> conv.turns
[Turn(0, text, completed, first audio -, total 0.50 s)]
>>> conv.transcript()
[('assistant', 'Hi')]
"""

from __future__ import annotations

import enum
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from voicelab.errors import ParameterError
from voicelab.realtime.core.usage import UsageTotals

__all__ = [
    "BargeIn",
    "Conversation",
    "FunctionCall",
    "Item",
    "Response",
    "ResponseState",
    "Turn",
]


class ResponseState(enum.Enum):
    """Lifecycle of one model response."""

    REQUESTED = "requested"  # response.create sent, no response.created yet
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    INCOMPLETE = "incomplete"
    FAILED = "failed"
    LOST = "lost"  # the connection dropped before response.done


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
    stop_heard_t: float | None = None
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
    def answer_time(self) -> float | None:
        """Seconds from the arrival of the ``speech_stopped`` event to the first audio delta.

        The server's answer time as the client sees it. :attr:`time_to_first_audio` counts from
        ``audio_end_ms`` instead (the VAD's decision, on the clock of the audio sent), so it also holds the
        audio's way to the server. ``None`` for turns that did not end by server VAD.

        Examples
        --------
        >>> turn = Turn(0, start_t=1.2, stop_heard_t=1.75)
        >>> turn.answer_time is None  # no response yet
        True
        """
        if self.stop_heard_t is None or self.response is None or self.response.first_audio_t is None:
            return None
        return self.response.first_audio_t - self.stop_heard_t

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


class Conversation:
    """Items, responses and turns of one client session, built from server events.

    Parameters
    ----------
    usage : UsageTotals, optional
        Where the usage of each ``response.done`` and input transcription is added (a new one by default).

    Notes
    -----
    A turn opens when the user's input ends: server VAD's ``speech_started``/``speech_stopped`` (a voice turn
    answered by the server), a ``response.create`` the client sends (a text, voice or tool turn, by what was
    sent before it), or a response nobody here asked for (a server turn). It closes with ``response.done``.
    """

    def __init__(self, usage: UsageTotals | None = None) -> None:
        self.usage = usage if usage is not None else UsageTotals()
        self.items: dict[str, Item] = {}
        self.responses: dict[str, Response] = {}
        self.active_response: Response | None = None
        self.turns: list[Turn] = []
        self.pending_calls: dict[str, list[str]] = {}  # response id -> call ids awaiting results
        self.follow_up_wanted = False
        self._next_turn_kind = "text"
        self._open_turn: Turn | None = None  # user speech not yet answered
        self._awaiting: deque[Turn] = deque()  # turns whose response.create is on its way

    # ------------------------------------------------------------------ what the client sends
    def client_event(self, event: dict[str, Any], *, t: float) -> None:
        """Note a client event: what kind the next turn is, and a turn per ``response.create``."""
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
            self.follow_up_wanted = False
            self.turns.append(turn)
            self._awaiting.append(turn)
            if self.active_response is None:
                self.active_response = Response(None, ResponseState.REQUESTED, requested_t=t)

    def call_answered(self, call: FunctionCall) -> bool:
        """Note the result of ``call``; True when every call of its response has one (time to follow up)."""
        waiting = self.pending_calls.get(call.response_id or "", [])
        if call.call_id in waiting:
            waiting.remove(call.call_id)
        if waiting:
            return False
        self.pending_calls.pop(call.response_id or "", None)
        self.follow_up_wanted = True
        return True

    @property
    def tool_round_open(self) -> bool:
        """Function calls await results, or a follow-up response is still to be requested."""
        return bool(self.pending_calls) or self.follow_up_wanted

    # ------------------------------------------------------------------ the user's speech (server VAD)
    def speech_started(self, event: dict[str, Any], *, t: float, speech_t: float | None) -> None:
        """The server heard speech begin (``speech_t``: when that audio was sent, if known)."""
        self._open_turn = Turn(
            len(self.turns),
            start_t=t,
            user_item_id=event.get("item_id"),
            speech_started_t=speech_t if speech_t is not None else t,
            kind="voice",
        )

    def speech_stopped(self, event: dict[str, Any], *, t: float, stopped_t: float | None) -> None:
        """The server heard speech end: the turn's latencies count from there."""
        turn = self._open_turn or Turn(len(self.turns), start_t=t, kind="voice")
        turn.speech_stopped_t = stopped_t if stopped_t is not None else t
        turn.stop_heard_t = t
        turn.start_t = turn.speech_stopped_t
        turn.user_item_id = turn.user_item_id or event.get("item_id")
        self._open_turn = turn

    def committed(self, event: dict[str, Any], *, t: float) -> None:
        turn = self._open_turn
        if turn is None:  # manual commit without server VAD
            turn = Turn(len(self.turns), start_t=t, kind="voice")
            self._open_turn = turn
        turn.user_item_id = event.get("item_id") or turn.user_item_id

    # ------------------------------------------------------------------ items
    def item_from(self, data: dict[str, Any], response_id: str | None = None) -> Item:
        """Create or update the :class:`Item` of a GA item object."""
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

    def item_added(self, event: dict[str, Any], *, t: float) -> None:
        item = self.item_from(event.get("item") or {})
        turn = self._open_turn
        if item.role == "user" and turn is not None and turn.user_item_id in (None, item.id):
            turn.user_item_id = item.id

    def item_updated(self, event: dict[str, Any], *, t: float) -> None:
        """``conversation.item.done`` / ``.retrieved``: the item as the server has it now."""
        self.item_from(event.get("item") or {})

    def item_deleted(self, event: dict[str, Any], *, t: float) -> None:
        self.items.pop(event.get("item_id", ""), None)

    def item_truncated(self, event: dict[str, Any], *, t: float) -> None:
        item = self.items.get(event.get("item_id", ""))
        if item is not None:
            item.truncated_ms = int(event.get("audio_end_ms", 0))

    def _user_item(self, event: dict[str, Any]) -> Item:
        item_id = event.get("item_id", "")
        return self.items.setdefault(item_id, Item(id=item_id, type="message", role="user"))

    def input_transcription_delta(self, event: dict[str, Any], *, t: float) -> None:
        item = self._user_item(event)
        if not item.transcript_done:
            item.transcript += event.get("delta") or ""

    def input_transcription_completed(self, event: dict[str, Any], *, t: float) -> None:
        item = self._user_item(event)
        item.transcript = event.get("transcript") or ""
        item.transcript_done = True
        if event.get("usage"):
            self.usage.add_transcription(event["usage"])

    # ------------------------------------------------------------------ responses
    def response(self, response_id: str | None) -> Response | None:
        """The response of that id (the active one for ``None``)."""
        if response_id is None:
            return self.active_response
        return self.responses.get(response_id)

    def response_created(self, event: dict[str, Any], *, t: float) -> None:
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

    def output_item_added(self, event: dict[str, Any], *, t: float) -> None:
        resp = self.response(event.get("response_id"))
        item = self.item_from(event.get("item") or {}, event.get("response_id"))
        if resp is not None and item.id not in resp.item_ids:
            resp.item_ids.append(item.id)

    def output_item_done(self, event: dict[str, Any], *, t: float) -> None:
        self.item_from(event.get("item") or {}, event.get("response_id"))

    def assistant_item(self, event: dict[str, Any]) -> Item:
        """The assistant item an output event points at (made if the server skipped its ``…added``)."""
        item_id = event.get("item_id", "")
        item = self.items.get(item_id)
        if item is None:
            item = Item(id=item_id, type="message", role="assistant", response_id=event.get("response_id"))
            self.items[item_id] = item
        return item

    def audio_received(self, event: dict[str, Any], ms: float, *, t: float) -> Item:
        """``ms`` of output audio arrived for the item of ``event`` (a ``response.output_audio.delta``)."""
        item = self.assistant_item(event)
        item.audio_received_ms += ms
        resp = self.response(event.get("response_id"))
        if resp is not None:
            resp.audio_ms += ms
            if resp.first_audio_t is None:
                resp.first_audio_t = t
        return item

    def audio_transcript_delta(self, event: dict[str, Any], *, t: float) -> None:
        item = self.assistant_item(event)
        if not item.transcript_done:
            item.transcript += event.get("delta") or ""

    def audio_transcript_done(self, event: dict[str, Any], *, t: float) -> None:
        item = self.assistant_item(event)
        item.transcript = event.get("transcript", item.transcript) or ""
        item.transcript_done = True

    def text_delta(self, event: dict[str, Any], *, t: float) -> None:
        item = self.assistant_item(event)
        item.text += event.get("delta") or ""
        resp = self.response(event.get("response_id"))
        if resp is not None and resp.first_text_t is None:
            resp.first_text_t = t

    def text_done(self, event: dict[str, Any], *, t: float) -> None:
        item = self.assistant_item(event)
        item.text = event.get("text", item.text) or ""

    def _call_item(self, event: dict[str, Any]) -> Item:
        item_id = event.get("item_id", "")
        return self.items.setdefault(item_id, Item(id=item_id, type="function_call"))

    def arguments_delta(self, event: dict[str, Any], *, t: float) -> None:
        self._call_item(event).arguments += event.get("delta") or ""

    def arguments_done(self, event: dict[str, Any], *, t: float) -> None:
        item = self._call_item(event)
        item.arguments = event.get("arguments", item.arguments) or ""
        item.call_id = event.get("call_id") or item.call_id
        item.name = event.get("name") or item.name

    def response_done(self, event: dict[str, Any], *, t: float) -> list[FunctionCall]:
        """Close the response (state, usage, output items); returns the function calls to run."""
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
            item = self.item_from(out, rid)
            if item.id not in resp.item_ids:
                resp.item_ids.append(item.id)
            if item.type == "function_call" and resp.state is ResponseState.COMPLETED and item.call_id:
                calls.append(FunctionCall(item.call_id, item.name or "", item.arguments, item.id, rid))
        if self.active_response is resp:
            self.active_response = None
        if calls:
            self.pending_calls[rid or ""] = [c.call_id for c in calls]
        return calls

    def response_lost(self, *, t: float | None = None) -> Response | None:
        """The connection dropped under the active response: mark it lost; returns it."""
        resp = self.active_response
        if resp is None:
            return None
        resp.state = ResponseState.LOST
        if t is not None:
            resp.done_t = t
        self.active_response = None
        return resp

    # ------------------------------------------------------------------ views
    def transcript(self) -> list[tuple[str, str]]:
        """(role, words) of every message item in order, spoken or typed."""
        return [
            (item.role or "", item.content)
            for item in self.items.values()
            if item.type == "message" and item.content
        ]
