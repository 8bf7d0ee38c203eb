"""``/v1/realtime`` over a real loopback port: the official SDK as client, auth, ephemeral keys, faults.

Tests with fake engines are quick; the voice conversation and transcription tests use the real offline engines
(Piper TTS to make the user's speech, Silero VAD, Whisper, Piper for the answer) and are marked slow.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time

import numpy as np
import pytest
import websockets
from openai import AsyncOpenAI

from voicelab.emulator.realtime.route import Engines, default_vad_factory
from voicelab.emulator.server import EmbeddedServer

from .conftest import (
    API_KEY,
    ask,
    raw_connect,
    recv_json,
    request_answer,
    start_server,
    user_message,
    user_text,
)

SR = 24000


SYNTHESIZED: list[tuple[str, str]] = []  # (text, voice) of every fake TTS call, to check the voice used


def fake_synthesize(text, *, voice, speed):
    SYNTHESIZED.append((text, voice))
    n = int(0.05 * SR * max(len(text.split()), 1))
    return (0.3 * np.sin(np.arange(n) / SR * 2 * np.pi * 200)).astype(np.float32), SR


def fake_transcribe(y, sr, *, language=None, prompt=None):
    return "what is two plus two"


@pytest.fixture(scope="module")
def server():
    """An emulator with fast fake engines (tone TTS, fixed STT) but the real VAD state machine."""
    srv = start_server(
        Engines(synthesize=fake_synthesize, transcribe=fake_transcribe, vad_factory=default_vad_factory)
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def real_server():
    """An emulator with the real offline engines."""
    srv = start_server()
    yield srv
    srv.stop()


def sdk(srv: EmbeddedServer, key: str = API_KEY) -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key=key, base_url=srv.base_url, websocket_base_url=srv.websocket_base_url, max_retries=0
    )


async def next_event(conn, validate, timeout: float = 60.0) -> dict:
    raw = await asyncio.wait_for(conn.recv_bytes(), timeout)
    event = json.loads(raw)
    validate(event)
    return event


async def events_until(conn, validate, kind: str, timeout: float = 120.0) -> list[dict]:
    out: list[dict] = []
    deadline = time.monotonic() + timeout
    while not out or out[-1]["type"] != kind:
        out.append(await next_event(conn, validate, max(deadline - time.monotonic(), 0.1)))
    return out


async def sdk_ask(
    conn, validate, text: str, *, modalities: list[str] | None = None, until: str = "response.done"
) -> list[dict]:
    """Through the SDK: a user text message, ``response.create`` (``output_modalities`` when given), then the
    server events up to and including ``until``."""
    await conn.conversation.item.create(item=user_message(text))
    if modalities is None:
        await conn.response.create()
    else:
        await conn.response.create(response={"output_modalities": modalities})
    return await events_until(conn, validate, until)


def b64(pcm: np.ndarray) -> str:
    return base64.b64encode(pcm.astype("<i2").tobytes()).decode()


def speech(text: str) -> np.ndarray:
    from voicelab.engines import tts

    audio = tts.synthesize(text, voice="alloy")
    y = np.concatenate(
        [np.zeros(int(0.4 * SR), np.float32), audio.y.astype(np.float32), np.zeros(int(1.2 * SR), np.float32)]
    )
    return (np.clip(y, -1, 1) * 32767).astype(np.int16)


# ---------------------------------------------------------------------------------------------- conversation
@pytest.mark.slow
async def test_sdk_voice_conversation_with_real_engines(real_server, validate):
    utterance = speech("What is two plus two?")
    async with sdk(real_server).realtime.connect(model="gpt-realtime") as conn:
        created = await next_event(conn, validate)
        assert created["type"] == "session.created"
        await conn.session.update(
            session={
                "type": "realtime",
                "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}},
            }
        )
        assert (await next_event(conn, validate))["type"] == "session.updated"
        for i in range(0, utterance.size, 2400):  # 100 ms chunks
            await conn.input_audio_buffer.append(audio=b64(utterance[i : i + 2400]))
        events = await events_until(conn, validate, "rate_limits.updated")
    types = [e["type"] for e in events]
    for expected in (
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.input_audio_transcription.completed",
        "response.created",
        "response.output_audio.delta",
        "response.done",
    ):
        assert expected in types
    assert (
        types.index("input_audio_buffer.speech_started")
        < types.index("input_audio_buffer.speech_stopped")
        < types.index("input_audio_buffer.committed")
        < types.index("response.created")
    )
    started = events[types.index("input_audio_buffer.speech_started")]
    stopped = events[types.index("input_audio_buffer.speech_stopped")]
    speech_end_ms = (utterance.size - int(1.2 * SR)) * 1000 // SR
    assert 0 <= started["audio_start_ms"] <= 400  # speech begins at 400 ms; minus the 300 ms padding
    assert (
        speech_end_ms < stopped["audio_end_ms"] <= speech_end_ms + 500 + 100
    )  # + silence_duration_ms + frames
    heard = next(e for e in events if e["type"] == "conversation.item.input_audio_transcription.completed")
    assert "plus" in heard["transcript"].lower()
    answer = next(e for e in events if e["type"] == "response.output_audio_transcript.done")["transcript"]
    assert "4" in answer or "four" in answer.lower()
    audio = b"".join(
        base64.b64decode(e["delta"]) for e in events if e["type"] == "response.output_audio.delta"
    )
    done = events[types.index("response.done")]["response"]
    assert done["status"] == "completed"
    assert done["usage"]["output_token_details"]["audio_tokens"] == int(
        np.ceil(len(audio) / 2 / SR * 1000 / 50)
    )
    assert done["usage"]["input_token_details"]["audio_tokens"] == int(
        np.ceil((stopped["audio_end_ms"] - started["audio_start_ms"]) / 100)
    )


@pytest.mark.slow
async def test_sdk_transcription_session_with_real_engines(real_server, validate):
    utterance = speech("The quick brown fox jumps over the lazy dog.")
    async with sdk(real_server).realtime.connect(extra_query={"intent": "transcription"}) as conn:
        created = await next_event(conn, validate)
        assert created["session"]["type"] == "transcription"
        await conn.session.update(
            session={
                "type": "transcription",
                "audio": {
                    "input": {
                        "turn_detection": None,
                        "transcription": {"model": "whisper-1", "language": "en"},
                    }
                },
            }
        )
        await next_event(conn, validate)
        await conn.input_audio_buffer.append(audio=b64(utterance))
        await conn.input_audio_buffer.commit()
        events = await events_until(conn, validate, "conversation.item.input_audio_transcription.completed")
    completed = events[-1]
    assert "quick brown fox" in completed["transcript"].lower()
    assert completed["usage"]["type"] == "duration"
    assert completed["usage"]["seconds"] == pytest.approx(utterance.size / SR, abs=0.01)
    assert "response.created" not in [e["type"] for e in events]


async def test_sdk_text_turn_and_errors_keep_session(server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        await conn.send({"type": "input_audio_buffer.commit", "event_id": "evt_empty"})
        error = await next_event(conn, validate)
        assert error["error"]["code"] == "input_audio_buffer_commit_empty"
        assert error["error"]["event_id"] == "evt_empty"
        events = await sdk_ask(
            conn, validate, "What is 2 + 3?", modalities=["text"], until="rate_limits.updated"
        )
        text = next(e for e in events if e["type"] == "response.output_text.done")["text"]
        assert "5" in text


async def test_sdk_barge_in_and_truncate(server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        events = await sdk_ask(conn, validate, "Tell me a long story about a cat, a dog and a very old tree.")
        item_id = next(e for e in events if e["type"] == "response.output_item.done")["item"]["id"]
        await conn.conversation.item.truncate(item_id=item_id, content_index=0, audio_end_ms=10_000_000)
        error = (await events_until(conn, validate, "error"))[-1]
        assert error["error"]["message"].startswith("Audio content of ")
        assert error["error"]["message"].endswith("ms is already shorter than 10000000ms")
        await conn.conversation.item.truncate(item_id=item_id, content_index=0, audio_end_ms=50)
        truncated = (await events_until(conn, validate, "conversation.item.truncated"))[-1]
        assert truncated["audio_end_ms"] == 50


# ---------------------------------------------------------------------------------------------- auth
async def test_browser_subprotocol_auth(server, validate):
    ws = await raw_connect(server, key=None, subprotocols=["realtime", f"openai-insecure-api-key.{API_KEY}"])
    async with ws:
        assert ws.subprotocol == "realtime"
        assert (await recv_json(ws, validate))["type"] == "session.created"


@pytest.mark.parametrize(
    "key, subprotocols",
    [("sk-wrong", None), (None, None), (None, ["realtime", "openai-insecure-api-key.sk-wrong"])],
    ids=["wrong-bearer", "missing", "wrong-subprotocol"],
)
async def test_bad_key_gets_error_then_close(server, validate, key, subprotocols):
    ws = await raw_connect(server, key=key, subprotocols=subprotocols)
    async with ws:
        error = await recv_json(ws, validate)
        assert error["type"] == "error" and error["error"]["code"] == "invalid_api_key"
        assert API_KEY not in json.dumps(error)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd.code == 1008


async def test_beta_header_is_refused(server, validate):
    ws = await raw_connect(server, headers={"OpenAI-Beta": "realtime=v1"})
    async with ws:
        error = await recv_json(ws, validate)
        assert error["error"]["code"] == "beta_api_shape_disabled"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd.code == 4000 and closed.value.rcvd.reason == "beta_api_shape_disabled"


async def test_unknown_model_is_refused_like_openai(server, validate):
    """``?model=no-such-model`` gets OpenAI's ``model_not_found`` error event and a close, not a session."""
    async with sdk(server).realtime.connect(model="no-such-model") as conn:
        error = await next_event(conn, validate, timeout=10)
        assert error["type"] == "error"
        assert (error["error"]["code"], error["error"]["param"]) == ("model_not_found", "model")
        assert error["error"]["message"].startswith(
            "The model `no-such-model` does not exist or you do not have access to it."
        )
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(conn.recv_bytes(), 10)
        assert closed.value.rcvd.code == 1008


