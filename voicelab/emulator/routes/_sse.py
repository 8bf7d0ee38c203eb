"""Server-sent events: the one framing every streaming route uses (speech, transcriptions, chat).

OpenAI streams each event as one ``data:`` line of compact JSON followed by a blank line; chat completions
end with ``data: [DONE]``. The routes yield events (dicts, or :data:`DONE`) and :func:`event_stream` frames
them into a ``text/event-stream`` response.

Examples
--------
>>> sse_frame({"type": "transcript.text.delta", "delta": "こんにちは"}).decode()
'data: {"type":"transcript.text.delta","delta":"こんにちは"}\\n\\n'
>>> sse_frame(DONE)
b'data: [DONE]\\n\\n'
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from typing import Any

from fastapi.responses import StreamingResponse

__all__ = ["DONE", "Event", "event_stream", "sse_frame"]

DONE = "[DONE]"
"""The sentinel that ends a chat-completions stream."""

Event = Mapping[str, Any] | str


def sse_frame(event: Event) -> bytes:
    """One event as an SSE ``data:`` frame: compact UTF-8 JSON (a string such as :data:`DONE` as is)."""
    data = event if isinstance(event, str) else json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    return f"data: {data}\n\n".encode()


async def _frames(events: AsyncIterable[Event]) -> AsyncIterator[bytes]:
    async for event in events:
        yield sse_frame(event)


def event_stream(events: AsyncIterable[Event]) -> StreamingResponse:
    """A ``text/event-stream`` response sending ``events`` as they come (never cached)."""
    return StreamingResponse(
        _frames(events), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
