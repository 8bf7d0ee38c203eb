"""WebRTC calls on the emulator, with aiortc as the caller (``voicelab.realtime.webrtc.WebRTCCall``).

Real media both ways: the caller's track carries speech (Opus at 48 kHz), the emulator's VAD hears it, the
answer comes back on the emulator's track and is transcribed on arrival. Every event on the ``oai-events``
data channel and on the sideband WebSocket is validated with the SDK's strict TypeAdapter.
"""

from __future__ import annotations

import asyncio
import json
import re
import time

import httpx
import numpy as np
import openai
import pytest
import websockets
from openai import AsyncOpenAI

from voicelab import audio, samples
from voicelab.emulator.app import create_app
from voicelab.emulator.realtime.route import Engines, default_vad_factory
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings
from voicelab.realtime.webrtc import WebRTCCall

API_KEY = "fake-webrtc-test"
SR = 24000
CALL_ID = re.compile(r"^rtc_u1_[0-9a-f]{32}$")


def tone_synthesize(text, *, voice, speed):
    """Fake TTS: 50 ms of a 300 Hz tone per word (loud, easy to measure)."""
    n = int(0.05 * SR * max(len(text.split()), 1))
    return (0.3 * np.sin(np.arange(n) / SR * 2 * np.pi * 300)).astype(np.float32), SR


def fixed_transcribe(y, sr, *, language=None, prompt=None):
    return "tell me a story"


STORY = "".join(f"Part {i} of the story tells how the old cat met the dog. " for i in range(1, 21))


class StoryResponder:
    """Always a long answer (about 13 s with the tone TTS), to be interrupted."""

    async def respond(self, messages, *, instructions=None, tools=None, tool_choice="auto"):
        from voicelab.emulator.responder import Reply

        return Reply(text=STORY)


def start_server(engines: Engines | None = None, responder=None) -> EmbeddedServer:
    app = create_app(EmulatorSettings(port=0, api_key=API_KEY, realtime_pacing=False))
    if engines is not None:
        app.state.realtime_engines = engines
    if responder is not None:
        app.state.responder = responder
    return EmbeddedServer(app.state.settings, app=app).start()


@pytest.fixture(scope="module")
def real_server():
    """The real offline engines (Whisper, Piper, Silero)."""
    srv = start_server()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def story_server():
    """Tone TTS, a fixed transcript, the real Silero VAD and a long-winded responder."""
    srv = start_server(
        Engines(synthesize=tone_synthesize, transcribe=fixed_transcribe, vad_factory=default_vad_factory),
        StoryResponder(),
    )
    yield srv
    srv.stop()


_CLIENTS: list[AsyncOpenAI] = []


def sdk(srv: EmbeddedServer, key: str = API_KEY) -> AsyncOpenAI:
    """An SDK client for ``srv`` (closed after each test)."""
    client = AsyncOpenAI(
        api_key=key, base_url=srv.base_url, websocket_base_url=srv.websocket_base_url, max_retries=0
    )
    _CLIENTS.append(client)
    return client


@pytest.fixture(autouse=True)
async def _close_clients():
    yield
    while _CLIENTS:
        await _CLIENTS.pop().close()