async def test_session_update_with_an_unknown_transcription_model_is_an_error_event(server, validate):
    """The session stays open and keeps its transcription model (``bogus-stt`` used to be accepted)."""
    async with sdk(server).realtime.connect(model="gpt-realtime-2") as conn:
        await next_event(conn, validate, timeout=10)
        await conn.session.update(
            session={"type": "realtime", "audio": {"input": {"transcription": {"model": "bogus-stt"}}}},
            event_id="evt_bogus",
        )
        error = await next_event(conn, validate, timeout=10)
        body = error["error"]
        assert (error["type"], body["code"], body["param"], body["event_id"]) == (
            "error",
            "model_not_found",
            "session.audio.input.transcription.model",
            "evt_bogus",
        )
        audio = {"input": {"transcription": {"model": "gpt-realtime-whisper"}}}
        await conn.session.update(session={"type": "realtime", "audio": audio})
        updated = await next_event(conn, validate, timeout=10)
        assert updated["type"] == "session.updated"
        assert updated["session"]["audio"]["input"]["transcription"]["model"] == "gpt-realtime-whisper"


@pytest.mark.parametrize("model", ["gpt-realtime-2", "gpt-realtime-2.1-mini", "gpt-audio-1.5"])
async def test_current_realtime_models_open_a_session(server, validate, model):
    async with sdk(server).realtime.connect(model=model) as conn:
        created = await next_event(conn, validate, timeout=10)
        assert (created["type"], created["session"]["model"]) == ("session.created", model)


