"""Diarization in Realtime input transcription (``gpt-4o-transcribe-diarize``), with the real engines, over
the WebSocket with the official SDK.

Two emulator voices that the diarization benchmark separates (onyx and shimmer, docs/diarization.md), spoken
by the emulator's own TTS, are sent as user turns A, B, A: every item's transcription carries
``conversation.item.input_audio_transcription.segment`` events (after the deltas, before ``completed``) whose
labels hold across the session. Every event is validated strictly against the SDK's types.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from typing import Any

import pytest
from openai import AsyncOpenAI
from openai.types.realtime import ConversationItemInputAudioTranscriptionSegment
from pydantic import TypeAdapter

from voicelab.emulator.server import EmbeddedServer

from .conftest import API_KEY, start_server

pytestmark = pytest.mark.slow

SR = 24000
DIARIZE = "gpt-4o-transcribe-diarize"
TRANSCRIPTION = "conversation.item.input_audio_transcription."
SEGMENT = TypeAdapter(ConversationItemInputAudioTranscriptionSegment)
TURNS = (  # (voice, what it says): turns 1 and 3 are the same voice saying different things
    ("onyx", "Good morning, I would like to book a table for two people tonight."),
    ("shimmer", "Of course. What time would you like to come in this evening?"),
    ("onyx", "At eight, please, and we would like a quiet table by the window."),
)


@pytest.fixture(scope="module")
def server():
    srv = start_server()  # the real offline engines
    yield srv
    srv.stop()


def _sdk(srv: EmbeddedServer) -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key=API_KEY, base_url=srv.base_url, websocket_base_url=srv.websocket_base_url, max_retries=0
    )


@pytest.fixture(scope="module")
def turns(server) -> list[bytes]:
    """Each turn spoken by the emulator's TTS (``/v1/audio/speech``, 24 kHz PCM16), with 0.3 s of silence
    either side."""

    async def speak() -> list[bytes]:
        async with _sdk(server) as client:
            spoken = [
                await client.audio.speech.create(model="gpt-4o-mini-tts", voice=voice, input=text,
                                                 response_format="pcm")
                for voice, text in TURNS
            ]  # fmt: skip
        pad = bytes(2 * int(0.3 * SR))
        return [pad + audio.content + pad for audio in spoken]

    return asyncio.run(speak())


async def _next(conn, validate, timeout: float = 180) -> dict[str, Any]:
    event = json.loads(await asyncio.wait_for(conn.recv_bytes(), timeout))
    validate(event)
    return event


async def _transcribed_turns(server, validate, session: dict[str, Any], turns: list[bytes], *,
                             intent: str) -> list[list[dict[str, Any]]]:  # fmt: skip
    """Send each turn (append in 100 ms chunks, then commit; with server VAD 1.2 s of silence instead, the VAD
    commits) and collect its item's transcription events, up to ``completed``."""
    vad = session["audio"]["input"]["turn_detection"] is not None
    per_item: list[list[dict[str, Any]]] = []
    async with _sdk(server) as client, client.realtime.connect(extra_query={"intent": intent}) as conn:
        assert (await _next(conn, validate))["type"] == "session.created"
        await conn.session.update(session=session)
        assert (await _next(conn, validate))["type"] == "session.updated"
        for turn in turns:
            pcm = turn + bytes(2 * int(1.2 * SR)) if vad else turn
            for start in range(0, len(pcm), SR // 5):  # 100 ms of PCM16
                chunk = pcm[start : start + SR // 5]
                await conn.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())
            if not vad:
                await conn.input_audio_buffer.commit()
            events: list[dict[str, Any]] = []
            while not events or events[-1]["type"] != TRANSCRIPTION + "completed":
                event = await _next(conn, validate)
                assert event["type"] not in ("error", TRANSCRIPTION + "failed"), event
                if event["type"].startswith(TRANSCRIPTION):
                    events.append(event)
            assert {e["item_id"] for e in events} == {events[-1]["item_id"]}
            per_item.append(events)
    return per_item


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def _session(kind: str, model: str, *, vad: bool = False) -> dict[str, Any]:
    detection = {"type": "server_vad", "silence_duration_ms": 800, "create_response": False} if vad else None
    audio_input = {"transcription": {"model": model, "language": "en"}, "turn_detection": detection}
    extra = {"output_modalities": ["text"]} if kind == "realtime" else {}
    return {"type": kind, "audio": {"input": audio_input}, **extra}


@pytest.mark.parametrize(("intent", "vad"), [("transcription", False), ("conversation", False),
                                             ("transcription", True)], ids=["transcription", "conversation",
                                                                            "transcription-server-vad"])
async def test_turns_a_b_a_get_segments_labelled_by_voice_across_the_session(server, validate, turns, intent,
                                                                             vad):  # fmt: skip
    kind = "transcription" if intent == "transcription" else "realtime"
    session = _session(kind, DIARIZE, vad=vad)
    per_item = await _transcribed_turns(server, validate, session, turns, intent=intent)
    labels = []
    for events, pcm, (_, said) in zip(per_item, turns, TURNS, strict=True):
        kinds = [e["type"].rsplit(".", 1)[-1] for e in events]
        segments = [e for e in events if e["type"].endswith(".segment")]
        assert segments, kinds
        deltas = len(kinds) - len(segments) - 1
        assert kinds == ["delta"] * deltas + ["segment"] * len(segments) + ["completed"] and deltas > 0
        for segment in segments:
            SEGMENT.validate_python(json.loads(json.dumps(segment)), strict=True)
        duration = len(pcm) / 2 / SR
        bounds = [(s["start"], s["end"]) for s in segments]
        assert all(0 <= start < end <= duration + 1e-3 for start, end in bounds), (bounds, duration)
        assert bounds == sorted(bounds) and len({s["id"] for s in segments}) == len(segments)
        transcript = events[-1]["transcript"]
        assert _words(" ".join(s["text"] for s in segments)) == _words(transcript)
        assert len(set(_words(transcript)) & set(_words(said))) >= 0.7 * len(set(_words(said)))
        labels.append({s["speaker"] for s in segments})
    assert labels[0] == labels[2] == {"A"}  # onyx, twice, one label
    assert labels[1] == {"B"}  # shimmer


async def test_another_model_sends_no_segment_events(server, validate, turns):
    per_item = await _transcribed_turns(server, validate, _session("transcription", "gpt-4o-transcribe"),
                                        turns[:2], intent="transcription")  # fmt: skip
    for events in per_item:
        assert not [e for e in events if e["type"].endswith(".segment")]
        assert len(events[-1]["transcript"]) > 20
    diarized = await _transcribed_turns(server, validate, _session("transcription", DIARIZE), turns[:2],
                                        intent="transcription")  # fmt: skip
    assert all(any(e["type"].endswith(".segment") for e in events) for events in diarized)

