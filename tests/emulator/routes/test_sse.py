"""The one SSE framing of the streaming routes: compact UTF-8 JSON per ``data:`` line, then a blank line."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from voicelab.emulator.routes._sse import DONE, event_stream, sse_frame


def test_frames_are_compact_utf8_json_lines():
    assert sse_frame({"type": "x", "delta": "東京駅"}) == 'data: {"type":"x","delta":"東京駅"}\n\n'.encode()
    assert sse_frame(DONE) == b"data: [DONE]\n\n"


async def test_event_stream_sends_each_event_as_it_comes_uncached():
    app = FastAPI()

    @app.get("/events")
    async def events():
        async def produce():
            yield {"type": "speech.audio.delta", "audio": "AAA="}
            yield {"type": "speech.audio.done", "usage": {"total_tokens": 3}}
            yield DONE

        return event_stream(produce())

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as http:
        reply = await http.get("/events")
    assert reply.headers["content-type"].startswith("text/event-stream")
    assert reply.headers["cache-control"] == "no-cache"
    assert reply.text.split("\n\n") == [
        'data: {"type":"speech.audio.delta","audio":"AAA="}',
        'data: {"type":"speech.audio.done","usage":{"total_tokens":3}}',
        "data: [DONE]",
        "",
    ]
