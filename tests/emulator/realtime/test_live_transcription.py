"""Streaming recognition in the Realtime emulator: real speech through the official SDK, in real time.

The emulator runs its real engines (Silero VAD, streaming Whisper base, scripted responder, Piper). Speech is
appended in 100 ms chunks at the pace of real time, so the input transcription's deltas can only arrive
before ``speech_stopped`` if the emulator recognises the speech while it is being appended. Every event is
checked with the SDK's strict ``TypeAdapter``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import numpy as np
import pytest

from voicelab import samples
from voicelab.engines.scoring import word_error_rate

from .test_route import b64, next_event, real_server, sdk, speech  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow

SR = 24000
CHUNK = 2400  # 100 ms
DELTA = "conversation.item.input_audio_transcription.delta"
COMPLETED = "conversation.item.input_audio_transcription.completed"
SENTENCE = "What is two plus two? Please tell me the answer slowly and clearly."


@pytest.fixture
def configured(real_server, validate):  # noqa: F811 (the fixture imported above)
    """``async with configured(session, **connect) as conn``: an SDK connection to the emulator with its real
    engines (``real_server``, shared with ``test_route.py``), ``session.update`` sent and answered."""

    @contextlib.asynccontextmanager
    async def connect(session: dict, **options) -> AsyncIterator:
        async with sdk(real_server).realtime.connect(**options) as conn:
            await next_event(conn, validate)
            await conn.session.update(session=session)
            assert (await next_event(conn, validate))["type"] == "session.updated"
            yield conn

    return connect


async def _stream_turn(conn, validate, pcm: np.ndarray, *, until: set[str]) -> list[dict]:
    """Append ``pcm`` in real time while receiving; return the events (with arrival times) until every type
    in ``until`` was seen."""
    events: list[dict] = []

    async def sender() -> None:
        start = time.monotonic()
        for k, i in enumerate(range(0, pcm.size, CHUNK)):
            await asyncio.sleep(max(start + k * 0.1 - time.monotonic(), 0))
            await conn.input_audio_buffer.append(audio=b64(pcm[i : i + CHUNK]))

    task = asyncio.create_task(sender())
    seen: set[str] = set()
    try:
        while not until <= seen:
            event = await next_event(conn, validate, timeout=120)
            event["_at"] = time.monotonic()
            events.append(event)
            seen.add(event["type"])
    finally:
        await task
    return events


def _types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


def _check_streamed(types: list[str]) -> None:
    """Text was recognised before the turn was committed: the deltas kept back until the item existed come
    at once after ``conversation.item.done`` (after the fact, the item's events and ``response.created``
    would go out first and the deltas only when Whisper has finished), and ``completed`` comes last."""
    done = types.index("conversation.item.done")
    assert types.index("input_audio_buffer.committed") < types.index("conversation.item.added") < done
    assert types[done + 1] == DELTA
    assert types.index(COMPLETED) > max(i for i, t in enumerate(types) if t == DELTA)


async def test_deltas_stream_while_the_user_speaks_then_the_answer(configured, validate):
    utterance = speech(SENTENCE)
    session = {
        "type": "realtime",
        "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe", "language": "en"}}},
    }
    async with configured(session, model="gpt-realtime") as conn:
        events = await _stream_turn(conn, validate, utterance, until={COMPLETED, "response.done"})
    types = _types(events)
    deltas = [e for e in events if e["type"] == DELTA]
    completed = next(e for e in events if e["type"] == COMPLETED)
    _check_streamed(types)
    item_id = events[types.index("conversation.item.added")]["item"]["id"]
    assert {e["item_id"] for e in deltas} == {item_id} == {completed["item_id"]}
    assert "".join(e["delta"] for e in deltas) == completed["transcript"]
    assert word_error_rate(SENTENCE, completed["transcript"].replace("2", "two")) <= 0.15
    # the scripted responder echoes what it heard: the streamed final transcript, given to it at once
    answer = next(e for e in events if e["type"] == "response.output_audio_transcript.done")["transcript"]
    assert completed["transcript"] in answer
    assert types.index("response.created") < types.index("response.output_audio.delta")


async def test_transcription_session_streams_deltas_before_a_long_turn_ends(configured, validate):
    """A transcription session (intent=transcription): deltas of the first phrases arrive while the user is
    still speaking (a sample with pauses shorter than the turn's silence_duration_ms)."""
    y, _ = samples.load("en_directions")
    info = next(s for s in samples.manifest() if s.name == "en_directions")
    pcm = np.concatenate([(np.clip(y, -1, 1) * 32767).astype(np.int16), np.zeros(2 * SR, np.int16)])
    session = {
        "type": "transcription",
        "audio": {
            "input": {
                "transcription": {"model": "gpt-4o-mini-transcribe", "language": "en"},
                "turn_detection": {"type": "server_vad", "silence_duration_ms": 1300},
            }
        },
    }
    async with configured(session, extra_query={"intent": "transcription"}) as conn:
        events = await _stream_turn(conn, validate, pcm, until={COMPLETED})
    types = _types(events)
    deltas = [e for e in events if e["type"] == DELTA]
    completed = events[types.index(COMPLETED)]
    assert "response.created" not in types
    assert "".join(e["delta"] for e in deltas) == completed["transcript"]
    assert word_error_rate(info.text, completed["transcript"]) <= 0.15
    _check_streamed(types)
    assert "input_audio_buffer.speech_started" in types and "input_audio_buffer.speech_stopped" in types


async def test_manual_commit_still_transcribes(configured, validate):
    utterance = speech("The quick brown fox jumps over the lazy dog.")
    session = {
        "type": "transcription",
        "audio": {
            "input": {
                "turn_detection": None,
                "transcription": {"model": "gpt-4o-transcribe", "language": "en"},
            }
        },
    }
    async with configured(session, extra_query={"intent": "transcription"}) as conn:
        for i in range(0, utterance.size, 4 * CHUNK):
            await conn.input_audio_buffer.append(audio=b64(utterance[i : i + 4 * CHUNK]))
        await conn.input_audio_buffer.commit()
        events = []
        while not events or events[-1]["type"] != COMPLETED:
            events.append(await next_event(conn, validate, timeout=120))
    types = _types(events)
    deltas = [e for e in events if e["type"] == DELTA]
    assert types.index("input_audio_buffer.committed") < types.index("conversation.item.added")
    assert types.index("conversation.item.added") < types.index(DELTA) < types.index(COMPLETED)
    assert "".join(e["delta"] for e in deltas) == events[-1]["transcript"]
    assert "quick brown fox" in events[-1]["transcript"].lower()


async def test_two_sessions_at_once_both_stream(configured, validate):
    """Two sessions speaking at the same time share the STT executor: each one's text is still recognised
    while it speaks (neither waits for the other's turn to end) and both transcripts are right."""
    texts = ["The weather is nice today.", "Turn left at the next corner, then walk two blocks."]

    async def session(text: str) -> list[dict]:
        session = {
            "type": "transcription",
            "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe", "language": "en"}}},
        }
        async with configured(session, extra_query={"intent": "transcription"}) as conn:
            return await _stream_turn(conn, validate, speech(text), until={COMPLETED})

    results = await asyncio.gather(*(session(text) for text in texts))
    for text, events in zip(texts, results, strict=True):
        types = _types(events)
        _check_streamed(types)
        completed = events[types.index(COMPLETED)]
        assert "".join(e["delta"] for e in events if e["type"] == DELTA) == completed["transcript"]
        assert word_error_rate(text, completed["transcript"].replace("2", "two")) <= 0.2
