"""What a responder is: chat-completions-style messages in, a :class:`Reply` (text or tool calls) out.

Examples
--------
>>> Reply("Hi.").text, content_text([{"type": "input_text", "text": "Hello"}, {"transcript": "there"}])
('Hi.', 'Hello there')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Reply", "Responder", "ToolCall", "content_text"]


@dataclass(frozen=True)
class ToolCall:
    """A function call decided by the responder; ``arguments`` is JSON text."""

    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Reply:
    """What the responder says: text, or tool calls (then ``text`` is usually empty, and ``preamble`` is what
    a voice model says before calling them; see :mod:`.preamble`)."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    preamble: str = ""


class Responder(Protocol):
    """``parallel_tool_calls``: True lets the reply call several tools at once, False (or None, the
    Realtime default) at most one."""

    async def respond(
        self,
        messages: list[dict[str, Any]],
        *,
        instructions: str | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = "auto",
        parallel_tool_calls: bool | None = None,
    ) -> Reply: ...


def content_text(content: Any) -> str:
    """Text of a message's content: a string, or the text of its parts (text, input_text, transcripts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict):
                value = part.get("text") or part.get("transcript")
                if isinstance(value, str):
                    texts.append(value)
        return " ".join(t.strip() for t in texts if t.strip())
    return str(content)
