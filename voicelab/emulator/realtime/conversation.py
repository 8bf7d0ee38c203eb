"""Conversation items and responses as the connection core keeps them, and small text helpers.

An :class:`Item` is the wire item (``data``, exactly what events carry) plus what only the server keeps: its
audio samples (24 kHz int16), the words heard in user audio (for the responder) and a version that changes
with its content (for cached-token accounting). A :class:`Response` is one response in flight.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voicelab.protocol.billing import first_text_tokens

from .usage import InputSegment, assistant_audio_tokens, count_text_tokens, user_audio_tokens

__all__ = ["SR", "Item", "Response", "ResponseState", "first_tokens", "split_words", "text_chunks"]

SR = 24_000


class ResponseState(enum.Enum):
    """Lifecycle of one response."""

    WAITING = "waiting"  # response.created sent, the reply is being written
    STREAMING = "streaming"  # output items are being sent (audio being synthesised)
    DONE = "done"


@dataclass
class Item:
    """A conversation item plus what the server keeps about it (audio samples, what the brain heard)."""

    data: dict[str, Any]
    audio: np.ndarray | None = None  # 24 kHz int16 of the audio content part
    heard: str | None = None  # words of user audio, for the responder (not sent unless transcribed)
    version: int = 0
    audio_role: str = "user"

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
        return InputSegment(("item", self.id, self.version), text, audio)


@dataclass
class Response:
    """One response in flight."""

    id: str
    data: dict[str, Any]
    in_conversation: bool
    modalities: list[str]
    voice: str
    speed: float
    output_format: dict[str, Any]
    input_items: list[Item]
    segments: list[InputSegment]
    max_tokens: int | None
    state: ResponseState = ResponseState.WAITING
    item: Item | None = None  # the assistant message being streamed
    output_index: int = 0
    transcript: str = ""
    audio_parts: list[np.ndarray] = field(default_factory=list)
    audio_samples: int = 0
    text_tokens: int = 0
    output_items: list[Item] = field(default_factory=list)
    trigger: str = "client"


def split_words(text: str) -> list[str]:
    """Split into word-sized deltas that concatenate back to ``text``.

    Examples
    --------
    >>> split_words("Two plus two is 4.")
    ['Two ', 'plus ', 'two ', 'is ', '4.']
    """
    return re.findall(r"\S+\s*|\s+", text) or ([text] if text else [])


def field_of(obj: Any, name: str) -> Any:
    """``obj[name]`` for a dict, ``obj.name`` otherwise (tool calls come as either).

    Examples
    --------
    >>> field_of({"name": "f"}, "name"), field_of(object(), "name")
    ('f', None)
    """
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def text_chunks(text: str, size: int) -> list[str]:
    """``text`` in pieces of ``size`` characters (at least one piece).

    Examples
    --------
    >>> text_chunks('{"city": "Paris"}', 8)
    ['{"city":', ' "Paris"', '}']
    """
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def first_tokens(text: str, n: int) -> str:
    """The prefix of ``text`` holding its first ``n`` tokens
    (:func:`voicelab.protocol.billing.first_text_tokens`).

    Examples
    --------
    >>> first_tokens("Hello, world! Bye.", 3)
    'Hello, world'
    """
    return first_text_tokens(text, n)
