"""The sans-I/O state machine of one Realtime connection.

``RealtimeCore`` owns the session config, the input audio buffer and its clock, the conversation items and the
responses. It is driven by client events (plain dicts, :meth:`RealtimeCore.handle`) and by the results of work
it asked for (``reply_ready``, ``audio_ready``, ``synthesis_finished``, ``transcription_ready``, …). Every
call returns a list of outputs in wire order: server events (dicts, strictly valid against
``openai.types.realtime``) and :mod:`effects <voicelab.emulator.realtime.effects>` for the I/O layer. Audio
time is the audio appended, never the wall clock; no sockets, no threads, no sleeps — which is what makes it
fuzzable.

Examples
--------
>>> core = RealtimeCore(model="gpt-realtime", now=0, seed=1, vad_factory=None)
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

import base64
import binascii
import copy
import enum
import json
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from voicelab.protocol.errors import ProtocolError as EventError
from voicelab.protocol.events import error_event, server_event
from voicelab.protocol.formats import realtime_format
from voicelab.protocol.session import apply_update, default_session, session_request, validate_session
from voicelab.protocol.validate import validate_client_event

from . import codecs
from .conversation import SR, Item, Response, ResponseState, field_of, first_tokens, split_words, text_chunks
from .effects import Close, Effect, GenerateReply, StopResponse, Synthesize, Transcribe
from .ids import IdFactory
from .usage import (
    RateLimiter,
    UsageMeter,
    assistant_audio_tokens,
    count_text_tokens,
    instructions_segment,
    tools_segment,
    user_audio_tokens,
)

__all__ = ["ConnectionState", "Output", "RealtimeCore", "ResponseState", "TurnDetector", "speech_pieces"]

MIN_COMMIT_MS = 100
Output = dict[str, Any] | Effect


def speech_pieces(pcm: np.ndarray, text: str, chunk_samples: int) -> list[tuple[np.ndarray, str]]:
    """Cut synthesised audio into chunks of ``chunk_samples``, each with the words spoken in it.

    The words are spread evenly over the chunks (word ``j`` goes with chunk ``floor(j * chunks / words)``).
    ``audio_ready`` sends one ``response.output_audio.delta`` per chunk; the I/O layer uses the same cut to
    feed paced audio to the core one chunk at a time.

    Examples
    --------
    >>> pieces = speech_pieces(np.zeros(250, np.int16), "one two three", 100)
    >>> [(chunk.size, words) for chunk, words in pieces]
    [(100, 'one '), (100, 'two '), (50, 'three')]
    """
    step = max(int(chunk_samples), 1)
    chunks = [pcm[i : i + step] for i in range(0, pcm.size, step)] or [pcm[:0]]
    words = split_words(text)
    owner = [j * len(chunks) // len(words) for j in range(len(words))] if words else []
    return [
        (chunk, "".join(w for w, o in zip(words, owner, strict=True) if o == index))
        for index, chunk in enumerate(chunks)
    ]


class TurnDetector(Protocol):
    """What the core needs from ``voicelab.vad.ServerVAD`` / ``SemanticVAD``."""

    def feed(self, samples: np.ndarray) -> list[Any]: ...

    def reset(self) -> None: ...


class ConnectionState(enum.Enum):
    """Lifecycle of the connection."""

    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


class RealtimeCore:
    """Per-connection Realtime protocol state.

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
        :class:`EventError` (type ``server_error``) if it is invalid — it never silently falls back to the
        defaults.
    audio_chunk_ms : int
        Duration of each ``response.output_audio.delta``.
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
        session_seconds: int = 3600,
    ) -> None:
        self.ids = IdFactory(seed)
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
            except EventError as exc:
                raise EventError(
                    exc.code,
                    f"The ephemeral key's session config is invalid ({exc.message}); it should have been "
                    "refused when the key was minted.",
                    exc.param,
                    type="server_error",
                ) from exc
        self.state = ConnectionState.NEW
        self.conversation_id = self.ids.new("conv")
        self.items: list[Item] = []
        self.responses: dict[str, Response] = {}
        self.default_response: str | None = None  # active response writing to the conversation
        self.voice_locked = False
        self.meter = UsageMeter()
        self.limiter = RateLimiter()
        self.audio_chunk_ms = audio_chunk_ms
        self._vad_factory = vad_factory
        self._vad: TurnDetector | None = None
        self._vad_origin = 0  # audio clock (samples) where the VAD's timeline starts
        self._samples_total = 0  # the audio clock: samples appended since the session started
        self._buffer: list[np.ndarray] = []
        self._buffer_start = 0  # audio clock position of the buffer's first sample
        self._buffer_samples = 0
        self._speech_item_id: str | None = None
        self._make_vad()

    # ------------------------------------------------------------------ helpers
    def _event(self, type: str, **fields: Any) -> dict[str, Any]:
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
        error = EventError(code, message, param, type=type)
        return error_event(self.ids.new("event"), error, client_event_id=client_event_id)

    @property
    def audio_ms(self) -> int:
        """The audio clock: ms of input audio appended so far."""
        return self._samples_total * 1000 // SR

    @property
    def input_format(self) -> dict[str, Any]:
        return self.session["audio"]["input"]["format"]

    @property
    def turn_detection(self) -> dict[str, Any] | None:
        return self.session["audio"]["input"]["turn_detection"]

    def _make_vad(self) -> None:
        config = self.turn_detection
        self._vad = self._vad_factory(config) if (config and self._vad_factory) else None
        self._vad_origin = self._samples_total
        self._speech_item_id = None

    def _find(self, item_id: str) -> int | None:
        for index, item in enumerate(self.items):
            if item.id == item_id:
                return index
        return None

    def _previous_id(self, index: int) -> str | None:
        return self.items[index - 1].id if index > 0 else None

    def public_item(self, item: Item, *, with_audio: bool = False) -> dict[str, Any]:
        """The item as sent in events (audio bytes only in ``conversation.item.retrieved``)."""
        data = copy.deepcopy(item.data)
        if with_audio and item.audio is not None:
            fmt = (
                self.input_format
                if item.audio_role == "user"
                else self.session["audio"].get("output", {}).get("format", {"type": "audio/pcm"})
            )
            encoded = codecs.encode_output(item.audio, fmt)
            for part in data.get("content", []):
                if part.get("type") in ("input_audio", "output_audio"):
                    part["audio"] = base64.b64encode(encoded).decode("ascii")
                    break
        return data

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> list[Output]:
        """The first events of the connection: ``session.created``."""
        self.state = ConnectionState.OPEN
        return [self._event("session.created", session=copy.deepcopy(self.session))]

    def expire(self, message: str = "Your session hit the maximum duration of 60 minutes.") -> list[Output]:
        """The session expired (time limit or ephemeral key): OpenAI's error, then close."""
        self.state = ConnectionState.CLOSED
        return [self.error("session_expired", message), Close(1000, "session_expired")]

    # ------------------------------------------------------------------ client events
    def handle_text(self, text: str | bytes) -> list[Output]:
        """Handle one WebSocket message (JSON text)."""
        try:
            event = json.loads(text)
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
        """Handle one client event (a parsed JSON value); errors become ``error`` events."""
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
            checked = validate_client_event(event)
            handler = getattr(self, "_on_" + checked["type"].replace(".", "_"))
            return handler(checked)
        except EventError as exc:
            return [
                self.error(exc.code, exc.message, exc.param, client_event_id=client_event_id, type=exc.type)
            ]

    def _on_session_update(self, event: dict[str, Any]) -> list[Output]:
        before = self.turn_detection
        self.session = apply_update(self.session, event["session"], voice_locked=self.voice_locked)
        if self.turn_detection != before:
            self._make_vad()
        return [self._event("session.updated", session=copy.deepcopy(self.session))]

    def _on_input_audio_buffer_append(self, event: dict[str, Any]) -> list[Output]:
        try:
            raw = base64.b64decode(event["audio"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise EventError(
                "invalid_value",
                "Invalid 'audio': the audio must be base64-encoded "
                f"{self.input_format['type']} bytes ({exc}).",
                "audio",
            ) from exc
        if self.input_format.get("type", "audio/pcm") == "audio/pcm" and len(raw) % 2:
            raise EventError(
                "invalid_value",
                "Invalid 'audio': audio/pcm must be 16-bit samples (an even number "
                f"of bytes); got {len(raw)} bytes.",
                "audio",
            )
        pcm = codecs.decode_input(raw, self.input_format)
        return self.append_audio(pcm)

    def append_audio(self, pcm: np.ndarray) -> list[Output]:
        """Add 24 kHz int16 samples to the input buffer and run turn detection over them."""
        if pcm.size == 0:
            return []
        self._buffer.append(pcm)
        self._buffer_samples += pcm.size
        self._samples_total += pcm.size
        if self._vad is None:
            return []
        out: list[Output] = []
        for vad_event in self._vad.feed(pcm.astype(np.float32) / 32768.0):
            out.extend(self._on_vad(vad_event))
        return out

    def _on_input_audio_buffer_commit(self, event: dict[str, Any]) -> list[Output]:
        if self._buffer_samples * 1000 < MIN_COMMIT_MS * SR:
            ms = self._buffer_samples * 1000 / SR
            raise EventError(
                "input_audio_buffer_commit_empty",
                "Error committing input audio buffer: buffer too small. Expected at least "
                f"{MIN_COMMIT_MS}ms of audio, but buffer only has {ms:.2f}ms of audio.",
            )
        item_id = self._speech_item_id or self.ids.new("item")
        self._speech_item_id = None
        pcm = self._take_buffer(self._samples_total)
        if self._vad is not None:
            self._vad.reset()
            self._vad_origin = self._samples_total
        return self._commit(item_id, pcm)

    def _on_input_audio_buffer_clear(self, event: dict[str, Any]) -> list[Output]:
        self._buffer, self._buffer_samples, self._buffer_start = [], 0, self._samples_total
        if self._vad is not None:
            self._vad.reset()
            self._vad_origin = self._samples_total
        self._speech_item_id = None
        return [self._event("input_audio_buffer.cleared")]

    def _on_output_audio_buffer_clear(self, event: dict[str, Any]) -> list[Output]:
        raise EventError(
            "invalid_value",
            "output_audio_buffer.clear is only supported for WebRTC and SIP "
            "connections; over WebSocket stop playback locally and send "
            "conversation.item.truncate.",
            "type",
        )

    def _on_conversation_item_create(self, event: dict[str, Any]) -> list[Output]:
        data = copy.deepcopy(event["item"])
        previous = event.get("previous_item_id")
        if previous is None or previous == "":
            index = len(self.items)
        elif previous == "root":
            index = 0
        else:
            found = self._find(previous)
            if found is None:
                raise EventError(
                    "invalid_value", f"Previous item with id '{previous}' does not exist.", "previous_item_id"
                )
            index = found + 1
        if "id" in data and self._find(data["id"]) is not None:
            raise EventError("invalid_value", f"Item with id '{data['id']}' already exists.", "item.id")
        data.setdefault("id", self.ids.new("item"))
        data["object"] = "realtime.item"
        data["status"] = "completed"
        item = Item(data)
        if data["type"] == "message":
            allowed = {
                "user": ("input_text", "input_audio", "input_image"),
                "system": ("input_text",),
                "assistant": ("output_text", "output_audio"),
            }[data["role"]]
            for i, part in enumerate(data["content"]):
                if part["type"] not in allowed:
                    raise EventError(
                        "invalid_value",
                        f"Invalid value: '{part['type']}'. Supported values for "
                        f"role '{data['role']}' are: {', '.join(repr(a) for a in allowed)}.",
                        f"item.content[{i}].type",
                    )
                if part["type"] in ("input_audio", "output_audio"):
                    item.audio_role = "assistant" if data["role"] == "assistant" else "user"
                    if part.get("audio"):
                        try:
                            raw = base64.b64decode(part["audio"], validate=True)
                        except (binascii.Error, ValueError) as exc:
                            raise EventError(
                                "invalid_value",
                                "Invalid 'audio': not valid base64.",
                                f"item.content[{i}].audio",
                            ) from exc
                        item.audio = codecs.decode_input(raw, self.input_format)
                        del part["audio"]
                    part.setdefault("transcript", None)
                    if part["transcript"]:
                        item.heard = part["transcript"]
        elif data["type"] == "function_call":
            data.setdefault("call_id", self.ids.new("call"))
        self.items.insert(index, item)
        previous_id = self._previous_id(index)
        return [
            self._event("conversation.item.added", previous_item_id=previous_id, item=self.public_item(item)),
            self._event("conversation.item.done", previous_item_id=previous_id, item=self.public_item(item)),
        ]

    def _on_conversation_item_retrieve(self, event: dict[str, Any]) -> list[Output]:
        index = self._find(event["item_id"])
        if index is None:
            raise EventError(
                "invalid_value",
                f"Error retrieving item: the item with id '{event['item_id']}' does not exist.",
                "item_id",
            )
        return [
            self._event(
                "conversation.item.retrieved", item=self.public_item(self.items[index], with_audio=True)
            )
        ]

    def _on_conversation_item_delete(self, event: dict[str, Any]) -> list[Output]:
        index = self._find(event["item_id"])
        if index is None:
            raise EventError(
                "invalid_value",
                f"Error deleting item: the item with id '{event['item_id']}' does not exist.",
                "item_id",
            )
        del self.items[index]
        return [self._event("conversation.item.deleted", item_id=event["item_id"])]

    def _on_conversation_item_truncate(self, event: dict[str, Any]) -> list[Output]:
        item_id, content_index, end_ms = event["item_id"], event["content_index"], event["audio_end_ms"]
        index = self._find(item_id)
        if index is None:
            raise EventError(
                "invalid_value",
                f"Error truncating item: the item with id '{item_id}' does not exist.",
                "item_id",
            )
        item = self.items[index]
        content = item.data.get("content", [])
        if item.data["type"] != "message" or item.data["role"] != "assistant":
            raise EventError("invalid_value", "Only assistant message items can be truncated.", "item_id")
        if content_index >= len(content) or content[content_index].get("type") != "output_audio":
            raise EventError(
                "invalid_value",
                f"Invalid 'content_index': content part {content_index} of item '{item_id}' is not audio.",
                "content_index",
            )
        streaming = next(
            (r for r in self.responses.values() if r.item is item and r.state is not ResponseState.DONE), None
        )
        sent_ms = streaming.audio_samples * 1000 // SR if streaming is not None else int(item.audio_ms)
        if end_ms > sent_ms:
            raise EventError(
                "invalid_value",
                f"Audio content of {sent_ms}ms is already shorter than {end_ms}ms",
                "audio_end_ms",
            )
        out: list[Output] = []
        if streaming is not None:  # the user stopped listening: the answer being spoken ends here
            out = self._finish(streaming, status="cancelled", reason="client_cancelled")
        keep = end_ms * SR // 1000
        item.audio = (item.audio if item.audio is not None else np.zeros(0, np.int16))[:keep]
        content[content_index]["transcript"] = ""
        item.version += 1
        return [
            *out,
            self._event(
                "conversation.item.truncated",
                item_id=item_id,
                content_index=content_index,
                audio_end_ms=end_ms,
            ),
        ]

    def _on_response_create(self, event: dict[str, Any]) -> list[Output]:
        if self.kind == "transcription":
            raise EventError(
                "invalid_value", "response.create is not supported in a transcription session.", "type"
            )
        return self._create_response(event.get("response") or {}, trigger="client")

    def _on_response_cancel(self, event: dict[str, Any]) -> list[Output]:
        wanted = event.get("response_id")
        active = [r for r in self.responses.values() if r.state is not ResponseState.DONE]
        if wanted:
            active = [r for r in active if r.id == wanted]
        elif self.default_response:
            active = [self.responses[self.default_response]]
        if not active:
            raise EventError("response_cancel_not_active", "Cancellation failed: no active response found.")
        return self._finish(active[0], status="cancelled", reason="client_cancelled")

    # ------------------------------------------------------------------ turn detection
    def _vad_position_ms(self) -> int:
        return (self._samples_total - self._vad_origin) * 1000 // SR

    def _clock_ms_to_samples(self, vad_ms: int) -> int:
        return self._vad_origin + int(vad_ms) * SR // 1000

    def _on_vad(self, vad_event: Any) -> list[Output]:
        name = type(vad_event).__name__
        out: list[Output] = []
        config = self.turn_detection or {}
        if name == "SpeechStarted":
            start = self._clock_ms_to_samples(vad_event.audio_start_ms)
            self._speech_item_id = self.ids.new("item")
            out.append(
                self._event(
                    "input_audio_buffer.speech_started",
                    audio_start_ms=start * 1000 // SR,
                    item_id=self._speech_item_id,
                )
            )
            self._drop_before(start)
            if config.get("interrupt_response", True) and self.default_response:
                out.extend(
                    self._finish(
                        self.responses[self.default_response], status="cancelled", reason="turn_detected"
                    )
                )
        elif name == "SpeechStopped":
            end = self._clock_ms_to_samples(vad_event.audio_end_ms)
            item_id = self._speech_item_id or self.ids.new("item")
            self._speech_item_id = None
            out.append(
                self._event(
                    "input_audio_buffer.speech_stopped", audio_end_ms=end * 1000 // SR, item_id=item_id
                )
            )
            pcm = self._take_buffer(end)
            out.extend(self._commit(item_id, pcm, auto=True))
        elif name == "TimeoutTriggered":
            start = self._clock_ms_to_samples(vad_event.audio_start_ms)
            end = self._clock_ms_to_samples(vad_event.audio_end_ms)
            item_id = self.ids.new("item")
            out.append(
                self._event(
                    "input_audio_buffer.timeout_triggered",
                    audio_start_ms=start * 1000 // SR,
                    audio_end_ms=end * 1000 // SR,
                    item_id=item_id,
                )
            )
            self._drop_before(start)
            out.extend(self._commit(item_id, self._take_buffer(end), auto=True))
        return out

    def _drop_before(self, position: int) -> None:
        """Forget buffered audio before clock ``position`` (silence before the speech and its padding)."""
        drop = min(max(position - self._buffer_start, 0), self._buffer_samples)
        if drop <= 0:
            return
        joined = np.concatenate(self._buffer) if self._buffer else np.zeros(0, np.int16)
        rest = joined[drop:]
        self._buffer = [rest] if rest.size else []
        self._buffer_samples = rest.size
        self._buffer_start += drop

    def _take_buffer(self, end: int) -> np.ndarray:
        """Remove and return the buffered audio up to clock position ``end``."""
        joined = np.concatenate(self._buffer) if self._buffer else np.zeros(0, np.int16)
        cut = min(max(end - self._buffer_start, 0), joined.size)
        taken, rest = joined[:cut], joined[cut:]
        self._buffer = [rest] if rest.size else []
        self._buffer_samples = rest.size
        self._buffer_start += cut
        return taken

    def _commit(self, item_id: str, pcm: np.ndarray, *, auto: bool = False) -> list[Output]:
        previous = self.items[-1].id if self.items else None
        part: dict[str, Any] = {"type": "input_audio", "transcript": None}
        item = Item(
            {
                "id": item_id,
                "type": "message",
                "object": "realtime.item",
                "status": "completed",
                "role": "user",
                "content": [part],
            },
            audio=pcm,
            audio_role="user",
        )
        self.items.append(item)
        out: list[Output] = [
            self._event("input_audio_buffer.committed", previous_item_id=previous, item_id=item_id),
            self._event("conversation.item.added", previous_item_id=previous, item=self.public_item(item)),
            self._event("conversation.item.done", previous_item_id=previous, item=self.public_item(item)),
        ]
        transcription = self.session["audio"]["input"].get("transcription")
        if transcription and transcription.get("model"):
            out.append(
                Transcribe(
                    item_id,
                    pcm,
                    transcription.get("model"),
                    transcription.get("language"),
                    transcription.get("prompt") or None,
                )
            )
        config = self.turn_detection or {}
        if (
            auto
            and self.kind == "realtime"
            and config.get("create_response", True)
            and not self.default_response
        ):
            out.extend(self._create_response({}, trigger="turn_detection"))
        return out

    # ------------------------------------------------------------------ responses
    def _resolve_input(self, entries: list[dict[str, Any]]) -> list[Item]:
        items: list[Item] = []
        for i, entry in enumerate(entries):
            if entry["type"] == "item_reference":
                index = self._find(entry["id"])
                if index is None:
                    raise EventError(
                        "invalid_value",
                        f"Item with id '{entry['id']}' does not exist.",
                        f"response.input[{i}].id",
                    )
                items.append(self.items[index])
            else:
                data = copy.deepcopy(entry)
                data.setdefault("id", self.ids.new("item"))
                data["object"], data["status"] = "realtime.item", "completed"
                item = Item(data)
                for part in data.get("content", []):
                    if part.get("type") in ("input_audio", "output_audio"):
                        part.pop("audio", None)
                        part.setdefault("transcript", None)
                        item.heard = part.get("transcript")
                items.append(item)
        return items

    def _create_response(self, request: dict[str, Any], *, trigger: str) -> list[Output]:
        in_conversation = request.get("conversation", "auto") == "auto"
        if in_conversation and self.default_response:
            raise EventError(
                "conversation_already_has_active_response",
                "Conversation already has an active response in progress: "
                f"{self.default_response}. Wait until the response is finished before creating a "
                "new one.",
            )
        session = self.session
        input_items = self._resolve_input(request["input"]) if "input" in request else list(self.items)
        instructions = request.get("instructions", session.get("instructions"))
        tools = request.get("tools", session.get("tools") or [])
        tool_choice = request.get("tool_choice", session.get("tool_choice", "auto"))
        modalities = list(request.get("output_modalities") or session.get("output_modalities") or ["audio"])
        audio_out = (request.get("audio") or {}).get("output") or {}
        voice = audio_out.get("voice", session["audio"]["output"]["voice"])
        voice_name = voice if isinstance(voice, str) else voice.get("id", "alloy")
        fmt = realtime_format(audio_out.get("format", session["audio"]["output"]["format"]))
        max_tokens = request.get("max_output_tokens", session.get("max_output_tokens", "inf"))
        response_id = self.ids.new("resp")
        data = {
            "object": "realtime.response",
            "id": response_id,
            "status": "in_progress",
            "status_details": None,
            "output": [],
            "conversation_id": self.conversation_id if in_conversation else None,
            "output_modalities": modalities,
            "max_output_tokens": max_tokens,
            "audio": {"output": {"format": fmt, "voice": voice_name}},
            "usage": None,
            "metadata": request.get("metadata"),
        }
        segments = [instructions_segment(instructions), tools_segment(tools)] + [
            i.segment() for i in input_items
        ]
        response = Response(
            id=response_id,
            data=data,
            in_conversation=in_conversation,
            modalities=modalities,
            voice=voice_name,
            speed=float(session["audio"]["output"].get("speed") or 1.0),
            output_format=fmt,
            input_items=input_items,
            segments=segments,
            max_tokens=None if max_tokens == "inf" else int(max_tokens),
            trigger=trigger,
        )
        self.responses[response_id] = response
        if in_conversation:
            self.default_response = response_id
            disarm = getattr(self._vad, "disarm_idle_timeout", None)
            if disarm is not None:  # the idle clock stops while the model answers
                disarm()
        unheard = tuple(
            (i.id, i.audio)
            for i in input_items
            if i.audio is not None and i.audio_role == "user" and i.heard is None
        )
        return [
            self._event("response.created", response=copy.deepcopy(data)),
            GenerateReply(response_id, instructions, copy.deepcopy(tools), tool_choice, unheard),
        ]

    def note_heard(self, item_id: str, text: str) -> None:
        """Record what user audio said (for the responder) without sending anything."""
        for item in self.items:
            if item.id == item_id and item.heard is None:
                item.heard = text
        for response in self.responses.values():
            for item in response.input_items:
                if item.id == item_id and item.heard is None:
                    item.heard = text

    def messages_for(self, response_id: str) -> list[dict[str, Any]]:
        """The response's input as chat-completions messages for the responder."""
        response = self.responses[response_id]
        messages: list[dict[str, Any]] = []
        for item in response.input_items:
            data = item.data
            if data["type"] == "message":
                texts = []
                for part in data["content"]:
                    if part.get("type") in ("input_text", "output_text"):
                        texts.append(part.get("text") or "")
                    elif part.get("type") in ("input_audio", "output_audio"):
                        texts.append(part.get("transcript") or item.heard or "")
                messages.append({"role": data["role"], "content": " ".join(t for t in texts if t)})
            elif data["type"] == "function_call":
                messages.append(
                    {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [
                            {
                                "id": data.get("call_id"),
                                "type": "function",
                                "function": {"name": data["name"], "arguments": data["arguments"]},
                            }
                        ],
                    }
                )
            elif data["type"] == "function_call_output":
                messages.append({"role": "tool", "tool_call_id": data["call_id"], "content": data["output"]})
        return messages

    def _live(self, response_id: str) -> Response | None:
        response = self.responses.get(response_id)
        return response if response is not None and response.state is not ResponseState.DONE else None

    def _add_output_item(self, response: Response, item: Item) -> list[Output]:
        response.output_items.append(item)
        response.output_index = len(response.output_items) - 1
        out: list[Output] = [
            self._event(
                "response.output_item.added",
                response_id=response.id,
                output_index=response.output_index,
                item=self.public_item(item),
            )
        ]
        if response.in_conversation:
            previous = self.items[-1].id if self.items else None
            self.items.append(item)
            out.append(
                self._event("conversation.item.added", previous_item_id=previous, item=self.public_item(item))
            )
        return out

    def _close_output_item(self, response: Response, item: Item, status: str) -> list[Output]:
        item.data["status"] = status
        out: list[Output] = []
        if response.in_conversation and self._find(item.id) is not None:
            index = self._find(item.id)
            assert index is not None
            out.append(
                self._event(
                    "conversation.item.done",
                    previous_item_id=self._previous_id(index),
                    item=self.public_item(item),
                )
            )
        out.append(
            self._event(
                "response.output_item.done",
                response_id=response.id,
                output_index=response.output_items.index(item),
                item=self.public_item(item),
            )
        )
        return out

    def reply_ready(self, response_id: str, text: str, tool_calls: list[Any]) -> list[Output]:
        """The responder's reply: start the output items (function calls, or a message)."""
        response = self._live(response_id)
        if response is None:
            return []
        response.state = ResponseState.STREAMING
        out: list[Output] = []
        if tool_calls:
            for call in tool_calls:
                name, arguments = field_of(call, "name"), field_of(call, "arguments")
                call_id = field_of(call, "call_id") or self.ids.new("call")
                item = Item(
                    {
                        "id": self.ids.new("item"),
                        "type": "function_call",
                        "object": "realtime.item",
                        "status": "in_progress",
                        "name": name,
                        "call_id": call_id,
                        "arguments": "",
                    }
                )
                out.extend(self._add_output_item(response, item))
                for piece in text_chunks(arguments, 16):
                    out.append(
                        self._event(
                            "response.function_call_arguments.delta",
                            response_id=response.id,
                            item_id=item.id,
                            output_index=response.output_index,
                            call_id=call_id,
                            delta=piece,
                        )
                    )
                item.data["arguments"] = arguments
                response.text_tokens += count_text_tokens(name) + count_text_tokens(arguments)
                out.append(
                    self._event(
                        "response.function_call_arguments.done",
                        response_id=response.id,
                        item_id=item.id,
                        output_index=response.output_index,
                        call_id=call_id,
                        name=name,
                        arguments=arguments,
                    )
                )
                out.extend(self._close_output_item(response, item, "completed"))
            out.extend(self._finish(response, status="completed"))
            return out
        audio = "audio" in response.modalities
        part: dict[str, Any] = (
            {"type": "output_audio", "transcript": ""} if audio else {"type": "output_text", "text": ""}
        )
        item = Item(
            {
                "id": self.ids.new("item"),
                "type": "message",
                "object": "realtime.item",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            },
            audio_role="assistant",
        )
        response.item = item
        out.extend(self._add_output_item(response, item))
        item.data["content"].append(part)
        out.append(
            self._event(
                "response.content_part.added",
                response_id=response.id,
                item_id=item.id,
                output_index=response.output_index,
                content_index=0,
                part={"type": "audio", "transcript": ""} if audio else {"type": "text", "text": ""},
            )
        )
        if audio and text.strip():
            self.voice_locked = True
            out.append(Synthesize(response.id, text, response.voice, response.speed))
            return out
        if response.max_tokens is not None and count_text_tokens(text) > response.max_tokens:
            text = first_tokens(text, response.max_tokens)
            out.extend(self._text_deltas(response, text))
            out.extend(self._finish(response, status="incomplete", reason="max_output_tokens"))
            return out
        out.extend(self._text_deltas(response, text))
        out.extend(self._finish(response, status="completed"))
        return out

    def _text_deltas(self, response: Response, text: str) -> list[Output]:
        assert response.item is not None
        kind = (
            "response.output_audio_transcript.delta"
            if "audio" in response.modalities
            else "response.output_text.delta"
        )
        out: list[Output] = [
            self._event(
                kind,
                response_id=response.id,
                item_id=response.item.id,
                output_index=response.output_index,
                content_index=0,
                delta=piece,
            )
            for piece in split_words(text)
        ]
        response.transcript += text
        response.text_tokens += count_text_tokens(text)
        return out

    def audio_ready(self, response_id: str, pcm: np.ndarray, text: str = "") -> list[Output]:
        """One synthesised piece (24 kHz int16) and the text it speaks: transcript and audio deltas."""
        response = self._live(response_id)
        if response is None or response.item is None:
            return []
        pcm = np.asarray(pcm, dtype=np.int16).reshape(-1)
        out: list[Output] = []
        limit_hit = False
        if response.max_tokens is not None:
            used = (
                response.text_tokens
                + count_text_tokens(text)
                + assistant_audio_tokens((response.audio_samples + pcm.size) * 1000 / SR)
            )
            if used > response.max_tokens:
                limit_hit = True
                room_ms = max(response.max_tokens - response.text_tokens - count_text_tokens(text), 0) * 50
                pcm = pcm[: max(room_ms * SR // 1000 - response.audio_samples, 0)]
        for chunk, piece in speech_pieces(pcm, text, self.audio_chunk_ms * SR // 1000):
            if piece:
                out.extend(self._text_deltas(response, piece))
            if chunk.size:
                encoded = codecs.encode_output(chunk, response.output_format)
                out.append(
                    self._event(
                        "response.output_audio.delta",
                        response_id=response.id,
                        item_id=response.item.id,
                        output_index=response.output_index,
                        content_index=0,
                        delta=base64.b64encode(encoded).decode("ascii"),
                    )
                )
                response.audio_parts.append(chunk)
                response.audio_samples += chunk.size
        if limit_hit:
            out.extend(self._finish(response, status="incomplete", reason="max_output_tokens"))
            out.append(StopResponse(response.id))
        return out

    def synthesis_finished(self, response_id: str) -> list[Output]:
        """All audio of the response was sent: close the item and the response."""
        response = self._live(response_id)
        if response is None:
            return []
        return self._finish(response, status="completed")

    def response_failed(self, response_id: str, message: str) -> list[Output]:
        """The responder or an engine failed: the response ends ``failed``, the session stays open."""
        response = self._live(response_id)
        if response is None:
            return []
        return self._finish(
            response,
            status="failed",
            error={"type": "server_error", "code": "engine_error", "message": message},
        )

    def _finish(
        self,
        response: Response,
        *,
        status: str,
        reason: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> list[Output]:
        """Close the open content part and item, then ``response.done`` and ``rate_limits.updated``."""
        out: list[Output] = []
        item = response.item
        if item is not None and item.data["status"] == "in_progress":
            audio = (
                "audio" in response.modalities
                and item.data["content"]
                and item.data["content"][0]["type"] == "output_audio"
            )
            if item.data["content"]:
                part = item.data["content"][0]
                common = {
                    "response_id": response.id,
                    "item_id": item.id,
                    "output_index": response.output_index,
                    "content_index": 0,
                }
                if audio:
                    part["transcript"] = response.transcript
                    item.audio = (
                        np.concatenate(response.audio_parts)
                        if response.audio_parts
                        else np.zeros(0, np.int16)
                    )
                    item.version += 1
                    out.append(self._event("response.output_audio.done", **common))
                    out.append(
                        self._event(
                            "response.output_audio_transcript.done", transcript=response.transcript, **common
                        )
                    )
                    wire_part = {"type": "audio", "transcript": response.transcript}
                else:
                    part["text"] = response.transcript
                    out.append(self._event("response.output_text.done", text=response.transcript, **common))
                    wire_part = {"type": "text", "text": response.transcript}
                out.append(self._event("response.content_part.done", part=wire_part, **common))
            out.extend(
                self._close_output_item(
                    response, item, "completed" if status == "completed" else "incomplete"
                )
            )
        response.state = ResponseState.DONE
        if self.default_response == response.id:
            self.default_response = None
            arm = getattr(self._vad, "arm_idle_timeout", None)
            if arm is not None:  # OpenAI: idle time counts from the end of the answer's playback
                played_ms = response.audio_samples * 1000 // SR
                arm(self._vad_position_ms() + played_ms)
        output_audio = assistant_audio_tokens(response.audio_samples * 1000 / SR)
        usage = self.meter.usage(
            response.segments,
            output_text=response.text_tokens,
            output_audio=output_audio,
            remember=response.in_conversation,
        )
        data = response.data
        data["status"] = status
        data["output"] = [self.public_item(i) for i in response.output_items]
        data["usage"] = usage
        if status != "completed" or error:
            details: dict[str, Any] = {"type": status}
            if reason:
                details["reason"] = reason
            if error:
                details["error"] = error
            data["status_details"] = details
        out.append(self._event("response.done", response=copy.deepcopy(data)))
        out.append(self._event("rate_limits.updated", rate_limits=self.limiter.spend(usage["total_tokens"])))
        if status != "completed":
            out.append(StopResponse(response.id))
        # forget finished responses, keeping the table small on long sessions
        for rid in [r for r, resp in self.responses.items() if resp.state is ResponseState.DONE][:-8]:
            del self.responses[rid]
        return out

    # ------------------------------------------------------------------ input transcription
    def transcription_ready(
        self, item_id: str, text: str, *, duration_s: float | None = None
    ) -> list[Output]:
        """The input transcription of a committed item: deltas, then ``completed`` with usage."""
        self.note_heard(item_id, text)
        index = self._find(item_id)
        item = self.items[index] if index is not None else None
        if item is not None:
            for part in item.data.get("content", []):
                if part.get("type") == "input_audio":
                    part["transcript"] = text
        transcription = self.session["audio"]["input"].get("transcription") or {}
        model = transcription.get("model") or "whisper-1"
        seconds = (
            duration_s if duration_s is not None else (item.audio_ms / 1000 if item is not None else 0.0)
        )
        out: list[Output] = []
        pieces = [text] if model == "whisper-1" else split_words(text)
        for piece in pieces:
            out.append(
                self._event(
                    "conversation.item.input_audio_transcription.delta",
                    item_id=item_id,
                    content_index=0,
                    delta=piece,
                )
            )
        if model == "whisper-1":
            usage: dict[str, Any] = {"type": "duration", "seconds": round(float(seconds), 3)}
        else:
            audio_tokens = user_audio_tokens(seconds * 1000)
            prompt_tokens = count_text_tokens(transcription.get("prompt"))
            output_tokens = count_text_tokens(text)
            usage = {
                "type": "tokens",
                "input_tokens": audio_tokens + prompt_tokens,
                "output_tokens": output_tokens,
                "total_tokens": audio_tokens + prompt_tokens + output_tokens,
                "input_token_details": {"text_tokens": prompt_tokens, "audio_tokens": audio_tokens},
            }
        out.append(
            self._event(
                "conversation.item.input_audio_transcription.completed",
                item_id=item_id,
                content_index=0,
                transcript=text,
                usage=usage,
            )
        )
        return out

    def transcription_failed(self, item_id: str, message: str) -> list[Output]:
        """The input transcription failed; the session goes on."""
        return [
            self._event(
                "conversation.item.input_audio_transcription.failed",
                item_id=item_id,
                content_index=0,
                error={
                    "type": "transcription_error",
                    "code": "transcription_failed",
                    "message": message,
                    "param": None,
                },
            )
        ]
