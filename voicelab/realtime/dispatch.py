"""What a :class:`~voicelab.realtime.session.RealtimeSession` does with each server event.

:class:`ServerEvents` feeds the event to the :class:`~voicelab.realtime.core.ClientCore` as a plain dict and
carries out the core's :class:`~voicelab.realtime.core.Reaction`: log it, queue the assistant's audio for the
player (unless its playback was cut or its response cancelled), send the client events the core asks for,
stop playback on barge-in, start the function calls, note turns and playback spans, hand the event to
callbacks and subscribers — and end the connection at once when the server refuses the set-up.

Examples
--------
>>> import asyncio
>>> from voicelab.realtime.core import ClientCore
>>> from voicelab.realtime.events import SessionEvents
>>> core = ClientCore()
>>> events = SessionEvents(clock=lambda: 0.0)
>>> conn = Connection(core, events, clock=lambda: 0.0)
>>> dispatch = ServerEvents(core, conn, events, run_call=None)
>>> core.connecting(t=0.0)
>>> asyncio.run(dispatch.handle({"type": "session.created", "event_id": "e1", "session": {}}))
>>> [(r["dir"], r["type"]) for r in events.log]  # the session.update is held: the socket is not open
[('server', 'session.created')]
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

from voicelab import audio as vaudio
from voicelab.errors import ServerEventError
from voicelab.realtime.audio_queue import RATE, AudioQueue, OutputAudio
from voicelab.realtime.connection import Connection, SetupRefused
from voicelab.realtime.core import ClientCore, FunctionCall
from voicelab.realtime.events import SessionEvents, turn_note

__all__ = ["ServerEvents"]


class ServerEvents:
    """Handles the server events of one session.

    Parameters
    ----------
    core, connection, events
        The session's protocol state, connection and event log.
    run_call : callable or None
        ``async run_call(call)`` runs one function call (started as a background task).

    Attributes
    ----------
    audio : AudioQueue
        Assistant audio waiting to be played.
    errors : list of ServerEventError
        Every non-benign ``error`` event, in order.
    """

    def __init__(
        self,
        core: ClientCore,
        connection: Connection,
        events: SessionEvents,
        *,
        run_call: Callable[[FunctionCall], Awaitable[None]] | None,
    ) -> None:
        self.core = core
        self.connection = connection
        self.events = events
        self._run_call = run_call
        self.audio = AudioQueue()
        self.errors: list[ServerEventError] = []
        self.item_audio: dict[str, bytearray] = {}
        self.muted: set[str | None] = set()  # cancelled responses: their late audio is not played

    async def handle(self, event: Any) -> None:
        """Feed one server event (an SDK model or a dict) to the core and carry out its reaction."""
        data = event.to_dict() if hasattr(event, "to_dict") else dict(event)
        t = self.events.clock()
        kind = data.get("type", "")
        reaction = self.core.receive(data, t=t)
        extra: dict[str, Any] = {}
        if kind in ("input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped"):
            at = self.core.vad_time(data)
            extra["at"] = round(at, 4) if at is not None else None
        elif kind == "response.output_audio.delta":
            pcm = base64.b64decode(data.get("delta") or "")
            item_id = data.get("item_id", "")
            self.item_audio.setdefault(item_id, bytearray()).extend(pcm)
            chunk = OutputAudio(pcm, RATE, item_id, data.get("response_id"))
            if not self.core.playback_stopped(item_id) and chunk.response_id not in self.muted:
                self.audio.put(chunk)
            extra["audio_ms"] = round(chunk.duration_ms, 3)
            if self.events.recorder is not None:
                extra["offset_ms"] = round(self.events.recorder.output(pcm), 3)
        elif kind == "error":
            self.connection.server_error((data.get("error") or {}).get("code"))
        self.events.record("server", data, t, **extra)
        if kind == "response.output_audio.done":
            self.note_playback(data.get("item_id", ""))
        if reaction.ready:
            self.connection.session_ready()
        for note in reaction.notes:
            self.events.note(note)
        if reaction.barge_in is not None:
            dropped = self.audio.clear()
            self.note_playback(reaction.barge_in.item_id)
            self.events.note(
                {
                    "type": "voicelab.stop_playback",
                    "item_id": reaction.barge_in.item_id,
                    "audio_end_ms": reaction.barge_in.audio_end_ms,
                    "queued_chunks_dropped": dropped,
                }
            )
        if reaction.send:
            await self.connection.send(reaction.send)
        if self._run_call is not None:
            for call in reaction.calls:
                self.events.spawn(self._run_call(call))
        if reaction.error is not None:
            self.errors.append(ServerEventError(data))
        if reaction.setup_failed:  # the server refused the config: raise its error now, never a time-out
            self.connection.give_up(self.errors[-1])
            raise SetupRefused
        if kind == "response.done":
            self._note_turn(data)
        self.events.dispatch(kind, event)
        self.events.wake()

    def note_playback(self, item_id: str) -> None:
        """Note when an item's audio played (a ``voicelab.response_audio`` record for the timeline)."""
        span = self.core.playback_span(item_id)
        if span is not None:
            self.events.note(
                {
                    "type": "voicelab.response_audio",
                    "item_id": item_id,
                    "start": round(span[0], 4),
                    "end": round(span[1], 4),
                }
            )

    def _note_turn(self, data: dict[str, Any]) -> None:
        rid = (data.get("response") or {}).get("id")
        turn = next((tu for tu in reversed(self.core.turns) if tu.response and tu.response.id == rid), None)
        if turn is None or turn.response is None:
            return
        for item_id in turn.response.item_ids:  # items whose output_audio.done never came (cancelled)
            if self.core.items.get(item_id) and self.core.items[item_id].audio_received_ms:
                self.note_playback(item_id)
        self.events.note(turn_note(turn, rid))

    def output_audio(self, item_id: str | None = None) -> vaudio.Audio | None:
        """The assistant audio received for one item (default: the last item with audio)."""
        if item_id is None:
            if not self.item_audio:
                return None
            item_id = list(self.item_audio)[-1]
        pcm = self.item_audio.get(item_id)
        if not pcm:
            return None
        return vaudio.Audio(vaudio.from_pcm16(bytes(pcm)), RATE)