async def test_ephemeral_key_gates_connecting_and_the_session_outlives_it(server, validate):
    keys = server._app.state.keys
    key = keys.mint(
        {"type": "realtime", "instructions": "You are a pirate.", "audio": {"output": {"voice": "verse"}}},
        seconds=1,
    )
    connected = time.time()
    ws = await raw_connect(server, key=key.value)
    async with ws:
        created = await recv_json(ws, validate)
        assert created["session"]["instructions"] == "You are a pirate."
        assert created["session"]["audio"]["output"]["voice"] == "verse"
        # the session's own limit is OpenAI's 60 minutes from connecting, not the key's expiry
        assert abs(created["session"]["expires_at"] - (connected + 3600)) <= 2
        await asyncio.sleep(max(key.expires_at - time.time(), 0) + 0.3)
        assert time.time() > key.expires_at
        # the key has expired: the running session goes on and answers
        update = {"type": "session.update", "session": {"type": "realtime", "instructions": "Arr."}}
        await ws.send(json.dumps(update))
        updated = await recv_json(ws, validate, timeout=5)
        assert (updated["type"], updated["session"]["instructions"]) == ("session.updated", "Arr.")
        seen = await ask(ws, validate, "Hi", modalities=["text"], timeout=30)
        assert seen[-1]["response"]["status"] == "completed"
        assert "error" not in [e["type"] for e in seen]
    ws = await raw_connect(server, key=key.value)  # a new connection with the expired key is refused
    async with ws:
        refused = await recv_json(ws, validate)
        assert refused["error"]["code"] == "invalid_api_key" and "expired" in refused["error"]["message"]