def spoken(text: str) -> np.ndarray:
    """``text`` spoken by Piper with silence around it, 24 kHz PCM16."""
    from voicelab.engines import tts

    speech = tts.synthesize(text, voice="alloy")
    y = audio.resample(speech.y.astype(np.float32), speech.sr, SR)
    return audio.to_pcm16(np.concatenate([np.zeros(SR // 2, np.float32), y, np.zeros(SR, np.float32)]))


def sample_speech() -> np.ndarray:
    voice = samples.load("en_weather")
    return audio.to_pcm16(audio.resample(voice.y, voice.sr, SR))


def rms_db(pcm: np.ndarray) -> float:
    y = pcm.astype(np.float64) / 32768
    return 20 * np.log10(np.sqrt(np.mean(y**2)) + 1e-12)


async def until(call: WebRTCCall, validate, predicate, timeout: float = 90) -> list[dict]:
    """Data channel events (each strictly validated) up to the first that satisfies ``predicate``."""
    deadline = time.monotonic() + timeout
    out: list[dict] = []
    while not out or not predicate(out[-1]):
        out.append(await call.next_event(max(deadline - time.monotonic(), 0.01)))
        validate(out[-1])
    return out


def user_text(text: str) -> dict:
    """A ``conversation.item.create`` with a user's typed message."""
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    return {"type": "conversation.item.create", "item": item}


def typed(kind: str):
    return lambda event: event["type"] == kind


# ---------------------------------------------------------------------------------------------- conversation
@pytest.mark.slow
async def test_spoken_question_gets_a_spoken_answer_over_webrtc(real_server, validate):
    """A spoken question in on the caller's track; the answer comes back as audio on the remote track (loud
    enough, the right length) and Whisper hears the right answer in it. No audio delta on the data channel."""
    from voicelab.engines import stt

    client = sdk(real_server)
    call = await WebRTCCall.start(client, model="gpt-realtime")
    async with call:
        assert call.call_id is not None and CALL_ID.match(call.call_id)
        created = await until(call, validate, typed("session.created"))
        assert created[-1]["session"]["model"] == "gpt-realtime"
        call.say(spoken("What is two plus two?"))
        events = await until(call, validate, typed("output_audio_buffer.stopped"))
        started_at = next(e for e in events if e["type"] == "output_audio_buffer.started")
        await asyncio.sleep(0.3)  # the last frames in flight
        heard = call.heard()
    types = [e["type"] for e in events]
    assert "response.output_audio.delta" not in types  # audio travels on the track
    order = [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "response.created",
        "response.done",
        "output_audio_buffer.stopped",
    ]
    assert [types.index(t) for t in order] == sorted(types.index(t) for t in order)
    done = next(e for e in events if e["type"] == "response.done")["response"]
    assert started_at["response_id"] == done["id"] and done["status"] == "completed"
    answer_text = next(e for e in events if e["type"] == "response.output_audio_transcript.done")[
        "transcript"
    ]
    assert "4" in answer_text or "four" in answer_text.lower()
    answer_tokens = done["usage"]["output_token_details"]["audio_tokens"]  # 1 token per 50 ms
    loud = np.flatnonzero(np.abs(heard) > 1000)
    assert loud.size, "nothing audible arrived on the remote track"
    received = heard[loud[0] : loud[-1] + 1]
    assert rms_db(received) > -35
    assert abs(received.size / SR - answer_tokens * 0.05) < 0.6
    text = stt.transcribe(received.astype(np.float32) / 32768, SR, language="en").text.lower()
    assert "four" in text or "4" in text, text


async def test_unified_form_session_applies_and_events_match_the_websocket(story_server, validate):
    """The SDK's multipart form (``sdp`` + ``session``): the session's instructions and voice are in effect;
    a typed turn on the data channel gets the same events as over WebSocket, plus output_audio_buffer.*."""
    session = {
        "type": "realtime",
        "instructions": "Talk like a pirate.",
        "audio": {"output": {"voice": "verse"}},
    }
    call = await WebRTCCall.start(sdk(story_server), session=session)
    async with call:
        created = (await until(call, validate, typed("session.created")))[-1]["session"]
        assert (
            created["instructions"] == "Talk like a pirate."
            and created["audio"]["output"]["voice"] == "verse"
        )
        await call.send(
            {"type": "session.update", "session": {"type": "realtime", "output_modalities": ["audio"]}}
        )
        await until(call, validate, typed("session.updated"))
        await call.send(user_text("Hi"))
        await call.send({"type": "response.create", "response": {"max_output_tokens": 40}})
        events = await until(call, validate, typed("output_audio_buffer.stopped"))
    types = [e["type"] for e in events]
    assert types.index("response.done") < types.index("output_audio_buffer.stopped")
    assert types.count("output_audio_buffer.started") == 1


# ---------------------------------------------------------------------------------------------- barge-in
async def test_barge_in_truncates_the_answer_at_what_was_played(story_server, validate):
    """The caller speaks while the answer plays: the server clears its output buffer and truncates the item
    at the audio it had played, which matches what arrived on the caller's track."""
    call = await WebRTCCall.start(sdk(story_server))
    async with call:
        await until(call, validate, typed("session.created"))
        await call.send(user_text("A story"))
        await call.send({"type": "response.create"})
        before = await until(call, validate, typed("output_audio_buffer.started"))
        item_id = next(e for e in before if e["type"] == "response.output_item.added")["item"]["id"]
        await asyncio.sleep(2.0)  # two seconds of the answer played
        call.say(sample_speech())
        events = await until(call, validate, typed("conversation.item.truncated"), timeout=30)
        await asyncio.sleep(0.5)
        heard = call.heard()
    types = [e["type"] for e in events]
    assert types.index("input_audio_buffer.speech_started") < types.index("output_audio_buffer.cleared")
    truncated = events[-1]
    assert truncated["item_id"] == item_id and truncated["content_index"] == 0
    loud = np.flatnonzero(np.abs(heard) > 1000)
    heard_ms = (loud[-1] - loud[0]) * 1000 / SR
    assert 2000 < truncated["audio_end_ms"] < 4000  # about 2 s, plus the VAD's reaction time
    assert abs(heard_ms - truncated["audio_end_ms"]) < 250, (heard_ms, truncated["audio_end_ms"])


async def test_output_audio_buffer_clear_stops_playback_and_truncates(story_server, validate):
    call = await WebRTCCall.start(sdk(story_server))
    async with call:
        await until(call, validate, typed("session.created"))
        await call.send({"type": "response.create"})
        await until(call, validate, typed("output_audio_buffer.started"))
        await asyncio.sleep(1.0)
        await call.send({"type": "output_audio_buffer.clear"})
        events = await until(call, validate, typed("conversation.item.truncated"), timeout=10)
        assert [e["type"] for e in events][-2:] == [
            "output_audio_buffer.cleared",
            "conversation.item.truncated",
        ]
        assert 900 < events[-1]["audio_end_ms"] < 1600
        await asyncio.sleep(0.5)
        tail = call.heard(since=time.monotonic() - 0.3)
        assert not np.abs(tail).max(initial=0) > 1000  # silence after the clear


# ---------------------------------------------------------------------------------------------- sideband
async def test_sideband_controls_the_call_and_sees_its_events(story_server, validate):
    """The server's key + ``call_id``: session.created first, then the call's events; its client events act
    on the call (the caller hears the answer it asked for); hangup closes the call and the sideband."""
    client = sdk(story_server)
    call = await WebRTCCall.start(client)
    await until(call, validate, typed("session.created"))
    async with client.realtime.connect(call_id=call.call_id) as sideband:
        first = json.loads(await sideband.recv_bytes())
        validate(first)
        assert first["type"] == "session.created"
        await sideband.session.update(session={"type": "realtime", "instructions": "Server-side rules."})
        mirrored = (await until(call, validate, typed("session.updated")))[-1]
        assert mirrored["session"]["instructions"] == "Server-side rules."
        await sideband.response.create(response={"instructions": "Say something."})
        seen = []
        while not seen or seen[-1]["type"] != "response.done":
            seen.append(json.loads(await asyncio.wait_for(sideband.recv_bytes(), 30)))
            validate(seen[-1])
        assert "session.updated" in [e["type"] for e in seen]
        assert "response.output_audio.delta" not in [e["type"] for e in seen]
        await until(call, validate, typed("output_audio_buffer.started"))
        await asyncio.sleep(0.5)
        assert np.abs(call.heard()).max() > 1000  # the caller hears the sideband's response
        await client.realtime.calls.hangup(call.call_id)
        await call.wait_closed(10)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(sideband.recv_bytes(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
    await call.close()
    with pytest.raises(websockets.InvalidStatus) as ended:
        async with client.realtime.connect(call_id=call.call_id):
            pass
    assert ended.value.response.status_code == 404
    assert json.loads(ended.value.response.body)["error"]["code"] == "call_id_not_found"


@pytest.mark.parametrize("call_id", ["rtc_u1_00000000000000000000000000000000", "nonsense"])
async def test_sideband_to_an_unknown_call_is_refused(story_server, call_id):
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with sdk(story_server).realtime.connect(call_id=call_id):
            pass
    assert refused.value.response.status_code == 404
    error = json.loads(refused.value.response.body)["error"]
    assert error["code"] == "call_id_not_found" and error["param"] == "call_id"


async def test_sideband_needs_the_server_key_not_an_ephemeral_one(story_server):
    client = sdk(story_server)
    secret = await client.realtime.client_secrets.create(session={"type": "realtime"})
    call = await WebRTCCall.start(sdk(story_server, secret.value))  # an ek_ key may start a call
    async with call:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with sdk(story_server, secret.value).realtime.connect(call_id=call.call_id):
                pass
        assert refused.value.response.status_code == 403


# ---------------------------------------------------------------------------------------------- REST edges
async def test_raw_sdp_body_with_an_ephemeral_key_like_the_browser(story_server, validate):
    """What the source documents' browser code sends: the offer as the body, Content-Type application/sdp,
    ``?model=``, an ek_ key: 201, application/sdp, Location naming the call."""
    from aiortc import RTCPeerConnection

    secret = await sdk(story_server).realtime.client_secrets.create(session={"type": "realtime"})
    peer = RTCPeerConnection()
    peer.createDataChannel("oai-events")
    peer.addTransceiver("audio")
    await peer.setLocalDescription(await peer.createOffer())
    async with httpx.AsyncClient(base_url=story_server.base_url) as http:
        answer = await http.post(
            "/realtime/calls?model=gpt-realtime",
            content=peer.localDescription.sdp,
            headers={"Authorization": f"Bearer {secret.value}", "Content-Type": "application/sdp"},
        )
        assert answer.status_code == 201, answer.text
        assert answer.headers["content-type"].startswith("application/sdp")
        call_id = answer.headers["location"].rsplit("/", 1)[-1]
        assert answer.headers["location"] == f"/v1/realtime/calls/{call_id}" and CALL_ID.match(call_id)
        assert answer.text.startswith("v=0") and "m=audio" in answer.text and "a=fingerprint" in answer.text
        hangup = await http.post(
            f"/realtime/calls/{call_id}/hangup", headers={"Authorization": f"Bearer {API_KEY}"}
        )
        assert hangup.status_code == 200
        again = await http.post(
            f"/realtime/calls/{call_id}/hangup", headers={"Authorization": f"Bearer {API_KEY}"}
        )
        assert again.status_code == 404 and again.json()["error"]["code"] == "call_id_not_found"
    await peer.close()


@pytest.mark.parametrize(
    ("content_type", "body", "status", "param"),
    [
        ("text/plain", "v=0", 400, "sdp"),
        ("application/sdp", "v=0\r\ns=-\r\n", 400, "sdp"),
        ("application/sdp", "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" + "a=x\r\n" * 20000, 413, "sdp"),
    ],
)
async def test_bad_offers_get_openai_errors_and_the_server_keeps_working(
    story_server, validate, content_type, body, status, param
):
    async with httpx.AsyncClient(base_url=story_server.base_url) as http:
        answer = await http.post(
            "/realtime/calls",
            content=body,
            headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": content_type},
        )
    assert answer.status_code == status
    assert answer.json()["error"]["param"] == param
    call = await WebRTCCall.start(sdk(story_server))
    async with call:
        assert (await until(call, validate, typed("session.created")))[-1]["type"] == "session.created"


async def test_unknown_model_and_bad_session_name_the_parameter(story_server):
    client = sdk(story_server)
    with pytest.raises(openai.NotFoundError) as bad_model:
        await WebRTCCall.start(client, model="gpt-nonexistent")
    assert bad_model.value.code == "model_not_found" and "gpt-nonexistent" in bad_model.value.message
    with pytest.raises(openai.BadRequestError) as bad_voice:
        await WebRTCCall.start(client, session={"type": "realtime", "audio": {"output": {"voice": "robot"}}})
    assert bad_voice.value.param is not None and "voice" in bad_voice.value.param


async def test_ephemeral_keys_may_start_calls_but_not_control_them(story_server):
    secret = await sdk(story_server).realtime.client_secrets.create(session={"type": "realtime"})
    async with httpx.AsyncClient(base_url=story_server.base_url) as http:
        refused = await http.post(
            "/realtime/calls/rtc_u1_0/hangup", headers={"Authorization": f"Bearer {secret.value}"}
        )
    assert refused.status_code == 401
