"""EventLog: collecting raw events from a connection and reading a conversation back."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from voicelab.realtime.eventlog import EventLog


class FakeConnection:
    def __init__(self, events):
        self.frames = [json.dumps(e).encode() for e in events]

    async def recv_bytes(self):
        return self.frames.pop(0)


def delta(rid, samples):
    pcm = np.full(samples, 1000, dtype="<i2")
    return {
        "type": "response.output_audio.delta",
        "event_id": "e",
        "response_id": rid,
        "item_id": "i",
        "output_index": 0,
        "content_index": 0,
        "delta": base64.b64encode(pcm.tobytes()).decode(),
    }


async def test_collect_until_and_read_back():
    events = [
        {"type": "session.created", "event_id": "e0", "session": {"type": "realtime"}},
        delta("resp_1", 2400),
        delta("resp_1", 1200),
        delta("resp_2", 240),
        {"type": "response.output_audio_transcript.done", "event_id": "e4", "transcript": "Hi there."},
        {
            "type": "response.done",
            "event_id": "e5",
            "response": {"status": "completed", "usage": {"total_tokens": 7}},
        },
        {"type": "rate_limits.updated", "event_id": "e6", "rate_limits": []},
    ]
    log = EventLog()
    got = await log.collect(FakeConnection(events), until="response.done")
    assert [e["type"] for e in got][-1] == "response.done" and len(got) == 6
    assert log.audio("resp_1").duration == pytest.approx(0.15)
    assert log.audio().duration == pytest.approx(0.01)  # the last response by default
    assert log.transcript() == "Hi there."
    assert log.usage() == {"total_tokens": 7}
    table = log.table(skip=["response.output_audio.delta"])
    assert [row[1] for row in table.rows] == [
        "session.created",
        "response.output_audio_transcript.done",
        "response.done",
    ]
    assert "completed, 7 tokens" in str(table) and "<table>" in table._repr_html_()
    assert repr(table) == "EventTable(3 events)" and repr(log) == "EventLog(6 events)"


async def test_collect_times_out():
    class Silent:
        async def recv_bytes(self):
            import asyncio

            await asyncio.sleep(10)

    with pytest.raises(TimeoutError):
        await EventLog().collect(Silent(), until="response.done", timeout=0.05)