async def test_sdk_minted_key_session_is_the_session_and_speaks_with_its_voice(server, validate):
    async with sdk(server) as client:  # closed after use: its HTTP connection pool holds sockets
        secret = await client.realtime.client_secrets.create(
            session={
                "type": "realtime",
                "instructions": "You are a pirate. Say arr.",
                "audio": {
                    "output": {"voice": "ash"},
                    "input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": 800}},
                },
            }
        )
    assert secret.value.startswith("ek_")
    async with sdk(server, key=secret.value).realtime.connect(model="gpt-realtime") as conn:
        created = await next_event(conn, validate)
        assert created["type"] == "session.created"
        session = created["session"]
        assert session["audio"]["output"]["voice"] == "ash"
        assert session["instructions"] == "You are a pirate. Say arr."
        assert session["audio"]["input"]["turn_detection"]["silence_duration_ms"] == 800
        before = len(SYNTHESIZED)  # earlier tests' answers share pieces ("You said:") with this one
        events = await sdk_ask(conn, validate, "Hello ship.")
    assert events[-1]["response"]["status"] == "completed"
    assert (
        next(e for e in events if e["type"] == "response.created")["response"]["audio"]["output"]["voice"]
        == "ash"
    )
    answer = next(e for e in events if e["type"] == "response.output_audio_transcript.done")["transcript"]
    spoken = [(text, voice) for text, voice in SYNTHESIZED[before:] if text in answer]
    assert spoken and all(voice == "ash" for _, voice in spoken)  # the engine was asked for the key's voice


