""":class:`ClientCore`: the sans-I/O protocol state of one Realtime client session, and its dispatcher.

It takes server events in (plain dicts, as they come off the wire) and hands client events out (plain dicts
to send), and says what the I/O layer must do next in a :class:`Reaction`. It owns the connection
:class:`~voicelab.realtime.core.reconnect.Phase` and the session config, and hands each event to the part
that knows it: the :class:`~voicelab.realtime.core.turns.Conversation` (items, responses, turns, usage), the
:class:`~voicelab.realtime.core.playback.Playback` (what was played, where to cut) and the
:class:`~voicelab.realtime.core.outbox.Outbox` (what waits while disconnected). It never touches a socket, a
clock or a thread: times are passed in as ``t`` (seconds, any monotonic origin).
:mod:`voicelab.realtime.session` moves the bytes.

Examples
--------
>>> core = ClientCore({"type": "realtime", "instructions": "Be brief."})
>>> core.connecting(t=0.0)
>>> core.receive({"type": "session.created", "event_id": "e1", "session": {}}, t=0.1).send[0]["type"]
'session.update'
>>> core.receive({"type": "session.updated", "event_id": "e2", "session": {"type": "realtime"}}, t=0.2).ready
True
>>> core.phase
<Phase.READY: 'ready'>
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from voicelab.errors import ParameterError
from voicelab.protocol.session import SERVER_VAD_DEFAULTS
from voicelab.realtime.core.outbox import Outbox
from voicelab.realtime.core.playback import Playback, audio_ms, is_audio_format
from voicelab.realtime.core.reconnect import Phase
from voicelab.realtime.core.turns import (
    BargeIn,
    Conversation,
    FunctionCall,
    Item,
    Response,
    ResponseState,
    Turn,
)
from voicelab.realtime.core.usage import UsageTotals

__all__ = ["BENIGN_ERROR_CODES", "ClientCore", "Reaction"]

#: Error codes that are expected races, not failures (the server already did what we asked).
BENIGN_ERROR_CODES = frozenset({"response_cancel_not_active"})

_TRANSCRIPTION = "conversation.item.input_audio_transcription."
_Handler = Callable[[dict[str, Any], float, "Reaction"], None]


@dataclass
class Reaction:
    """What the I/O layer should do after a server event.

    Attributes
    ----------
    send : list of dict
        Client events to send now, in order.
    calls : list of FunctionCall
        Function calls to run (their results go back through :meth:`ClientCore.function_result`).
    barge_in : BargeIn or None
        Set when playback must stop now.
    notes : list of dict
        Client-side events (``type`` starting with ``voicelab.``) for the event log.
    ready : bool
        The session just became ready (first time, or again after a reconnect).
    error : dict or None
        The server's ``error`` object, unless the error is a benign race.
    setup_failed : bool
        The server refused the set-up ``session.update`` (``error`` says why): the session cannot become
        ready with this config, so the I/O layer must stop and raise the error now rather than wait.
    """

    send: list[dict[str, Any]] = field(default_factory=list)
    calls: list[FunctionCall] = field(default_factory=list)
    barge_in: BargeIn | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)
    ready: bool = False
    error: dict[str, Any] | None = None
    setup_failed: bool = False


class ClientCore:
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
    >>> core = ClientCore({"type": "realtime"})
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
        self.outbox = Outbox(on_disconnect=on_disconnect, max_pending_ms=max_pending_ms)
        self.config: dict[str, Any] = copy.deepcopy(config) if config else {"type": "realtime"}
        self.phase = Phase.IDLE
        self.session: dict[str, Any] = {}  # effective config from the last session.updated
        self.conversation = Conversation(UsageTotals())
        self.playback = Playback()
        self.errors: list[dict[str, Any]] = []
        self.connections = 0
        self.reconnects = 0
        self._output_format = "audio/pcm"
        conv = self.conversation

        # events that only update the conversation record: (event, t=…)
        self._updates: dict[str, Callable[..., None]] = {
            "input_audio_buffer.committed": conv.committed,
            "conversation.item.added": conv.item_added,
            "conversation.item.created": conv.item_added,  # beta name, for older servers
            "conversation.item.done": conv.item_updated,
            "conversation.item.retrieved": conv.item_updated,
            "conversation.item.deleted": conv.item_deleted,
            "conversation.item.truncated": conv.item_truncated,
            _TRANSCRIPTION + "delta": conv.input_transcription_delta,
            _TRANSCRIPTION + "completed": conv.input_transcription_completed,
            "response.created": conv.response_created,
            "response.output_item.added": conv.output_item_added,
            "response.output_item.done": conv.output_item_done,
            "response.output_audio_transcript.delta": conv.audio_transcript_delta,
            "response.output_audio_transcript.done": conv.audio_transcript_done,
            "response.output_text.delta": conv.text_delta,
            "response.output_text.done": conv.text_done,
            "response.function_call_arguments.delta": conv.arguments_delta,
            "response.function_call_arguments.done": conv.arguments_done,
        }
        # events the core reacts to: (event, t, reaction)
        self._handlers: dict[str, _Handler] = {
            "session.created": self._on_session_created,
            "session.updated": self._on_session_updated,
            "input_audio_buffer.speech_started": self._on_speech_started,
            "input_audio_buffer.speech_stopped": self._on_speech_stopped,
            "response.output_audio.delta": self._on_output_audio_delta,
            "response.done": self._on_response_done,
            "error": self._on_error,
        }

    # ------------------------------------------------------------------ views of the parts
    @property
    def items(self) -> dict[str, Item]:
        return self.conversation.items

    @property
    def responses(self) -> dict[str, Response]:
        return self.conversation.responses

    @property
    def active_response(self) -> Response | None:
        return self.conversation.active_response

    @property
    def turns(self) -> list[Turn]:
        return self.conversation.turns

    @property
    def usage(self) -> UsageTotals:
        return self.conversation.usage

    @property
    def on_disconnect(self) -> str:
        return self.outbox.on_disconnect

    @property
    def audio_sent_ms(self) -> float:
        """Input audio appended and handed to the socket."""
        return self.outbox.audio_sent_ms

    @property
    def audio_replayed_ms(self) -> float:
        """Input audio held while disconnected and sent after the reconnect."""
        return self.outbox.audio_replayed_ms

    @property
    def audio_dropped_ms(self) -> float:
        """Input audio held while disconnected and then given up (or dropped on purpose)."""
        return self.outbox.audio_dropped_ms

    @property
    def pending_audio_ms(self) -> float:
        """Audio held back while not connected, waiting to be replayed."""
        return self.outbox.pending_audio_ms

    @property
    def tool_round_open(self) -> bool:
        """Function calls await results, or the follow-up response is still to be requested."""
        return self.conversation.tool_round_open

    @property
    def is_ready(self) -> bool:
        return self.phase is Phase.READY

    def transcript(self) -> list[tuple[str, str]]:
        """(role, words) of every message item in order, spoken or typed."""
        return self.conversation.transcript()

    def input_time(self, audio_ms_: float) -> float | None:
        """Session time at which input audio position ``audio_ms_`` (session-wide clock) was sent."""
        return self.outbox.input_time(audio_ms_)

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
        lost = self.conversation.response_lost(t=t)
        if lost is not None:
            notes.append({"type": "voicelab.response_lost", "response_id": lost.id})
        self.outbox.rebase()
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
        lost = self.outbox.drop_all(reason="closed")
        if lost:
            notes.append(lost)
        self.conversation.response_lost()
        self.phase = Phase.CLOSED
        notes.append({"type": "voicelab.closed", "intentional": intentional, "reason": reason})
        return notes

    # ------------------------------------------------------------------ sending
    def _require_open(self) -> None:
        if self.phase is Phase.CLOSED:
            raise ParameterError(
                "session", expected="an open session", got="a closed one", fix="open a new RealtimeSession"
            )

    def send(self, event: dict[str, Any], *, t: float) -> list[dict[str, Any]]:
        """Route one client event: returned for sending now, or held until the session is ready again."""
        self._require_open()
        self.conversation.client_event(event, t=t)
        if self.phase is not Phase.READY and event.get("type") != "session.update":
            self.outbox.hold(event)
            return []
        return [event]

    def append_audio(self, pcm16: bytes, *, t: float) -> list[dict[str, Any]]:
        """An ``input_audio_buffer.append`` for 24 kHz PCM16 bytes (held while disconnected)."""
        if len(pcm16) % 2:
            raise ParameterError(
                "pcm16", expected="an even number of bytes (16-bit samples)", got=f"{len(pcm16)} bytes"
            )
        ms = audio_ms(len(pcm16))
        event: dict[str, Any] = {
            "type": "input_audio_buffer.append",
            "audio": base64.b64encode(pcm16).decode("ascii"),
        }
        if self.phase is Phase.READY:
            self.outbox.sent_audio(ms, t=t)
            return [event]
        self._require_open()
        if self.on_disconnect == "drop" and self.phase is Phase.RECONNECTING:
            self.outbox.drop_audio(ms)
        else:
            self.outbox.hold_audio(event, ms=ms, t=t)
        return []

    def hold(self, event: dict[str, Any], *, t: float) -> None:
        """An event the socket refused (it died under us): keep it for replay, and un-count its audio."""
        if self.phase is not Phase.CLOSED:
            self.outbox.unsend(event, t=t)

    def update_config(self, session: dict[str, Any]) -> dict[str, Any]:
        """Merge ``session`` into the config re-applied on reconnect; returns the ``session.update`` event."""
        _deep_merge(self.config, session)
        return {"type": "session.update", "session": copy.deepcopy(session)}

    # ------------------------------------------------------------------ playback, truncation, barge-in
    def played_ms(self, item_id: str, *, t: float) -> float:
        """How much of an assistant item's audio has played by ``t`` (reported by a player, else real
        time)."""
        return self.playback.played_ms(self.items.get(item_id), t=t, item_id=item_id)

    def playback_stopped(self, item_id: str) -> bool:
        """Playback of this item was cut (barge-in): its late audio deltas must not be played."""
        return self.playback.stopped(item_id)

    def playback_span(self, item_id: str) -> tuple[float, float] | None:
        """(start, end) session times of an item's playback (end cut short by a truncation)."""
        item = self.items.get(item_id)
        return None if item is None else self.playback.span(item)

    def report_played(self, item_id: str, played_ms: float) -> None:
        """A player says exactly how much of ``item_id`` it has played."""
        self.playback.report(item_id, played_ms)

    def playing_item(self, *, t: float) -> Item | None:
        """The assistant item whose audio is still playing at ``t``, if any."""
        return self.playback.playing(self.items.values(), t=t)

    def truncate(self, item_id: str, played_ms: float, *, t: float) -> dict[str, Any]:
        """A ``conversation.item.truncate`` at ``played_ms``, clamped to the audio actually received."""
        item = self.items.get(item_id)
        if item is None:
            raise ParameterError("item_id", expected="an item of this conversation", got=repr(item_id))
        end_ms = self.playback.cut(item, played_ms, t=t)
        return {
            "type": "conversation.item.truncate",
            "item_id": item_id,
            "content_index": 0,
            "audio_end_ms": end_ms,
        }

    def _last_unstopped(self, item_ids: list[str], *, assistant: bool) -> Item | None:
        for item_id in reversed(item_ids):
            item = self.items.get(item_id)
            if (
                item is not None
                and (not assistant or item.role == "assistant")
                and item.audio_received_ms > 0
                and not self.playback_stopped(item_id)
            ):
                return item
        return None

    def barge_in(
        self, *, t: float, played_ms: float | None = None
    ) -> tuple[list[dict[str, Any]], BargeIn | None]:
        """The user started speaking: cancel the active response and truncate what was not heard.

        Returns the client events to send and a :class:`BargeIn` (``None`` when nothing was playing).
        """
        item = self.playing_item(t=t)
        send: list[dict[str, Any]] = []
        cancelled = None
        active = self.active_response
        if active is not None and active.state is ResponseState.IN_PROGRESS:
            cancelled = active.id
            send.append({"type": "response.cancel"})
            if item is None:  # an underrun: all audio received so far has played, but it is still speaking
                item = self._last_unstopped(active.item_ids, assistant=False)
        if item is None and played_ms is not None:  # told exactly where playback stopped: cut the last item
            item = self._last_unstopped(list(self.items), assistant=True)
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
        if self.conversation.call_answered(call) and self.active_response is None:
            events.append({"type": "response.create"})
        out: list[dict[str, Any]] = []
        for ev in events:
            out += self.send(ev, t=t)
        return out

    # ------------------------------------------------------------------ receiving
    def receive(self, event: dict[str, Any], *, t: float) -> Reaction:
        """Update the state from one server event and say what to do next."""
        reaction = Reaction()
        kind = event.get("type", "")
        update = self._updates.get(kind)
        if update is not None:
            update(event, t=t)
        else:
            handler = self._handlers.get(kind)
            if handler is not None:
                handler(event, t, reaction)
        return reaction

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
        if isinstance(fmt, str) and is_audio_format(fmt):
            self._output_format = fmt
        if self.phase in (Phase.CONFIGURING, Phase.CONNECTING):
            self.phase = Phase.READY
            r.ready = True
            released, note = self.outbox.release(t=t, replay=self.connections > 1)
            r.send += released
            if note:
                r.notes.append(note)
            lost = self.outbox.outage_note()
            if lost:
                r.notes.append(lost)

    def vad_time(self, event: dict[str, Any]) -> float | None:
        """Session time at which the audio a ``speech_started``/``speech_stopped`` event points at was sent.

        ``audio_start_ms`` reaches back by the prefix padding (300 ms by default) into audio that may have
        been sent long before (the silence of the previous turn): the speech itself starts that much later.
        """
        if event.get("type") == "input_audio_buffer.speech_started":
            position = self.outbox.server_ms(event.get("audio_start_ms"))
            detection = ((self.session.get("audio") or {}).get("input") or {}).get("turn_detection") or {}
            vad_type = detection.get("type")
            default_pad = SERVER_VAD_DEFAULTS["prefix_padding_ms"] if vad_type == "server_vad" else 0
            pad = detection.get("prefix_padding_ms", default_pad)
            position = None if position is None else position + float(pad or 0)
        else:
            position = self.outbox.server_ms(event.get("audio_end_ms"))
        return None if position is None else self.input_time(min(position, self.audio_sent_ms))

    def _on_speech_started(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        self.conversation.speech_started(event, t=t, speech_t=self.vad_time(event))
        r.send, r.barge_in = self.barge_in(t=t)
        barge = r.barge_in
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

    def _on_speech_stopped(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        self.conversation.speech_stopped(event, t=t, stopped_t=self.vad_time(event))

    def _on_output_audio_delta(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        n_bytes = len(base64.b64decode(event.get("delta") or ""))
        item = self.conversation.audio_received(event, audio_ms(n_bytes, format=self._output_format), t=t)
        self.playback.received(item, t=t)

    def _on_response_done(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        r.calls = self.conversation.response_done(event, t=t)
        if not r.calls and self.conversation.follow_up_wanted and not self.conversation.pending_calls:
            # a follow-up was held back while this response ran
            r.send += self.send({"type": "response.create"}, t=t)

    def _on_error(self, event: dict[str, Any], t: float, r: Reaction) -> None:
        error = event.get("error") or {}
        if error.get("code") in BENIGN_ERROR_CODES:
            r.notes.append({"type": "voicelab.ignored_error", "code": error.get("code")})
            return
        self.errors.append(error)
        active = self.active_response
        if (
            active is not None
            and active.state is ResponseState.REQUESTED
            and error.get("code") == "conversation_already_has_active_response"
        ):
            self.conversation.active_response = None
        r.error = error
        # while configuring, the set-up session.update is the only client event on the wire (everything
        # else is held until session.updated): an error now answers it
        r.setup_failed = self.phase is Phase.CONFIGURING


def _deep_merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
