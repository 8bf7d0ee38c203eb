"""The sans-I/O state machine of one Realtime connection: :class:`ServerCore`, the thin dispatcher.

``ServerCore`` owns the session config, the ids and the connection's lifecycle, and routes each client event
to the part of the core that owns that concept: the :mod:`input buffer <.input_buffer>` (append, commit,
clear, turn detection), the :mod:`conversation <.conversation>` (items), the :mod:`responses <.responses>`
(create, cancel, the reply's items, audio, usage) and the :mod:`input transcription <.transcription>`. It is
driven by client events (plain dicts, :meth:`ServerCore.handle`) and by the results of work it asked for
(``reply_ready``, ``audio_ready``, ``synthesis_finished``, ``transcription_ready``, …). Every call returns a
list of outputs in wire order: server events (dicts, strictly valid against ``openai.types.realtime``) and
:mod:`effects <voicelab.emulator.realtime.effects>` for the I/O layer. Audio time is the audio appended,
never the wall clock; no sockets, no threads, no sleeps — which is what makes it fuzzable.

Examples
--------
>>> core = ServerCore(model="gpt-realtime", now=0, seed=1, vad_factory=None)
>>> [e["type"] for e in core.start()]
['session.created']
>>> out = core.handle({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
...                    "content": [{"type": "input_text", "text": "Hi"}]}})
>>> [e["type"] for e in out]
['conversation.item.added', 'conversation.item.done']
>>> out = core.handle({"type": "response.create", "response": {"output_modalities": ["text"]}})
>>> [type(e).__name__ if not isinstance(e, dict) else e["type"] for e in out]
['response.created', 'GenerateReply']
>>> rid = out[0]["response"]["id"]
>>> [e["type"] for e in core.reply_ready(rid, "Hello there.", [])][-3:]
['response.output_item.done', 'response.done', 'rate_limits.updated']
"""

from __future__ import annotations

import copy
import enum
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from voicelab.emulator.custom_voices import check_realtime_voices
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.events import error_event, server_event
from voicelab.protocol.limits import MAX_EVENT_BYTES, check_depth, event_too_large, too_deep
from voicelab.protocol.models import check_reasoning_params
from voicelab.protocol.session import (
    SESSION_MAX_SECONDS,
    SESSION_MAX_SECONDS_MESSAGE,
    apply_update,
    default_session,
    session_request,
    validate_session,
)
from voicelab.protocol.validate import validate_client_event

from ..effects import Close, Effect
from ..ids import IdFactory
from .conversation import ServerConversation
from .input_buffer import InputAudioBuffer, TurnDetector
from .items import SR, ServerItem
from .live_transcription import LiveTranscription, TranscriberFactory
from .mcp import ServerMcp, check_mcp_choice, check_mcp_tools
from .responses import ServerResponses
from .transcription import InputTranscription, TranscriptionDetails

__all__ = ["ConnectionState", "Output", "ServerCore"]

Output = dict[str, Any] | Effect


class ConnectionState(enum.Enum):
    """Lifecycle of the connection."""

    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