async def test_key_with_a_session_the_core_refuses_is_a_loud_server_error(server, validate, caplog):
    # cannot happen through POST /v1/realtime/client_secrets (it validates with the same code); if a bug ever
    # stores such a session, the connection must not quietly fall back to the defaults
    key = server._app.state.keys.mint({"type": "realtime", "audio": {"output": {"speed": 9}}}, seconds=60)
    with caplog.at_level("ERROR", logger="voicelab.emulator.realtime.route"):
        ws = await raw_connect(server, key=key.value)
        async with ws:
            error = await recv_json(ws, validate)
            assert error["error"]["type"] == "server_error"
            assert error["error"]["param"] == "session.audio.output.speed"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd.code == 1011
    assert any("ephemeral key" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    assert key.value not in caplog.text


# ---------------------------------------------------------------------------------------------- faults
async def test_fault_429_on_connect(server):
    with pytest.raises(websockets.InvalidStatus) as refused:
        await raw_connect(server, query="model=gpt-realtime&fault_status=429")
    response = refused.value.response
    assert response.status_code == 429
    assert json.loads(response.body)["error"]["code"] == "rate_limit_exceeded"


async def test_fault_drop_after_n_events(server, validate):
    ws = await raw_connect(server, query="model=gpt-realtime&fault_drop_after=3")
    async with ws:
        await recv_json(ws, validate)
        for _ in range(3):
            await ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
        received = 1
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await recv_json(ws, validate)
                received += 1
        assert received == 3 and closed.value.rcvd.code == 1011


async def test_fault_expire_early(server, validate):
    ws = await raw_connect(server, query="model=gpt-realtime&fault_expire_after=0.3")
    async with ws:
        await recv_json(ws, validate)
        error = await recv_json(ws, validate, timeout=5)
        assert error["error"]["code"] == "session_expired"


async def test_fault_latency_delays_every_event(server, validate):
    ws = await raw_connect(server, query="model=gpt-realtime&fault_latency_ms=80&fault_jitter_ms=20")
    async with ws:
        await recv_json(ws, validate)
        started = time.monotonic()
        for _ in range(5):
            await ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
        for _ in range(5):
            assert (await recv_json(ws, validate))["type"] == "input_audio_buffer.cleared"
        assert time.monotonic() - started >= 5 * 0.08


async def test_bad_fault_query_is_an_error(server, validate):
    ws = await raw_connect(server, query="model=gpt-realtime&fault_drop_after=lots")
    async with ws:
        error = await recv_json(ws, validate)
        assert error["error"]["param"] == "fault_drop_after"


async def test_pacing_sends_audio_in_real_time(server, validate):
    ws = await raw_connect(server, query="model=gpt-realtime&pacing=on")
    async with ws:
        await recv_json(ws, validate)
        await request_answer(ws, "Say something.")
        first = audio_seconds = None
        while True:
            event = await recv_json(ws, validate, timeout=30)
            if event["type"] == "response.output_audio.delta":
                first = first or time.monotonic()
                audio_seconds = (audio_seconds or 0) + len(base64.b64decode(event["delta"])) / 2 / SR
            if event["type"] == "response.done":
                break
        elapsed = time.monotonic() - first
        last_chunk = 0.1
        assert elapsed >= audio_seconds - last_chunk - 0.05


STORY_PART = "Part {} of the story tells how the old cat met the dog. "
STORY = "".join(STORY_PART.format(i) for i in range(1, 21))
STORY_SECONDS = 20 * fake_synthesize(STORY_PART.format(1).strip(), voice="alloy", speed=1.0)[0].size / SR


class StoryResponder:
    """Always answers with a long story (13 s with the fake TTS), to be interrupted."""

    async def respond(self, messages, *, instructions=None, tools=None, tool_choice="auto"):
        from voicelab.emulator.responder import Reply

        return Reply(text=STORY)


@pytest.fixture(scope="module")
def story_server():
    srv = start_server(
        Engines(synthesize=fake_synthesize, transcribe=fake_transcribe, vad_factory=default_vad_factory)
    )
    srv._app.state.responder = StoryResponder()
    yield srv
    srv.stop()


def delta_seconds(events: list[dict], response_id: str) -> float:
    """Seconds of output audio (24 kHz PCM16) received for one response in ``events``."""
    return sum(
        len(base64.b64decode(e["delta"])) / 2 / SR
        for e in events
        if e["type"] == "response.output_audio.delta" and e["response_id"] == response_id
    )


async def test_paced_answer_is_interrupted_while_it_plays(story_server, validate):
    """With pacing on, the user's speech is heard while the answer streams (barge-in), not after it.

    The answer is 13 s of audio sent at playback speed; 0.5 s into a spoken sample streamed like a
    microphone (100 ms chunks in real time) the VAD hears speech. Measured on the audio timeline,
    speech_started must come after only a small part of the answer's audio, and the answer must end there:
    response.done ``cancelled``, no delta after speech_started, its usage and transcript being what the
    client actually received.
    """

    from voicelab import samples

    voice = samples.load("en_weather")  # speech from 0.5 s
    pcm = (np.clip(voice.y, -1, 1) * 32767).astype(np.int16)
    ws = await raw_connect(story_server, query="model=gpt-realtime&pacing=on")
    async with ws:
        await recv_json(ws, validate)
        await request_answer(ws, "Tell me a long story.")
        events = [await recv_json(ws, validate, timeout=30)]
        while events[-1]["type"] != "response.output_audio.delta":
            events.append(await recv_json(ws, validate, timeout=30))
        answer_id = events[-1]["response_id"]

        async def microphone() -> None:
            for i in range(0, pcm.size, 2400):
                await ws.send(
                    json.dumps({"type": "input_audio_buffer.append", "audio": b64(pcm[i : i + 2400])})
                )
                await asyncio.sleep(0.1)

        talking = asyncio.create_task(microphone())
        try:
            while not (events[-1]["type"] == "response.done" and events[-1]["response"]["id"] == answer_id):
                events.append(await recv_json(ws, validate, timeout=30))
        finally:
            talking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await talking
    types = [e["type"] for e in events]
    assert "input_audio_buffer.speech_started" in types, "the answer ended before the user was heard"
    started = types.index("input_audio_buffer.speech_started")
    heard_after = delta_seconds(events[:started], answer_id)
    assert heard_after < 0.3 * STORY_SECONDS, f"speech_started after {heard_after:.1f} s of {STORY_SECONDS} s"
    late = [e["type"] for e in events[started:] if e.get("response_id") == answer_id]
    assert not [t for t in late if t.endswith(".delta")], late  # no audio or transcript after the barge-in
    done = events[-1]["response"]
    assert done["status"] == "cancelled" and done["status_details"]["reason"] == "turn_detected"
    received = delta_seconds(events, answer_id)
    assert received == pytest.approx(heard_after)
    assert done["usage"]["output_token_details"]["audio_tokens"] == int(np.ceil(received * 1000 / 50))
    transcript = "".join(
        e["delta"]
        for e in events
        if e["type"] == "response.output_audio_transcript.delta" and e["response_id"] == answer_id
    )
    done_transcript = next(e for e in events if e["type"] == "response.output_audio_transcript.done")
    assert done_transcript["transcript"] == transcript and STORY.startswith(transcript)
    assert len(transcript) < len(STORY) / 2


# ---------------------------------------------------------------------------------------------- robustness
async def test_socket_fuzz_then_working_session(server, validate, rng):
    ws = await raw_connect(server)
    async with ws:
        await recv_json(ws, validate)
        junk = [
            "{",
            "[]",
            "null",
            '{"type": 1}',
            '{"type": "response.cancel", "response_id": 5}',
            '{"type": "input_audio_buffer.append", "audio": "@@"}',
            '{"type": "conversation.item.delete"}',
            '{"type": "session.update", "session": {"type": "realtime", "audio": {"output": {"speed": 99}}}}',
        ]
        sent = 0
        for _ in range(300):
            choice = int(rng.integers(len(junk) + 1))
            if choice == len(junk):
                await ws.send(bytes(rng.integers(0, 256, int(rng.integers(1, 40)), dtype=np.uint8)))
            else:
                await ws.send(junk[choice])
            sent += 1
        errors = 0
        while errors < sent:
            event = await recv_json(ws, validate)
            assert event["type"] == "error"
            errors += 1
        await ws.send(json.dumps(user_text("hi")))
        assert (await recv_json(ws, validate))["type"] == "conversation.item.added"


async def test_transcription_intent_with_server_vad_over_socket(server, validate):
    from voicelab import samples

    audio = samples.load("en_weather")  # two phrases 0.6 s apart: two turns
    pcm = (np.clip(np.concatenate([audio.y, np.zeros(SR, np.float32)]), -1, 1) * 32767).astype(np.int16)
    ws = await raw_connect(server, query="intent=transcription")
    async with ws:
        assert (await recv_json(ws, validate))["session"]["type"] == "transcription"
        for i in range(0, pcm.size, 4800):
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": b64(pcm[i : i + 4800])}))
        completed = []
        while len(completed) < 2:
            event = await recv_json(ws, validate, timeout=30)
            assert not event["type"].startswith("response.")
            if event["type"] == "conversation.item.input_audio_transcription.completed":
                completed.append(event)
        assert [e["transcript"] for e in completed] == ["what is two plus two"] * 2
        assert all(e["usage"]["type"] == "tokens" for e in completed)  # default model gpt-4o-transcribe
