"""Conversation items and responses as the server core keeps them.

A :class:`ServerItem` is the wire item (``data``, exactly what events carry) plus what only the server keeps:
its audio samples (24 kHz int16), the words heard in user audio (for the responder) and a version that changes
with its content (for cached-token accounting). A :class:`ServerResponse` is one response in flight, with its
:class:`ServerResponseState`. (The client keeps its own, different view of items and responses in
``voicelab.realtime``; the ``Server`` prefix keeps the two apart.)

Examples
--------
>>> item = ServerItem({"id": "item_1", "type": "message", "role": "user", "content": []},
...                   audio=np.zeros(2400, np.int16))
>>> item.id, item.audio_ms
('item_1', 100.0)
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..usage import InputSegment, assistant_audio_tokens, count_text_tokens, user_audio_tokens

__all__ = ["SR", "ServerItem", "ServerResponse", "ServerResponseState"]

SR = 24_000


class ServerResponseState(enum.Enum):
    """Lifecycle of one response."""

    WAITING = "waiting"  # response.created sent, the reply is being written
    STREAMING = "streaming"  # output items are being sent (audio being synthesised)
    DONE = "done"


@dataclass
class ServerItem:
    """A conversation item plus what the server keeps about it (audio samples, what the brain heard)."""

    data: dict[str, Any]
    audio: np.ndarray | None = None  # 24 kHz int16 of the audio content part
    heard: str | None = None  # words of user audio, for the responder (not sent unless transcribed)
    version: int = 0
    audio_role: str = "user"
    image_tokens: int = 0  # input tokens of its input_image parts (protocol.images rules for the model)

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def audio_ms(self) -> float:
        return 0.0 if self.audio is None else self.audio.size * 1000.0 / SR

    def segment(self) -> InputSegment:
        """Tokens this item adds to a response's input."""
        kind = self.data["type"]
        text = audio = 0
        if kind == "message":
            for part in self.data["content"]:
                if part.get("type") in ("input_text", "output_text"):
                    text += count_text_tokens(part.get("text"))
                elif part.get("type") == "output_audio" and self.audio is None:
                    text += count_text_tokens(part.get("transcript"))
            if self.audio is not None:
                audio = (assistant_audio_tokens if self.audio_role == "assistant" else user_audio_tokens)(
                    self.audio_ms
                )
        elif kind == "function_call":
            text = count_text_tokens(self.data["name"]) + count_text_tokens(self.data["arguments"])
        elif kind == "function_call_output":
            text = count_text_tokens(self.data["output"])
        elif kind.startswith("mcp_"):  # tool lists, calls and approvals are read by the model as text
            fields = {k: v for k, v in self.data.items() if k not in ("id", "type")}
            text = count_text_tokens(json.dumps(fields, ensure_ascii=False))
        return InputSegment(("item", self.id, self.version), text, audio, self.image_tokens)


@dataclass
class ServerResponse:
    """One response in flight."""

    id: str
    data: dict[str, Any]
    in_conversation: bool
    modalities: list[str]
    voice: str  # the built-in voice that speaks (a custom voice's rendering: its base voice)
    speed: float
    output_format: dict[str, Any]
    input_items: list[ServerItem]
    segments: list[InputSegment]
    max_tokens: int | None
    semitones: float = 0.0  # a custom voice's pitch shift
    state: ServerResponseState = ServerResponseState.WAITING
    item: ServerItem | None = None  # the assistant message being streamed
    output_index: int = 0
    transcript: str = ""
    audio_parts: list[np.ndarray] = field(default_factory=list)
    audio_samples: int = 0
    text_tokens: int = 0
    reasoning_tokens: int = 0  # billed as output text tokens once the reply starts
    output_items: list[ServerItem] = field(default_factory=list)
    calls_after_message: list[Any] = field(default_factory=list)  # tool calls that follow the spoken preamble
    trigger: str = "client"