class ServerCore:
    """Per-connection Realtime protocol state (the server side; the client's is ``voicelab.realtime``'s).

    Parameters
    ----------
    model : str, optional
        The ``model`` query parameter (``None`` with ``intent="transcription"``).
    intent : {"conversation", "transcription"}
        A transcription session has no responses.
    now : float
        Unix time at connection (for ``expires_at``); the core never reads a clock itself.
    seed : int, optional
        Makes ids reproducible.
    vad_factory : callable, optional
        ``vad_factory(turn_detection_dict) -> TurnDetector``; ``None`` disables VAD entirely (manual turns
        only).
    session : dict, optional
        A session config to apply at start (from an ephemeral key): an effective session as
        ``POST /v1/realtime/client_secrets`` stores it, or a ``session.update``-style body. Raises
        :class:`ProtocolError` (type ``server_error``) if it is invalid — it never silently falls back to the
        defaults.
    audio_chunk_ms : int
        Duration of each ``response.output_audio.delta``.
    transcriber_factory : callable, optional
        ``factory(language, prompt)`` → a streaming transcriber, to recognise speech while it is appended
        (:mod:`.live_transcription`); ``None`` transcribes each item after it is committed.
    voices : VoiceStore, optional
        The emulator's custom voices (:class:`~voicelab.emulator.custom_voices.VoiceStore`): a voice
        ``{"id": …}`` speaks with its rendering; ``None`` knows no custom voice (each is refused).

    Attributes
    ----------
    input_buffer : InputAudioBuffer
        The input audio buffer, its clock and turn detector.
    conversation : ServerConversation
        The conversation's items.
    responses : ServerResponses
        The responses, their usage meter and rate limiter.
    transcription : InputTranscription
        Input transcription results as events.
    live : LiveTranscription
        The streaming transcriber of the turn in progress.
    """

    def __init__(
        self,
        *,
        model: str | None = "gpt-realtime",
        intent: str = "conversation",
        now: float = 0.0,
        seed: int | None = None,
        vad_factory: Callable[[dict[str, Any]], TurnDetector] | None = None,
        session: dict[str, Any] | None = None,
        audio_chunk_ms: int = 100,
        session_seconds: int = SESSION_MAX_SECONDS,
        transcriber_factory: TranscriberFactory | None = None,
        voices: Any = None,
    ) -> None:
        self.ids = IdFactory(seed)
        self.voices = voices
        self.max_event_bytes = MAX_EVENT_BYTES  # the I/O layer may set its configured limit
        self.kind = "transcription" if intent == "transcription" else "realtime"
        self.session = default_session(
            self.kind, session_id=self.ids.new("sess"), model=model, expires_at=int(now) + session_seconds
        )
        if session:
            # The key's session was validated when it was minted (same normaliser, session.py), so a failure
            # here is a bug upstream: raise, never open a session that silently ignores the key's config.
            try:
                initial = validate_session(session_request({"type": self.kind, **session}))
                self.session = apply_update(self.session, initial, voice_locked=False)
            except ProtocolError as exc:
                raise ProtocolError(
                    exc.code,
                    f"The ephemeral key's session config is invalid ({exc.message}); it should have been "
                    "refused when the key was minted.",
                    exc.param,
                    type="server_error",
                ) from exc
        self.state = ConnectionState.NEW
        self.conversation = ServerConversation(self)
        self.voice_locked = False  # the voice cannot change once the model has spoken
        self.audio_chunk_ms = audio_chunk_ms
        self.responses = ServerResponses(self)
        self.input_buffer = InputAudioBuffer(self, vad_factory)
        self.transcription = InputTranscription(self)
        self.live = LiveTranscription(self, transcriber_factory)
        self.mcp = ServerMcp(self)
        self.input_buffer.make_vad()
        self._routes: dict[str, Callable[[dict[str, Any]], list[Output]]] = {
            "session.update": self._on_session_update,
            "input_audio_buffer.append": self.input_buffer.on_append,
            "input_audio_buffer.commit": self.input_buffer.on_commit,
            "input_audio_buffer.clear": self.input_buffer.on_clear,
            "output_audio_buffer.clear": self._on_output_audio_buffer_clear,
            "conversation.item.create": self.conversation.on_create,
            "conversation.item.retrieve": self.conversation.on_retrieve,
            "conversation.item.delete": self.conversation.on_delete,
            "conversation.item.truncate": self.conversation.on_truncate,
            "response.create": self.responses.on_create,
            "response.cancel": self.responses.on_cancel,
        }

    # ------------------------------------------------------------------ state seen by the parts and tests
    def event(self, type: str, **fields: Any) -> dict[str, Any]:
        """A server event with a fresh ``event_id``."""
        return server_event(type, self.ids.new("event"), **fields)

    def error(
        self,
        code: str | None,
        message: str,
        param: str | None = None,
        *,
        client_event_id: str | None = None,
        type: str = "invalid_request_error",
    ) -> dict[str, Any]:
        """A server ``error`` event."""
        error = ProtocolError(code, message, param, type=type)
        return error_event(self.ids.new("event"), error, client_event_id=client_event_id)

    @property
    def conversation_id(self) -> str:
        return self.conversation.id

    @property
    def items(self) -> list[ServerItem]:
        """The conversation's items, in order."""
        return self.conversation.items

    @property
    def default_response(self) -> str | None:
        """The id of the active response writing to the conversation, if any."""
        return self.responses.default

    @property
    def audio_ms(self) -> int:
        """The audio clock: ms of input audio appended so far."""
        return self.input_buffer.samples_total * 1000 // SR

    @property
    def input_format(self) -> dict[str, Any]:
        return self.session["audio"]["input"]["format"]

    @property
    def turn_detection(self) -> dict[str, Any] | None:
        return self.session["audio"]["input"]["turn_detection"]

    def public_item(self, item: ServerItem, *, with_audio: bool = False) -> dict[str, Any]:
        """The item as sent in events (audio bytes only in ``conversation.item.retrieved``)."""
        return self.conversation.public_item(item, with_audio=with_audio)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> list[Output]:
        """The first events of the connection: ``session.created``."""
        self.state = ConnectionState.OPEN
        created = self.event("session.created", session=copy.deepcopy(self.session))
        return [created, *self.mcp.configure(self.session.get("tools"))]  # an ephemeral key's MCP servers

    def expire(self, message: str = SESSION_MAX_SECONDS_MESSAGE) -> list[Output]:
        """The session expired (time limit or ephemeral key): OpenAI's error, then close."""
        self.state = ConnectionState.CLOSED
        return [self.error("session_expired", message), Close(1000, "session_expired")]

    # ------------------------------------------------------------------ client events
    def handle_text(self, text: str | bytes) -> list[Output]:
        """Handle one WebSocket message (JSON text): over ``max_event_bytes`` or nested too deep is an error
        before anything else happens."""
        if len(text) > self.max_event_bytes:
            return [self._protocol_error(event_too_large(len(text), self.max_event_bytes))]
        try:
            event = json.loads(text)  # nesting is checked first thing in handle()
        except RecursionError:  # deeper than the parser goes
            return [self._protocol_error(too_deep())]
        except (ValueError, UnicodeDecodeError) as exc:
            return [
                self.error("invalid_event", f"The server could not parse the client event as JSON: {exc}.")
            ]
        return self.handle(event)

    def binary_frame(self) -> list[Output]:
        """A binary WebSocket frame arrived: the API speaks JSON text only."""
        return [
            self.error(
                "invalid_event",
                "Binary frames are not supported; send JSON text events (audio as "
                "base64 in input_audio_buffer.append).",
            )
        ]

    def handle(self, event: Any) -> list[Output]:
        """Handle one client event (a parsed JSON value); errors become ``error`` events (nesting deeper than
        :data:`~voicelab.protocol.limits.MAX_JSON_DEPTH` first of all)."""
        if self.state is ConnectionState.CLOSED:
            return []
        client_event_id = event.get("event_id") if isinstance(event, dict) else None
        if not isinstance(client_event_id, str):
            client_event_id = None
        if not isinstance(event, dict):
            return [
                self.error(
                    "invalid_event",
                    "The client event must be a JSON object with a 'type' field.",
                    client_event_id=None,
                )
            ]
        try:
            check_depth(event)  # before anything walks it recursively (validation, copies, the responder)
            checked = validate_client_event(event)
            check_realtime_voices(self.voices, checked)  # an unknown custom voice is refused, never alloy
            handler = self._routes[checked["type"]]
            return handler(checked)
        except ProtocolError as exc:
            return [self._protocol_error(exc, client_event_id)]

    def _protocol_error(self, exc: ProtocolError, client_event_id: str | None = None) -> Output:
        return self.error(exc.code, exc.message, exc.param, client_event_id=client_event_id, type=exc.type)

    def _on_session_update(self, event: dict[str, Any]) -> list[Output]:
        before = self.turn_detection
        check_mcp_tools(event["session"].get("tools"), "session.tools")
        updated = apply_update(self.session, event["session"], voice_locked=self.voice_locked)
        check_reasoning_params(updated, str(updated.get("model")), "session")
        check_mcp_choice(updated.get("tool_choice"), updated.get("tools"), "session.tool_choice")
        self.session = updated
        if self.turn_detection != before:
            self.input_buffer.make_vad()
        return [
            self.event("session.updated", session=copy.deepcopy(self.session)),
            *self.mcp.configure(self.session.get("tools"), retry_failed=True),
        ]

    def _on_output_audio_buffer_clear(self, event: dict[str, Any]) -> list[Output]:
        raise ProtocolError(
            "invalid_value",
            "output_audio_buffer.clear is only supported for WebRTC and SIP "
            "connections; over WebSocket stop playback locally and send "
            "conversation.item.truncate.",
            "type",
        )

    # ------------------------------------------------------------------ results of effects (I/O layer)
    def append_audio(self, pcm: np.ndarray) -> list[Output]:
        """Add 24 kHz int16 samples to the input buffer and run turn detection over them."""
        return self.input_buffer.append(pcm)

    def reply_ready(self, response_id: str, text: str, tool_calls: list[Any]) -> list[Output]:
        """The responder's reply: start the output items (function calls, or a message)."""
        return self.responses.reply_ready(response_id, text, tool_calls)

    def audio_ready(self, response_id: str, pcm: np.ndarray, text: str = "") -> list[Output]:
        """One synthesised piece (24 kHz int16) and the text it speaks: transcript and audio deltas."""
        return self.responses.audio_ready(response_id, pcm, text)

    def synthesis_finished(self, response_id: str) -> list[Output]:
        """All audio of the response was sent: close the item and the response."""
        return self.responses.synthesis_finished(response_id)

    def response_failed(self, response_id: str, message: str) -> list[Output]:
        """The responder or an engine failed: the response ends ``failed``, the session stays open."""
        return self.responses.failed(response_id, message)

    def messages_for(self, response_id: str) -> list[dict[str, Any]]:
        """The response's input as chat-completions messages for the responder."""
        return self.responses.messages_for(response_id)

    def note_heard(self, item_id: str, text: str) -> None:
        """Record what user audio said (for the responder) without sending anything."""
        self.conversation.note_heard(item_id, text)

    def transcription_ready(
        self,
        item_id: str,
        text: str,
        details: TranscriptionDetails | None = None,
        *,
        duration_s: float | None = None,
    ) -> list[Output]:
        """The input transcription of a committed item: deltas, then ``completed`` with usage."""
        return self.transcription.ready(item_id, text, details, duration_s=duration_s)

    def mcp_tools_listed(self, item_id: str, tools: list[dict[str, Any]]) -> list[Output]:
        """An MCP server's tools were listed (``name``, ``description``, ``input_schema``, …)."""
        return self.mcp.listed(item_id, tools)

    def mcp_tools_failed(self, item_id: str, message: str) -> list[Output]:
        """An MCP server could not be listed (unreachable, refused, timed out)."""
        return self.mcp.list_failed(item_id, message)

    def mcp_call_finished(
        self, response_id: str, item_id: str, output: str | None, error: dict[str, Any] | None = None
    ) -> list[Output]:
        """An MCP tool call returned ``output`` or failed with ``error`` (an ``mcp_call`` error object)."""
        return self.mcp.call_finished(response_id, item_id, output, error)

    def transcription_failed(self, item_id: str, message: str) -> list[Output]:
        """The input transcription failed; the session goes on."""
        return self.transcription.failed(item_id, message)

    def transcription_partial(self, turn: int, delta: str) -> list[Output]:
        """A pass of turn ``turn``'s streaming transcriber committed ``delta`` (see ``live``)."""
        return self.live.partial(turn, delta)

    def transcription_final(
        self, turn: int, text: str, details: TranscriptionDetails | None = None
    ) -> list[Output]:
        """Turn ``turn``'s streaming transcriber finished with ``text``: the last delta and ``completed``."""
        return self.live.final(turn, text, details)
