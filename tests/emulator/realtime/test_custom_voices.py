"""Custom voices (``voice: {"id": …}``) in Realtime sessions, through the official SDK's realtime client.

A voice made by ``client.audio.voices.create`` speaks in a Realtime session exactly as on the speech
endpoint: set by ``session.update``, per response in ``response.create``, in the session of an ephemeral key
(``client_secrets``, also through ``voicelab.realtime.RealtimeSession``) or of a WebRTC call. Its audio is
measured: its median pitch is the speech endpoint's for the same voice and text, and far from its base
voice's. An unknown id gets OpenAI's ``invalid_value`` naming the parameter — never a silent switch to
``alloy`` — and the session keeps working.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math

import numpy as np
import openai
import pytest
from openai import AsyncOpenAI

from voicelab import audio, samples
from voicelab.emulator.app import create_app
from voicelab.emulator.realtime.route import Engines
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings
from voicelab.engines import voice_profile
from voicelab.realtime.session import RealtimeSession

from ..conftest import consent_wav

CUSTOM = {"id": "voice_0123456789"}
SR = 24000
SPOKEN: list[str] = []
RENDERED: list[tuple[str, float, float]] = []


def _tone(text: str, *, voice: str, speed: float, semitones: float = 0.0) -> tuple[np.ndarray, int]:
    SPOKEN.append(voice)
    RENDERED.append((voice, speed, semitones))
    return (0.3 * np.sin(np.arange(SR // 5) / SR * 2 * np.pi * 300)).astype(np.float32), SR


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = create_app(EmulatorSettings(port=0, realtime_pacing=False, data_dir=tmp_path_factory.mktemp("v")))
    app.state.realtime_engines = Engines(synthesize=_tone, transcribe=lambda *a, **k: "", vad_factory=None)
    srv = EmbeddedServer(app.state.settings, app=app).start()
    yield srv
    srv.stop()


def _sdk(srv: EmbeddedServer, api_key: str = "test-key") -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key=api_key, base_url=srv.base_url, websocket_base_url=srv.websocket_base_url, max_retries=0
    )


async def _next(conn, validate) -> dict:
    event = json.loads(await asyncio.wait_for(conn.recv_bytes(), 60))
    validate(event)
    return event


def _check_refusal(error: dict, param: str) -> None:
    assert (error["code"], error["param"], error["type"]) == ("invalid_value", param, "invalid_request_error")
    assert "No voice with id 'voice_0123456789'" in error["message"]


async def test_session_update_refuses_an_unknown_custom_voice_and_keeps_the_session(server, validate):
    async with _sdk(server) as client, client.realtime.connect(model="gpt-realtime") as conn:
        created = await _next(conn, validate)
        audio_cfg = {"output": {"voice": CUSTOM}}
        await conn.session.update(session={"type": "realtime", "audio": audio_cfg}, event_id="evt_voice")
        error = await _next(conn, validate)
        assert error["type"] == "error" and error["error"]["event_id"] == "evt_voice"
        _check_refusal(error["error"], "session.audio.output.voice")
        await conn.session.update(session={"type": "realtime", "audio": {"output": {"voice": "ash"}}})
        updated = await _next(conn, validate)
        assert updated["type"] == "session.updated"
        assert updated["session"]["audio"]["output"]["voice"] == "ash"
        assert created["session"]["audio"]["output"]["voice"] == "alloy"


async def test_realtime_response_create_refuses_an_unknown_custom_voice_instead_of_speaking_alloy(
    server, validate
):
    SPOKEN.clear()
    async with _sdk(server) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await _next(conn, validate)
        await conn.response.create(response={"audio": {"output": {"voice": CUSTOM}}})
        error = await _next(conn, validate)
        _check_refusal(error["error"], "response.audio.output.voice")
        await conn.response.create(response={"output_modalities": ["text"]})  # the session still answers
        while (event := await _next(conn, validate))["type"] != "response.done":
            assert event["type"] != "error"
        assert event["response"]["status"] == "completed"
    assert SPOKEN == []  # nothing was spoken with a substitute voice


async def test_client_secret_with_an_unknown_custom_voice_is_refused(server):
    async with _sdk(server) as client:
        with pytest.raises(openai.BadRequestError) as refused:
            await client.realtime.client_secrets.create(
                session={"type": "realtime", "audio": {"output": {"voice": CUSTOM}}}
            )
    _check_refusal(refused.value.body, "session.audio.output.voice")


async def test_speech_and_chat_refuse_an_unknown_custom_voice_with_the_same_error(server):
    async with _sdk(server) as client:
        with pytest.raises(openai.BadRequestError) as speech:
            await client.audio.speech.create(model="gpt-4o-mini-tts", voice=CUSTOM, input="Hi.")
        _check_refusal(speech.value.body, "voice")
        with pytest.raises(openai.BadRequestError) as chat:
            await client.chat.completions.create(
                model="gpt-audio-1.5",
                modalities=["text", "audio"],
                audio={"voice": CUSTOM, "format": "wav"},
                messages=[{"role": "user", "content": "Hi."}],
            )
        _check_refusal(chat.value.body, "audio.voice")


# ------------------------------------------------------------------ a real custom voice, real engines


@pytest.fixture(scope="module")
def speaking(tmp_path_factory):
    """An emulator with its real speech engines and one custom voice made from a (high) Japanese sample."""
    settings = EmulatorSettings(port=0, realtime_pacing=False, data_dir=tmp_path_factory.mktemp("voices"))
    app = create_app(settings)
    srv = EmbeddedServer(settings, app=app).start()
    sample = samples.load("ja_weather")
    with openai.OpenAI(api_key="test-key", base_url=srv.base_url, max_retries=0) as client:
        consent = client.audio.voice_consents.create(
            name="Aiko", language="ja-JP", recording=("consent.wav", consent_wav("ja-JP"), "audio/wav")
        )
        voice = client.audio.voices.create(
            name="Aiko",
            consent=consent.id,
            audio_sample=("sample.wav", audio.encode(sample.y, sample.sr, "wav"), "audio/wav"),
        )
    base_voice = app.state.voices.rendering(voice.id)[0]
    yield srv, voice.id, base_voice
    srv.stop()


def _pitch(y: np.ndarray, sr: int) -> float:
    return voice_profile.measure(y, sr).median_f0_hz


def _semitones(a: float, b: float) -> float:
    return 12 * math.log2(a / b)


async def _speech_pitch(client: AsyncOpenAI, voice, text: str) -> float:
    wav = await client.audio.speech.create(
        model="gpt-4o-mini-tts", voice=voice, input=text, response_format="wav"
    )
    decoded = audio.read(wav.read())
    return _pitch(decoded.y, decoded.sr)


async def _spoken_reply(conn, validate) -> tuple[np.ndarray, str, dict]:
    """Ask a question, and collect the spoken answer: its 24 kHz samples, transcript and response.done."""
    await conn.conversation.item.create(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Who are you?"}]}
    )
    chunks, transcript = [], ""
    while (event := await _next(conn, validate))["type"] != "response.done":
        assert event["type"] != "error", event
        if event["type"] == "response.output_audio.delta":
            chunks.append(np.frombuffer(base64.b64decode(event["delta"]), "<i2"))
        elif event["type"] == "response.output_audio_transcript.done":
            transcript = event["transcript"]
    return np.concatenate(chunks).astype(np.float32) / 32768, transcript, event


@pytest.mark.slow
async def test_a_custom_voice_speaks_in_a_realtime_session_as_on_the_speech_endpoint(speaking, validate):
    srv, voice_id, base_voice = speaking
    async with _sdk(srv) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await _next(conn, validate)
        custom = {"output": {"voice": {"id": voice_id}}}
        await conn.session.update(session={"type": "realtime", "audio": custom})
        updated = await _next(conn, validate)
        assert updated["session"]["audio"]["output"]["voice"] == {"id": voice_id}
        await conn.response.create()
        y, transcript, done = await _spoken_reply(conn, validate)
        assert done["response"]["status"] == "completed" and transcript
        assert done["response"]["audio"]["output"]["voice"] == voice_id
        heard = _pitch(y, SR)
        same_on_speech = await _speech_pitch(client, {"id": voice_id}, transcript)
        base = await _speech_pitch(client, base_voice, transcript)
    assert abs(_semitones(heard, same_on_speech)) < 0.5  # the same rendering on both surfaces
    assert _semitones(heard, base) > 2.0  # not its base voice: moved towards the (high) speaker


@pytest.mark.slow
async def test_response_create_speaks_one_response_with_a_custom_voice(speaking, validate):
    srv, voice_id, _ = speaking
    async with _sdk(srv) as client, client.realtime.connect(model="gpt-realtime") as conn:
        created = await _next(conn, validate)
        assert created["session"]["audio"]["output"]["voice"] == "alloy"
        await conn.response.create(response={"audio": {"output": {"voice": {"id": voice_id}}}})
        y, transcript, done = await _spoken_reply(conn, validate)
        assert done["response"]["audio"]["output"]["voice"] == voice_id
        same_on_speech = await _speech_pitch(client, {"id": voice_id}, transcript)
        alloy = await _speech_pitch(client, "alloy", transcript)
    assert abs(_semitones(_pitch(y, SR), same_on_speech)) < 0.5
    assert _semitones(_pitch(y, SR), alloy) > 2.0


@pytest.mark.slow
async def test_realtime_session_with_an_ephemeral_key_speaks_with_the_custom_voice(speaking):
    """``RealtimeSession(voice={"id": …}, ephemeral=True)``: the key's session carries the voice."""
    srv, voice_id, base_voice = speaking
    async with _sdk(srv) as client:
        async with RealtimeSession(client=client, voice={"id": voice_id}, ephemeral=True) as session:
            turn = await session.ask("Who are you?")
            spoken = session.output_audio()
            transcript = session.items[turn.response.item_ids[-1]].transcript
        minted = [r for r in session.log if r["type"] == "voicelab.key_minted"]
        created = [r["event"] for r in session.log if r["type"] == "session.created"]
        assert minted and created[0]["session"]["audio"]["output"]["voice"] == {"id": voice_id}
        same_on_speech = await _speech_pitch(client, {"id": voice_id}, transcript)
        base = await _speech_pitch(client, base_voice, transcript)
    assert abs(_semitones(_pitch(spoken.y, spoken.sr), same_on_speech)) < 0.5
    assert _semitones(_pitch(spoken.y, spoken.sr), base) > 2.0


async def test_a_webrtc_call_speaks_with_the_custom_voice_rendering_and_refuses_unknown_ids(server, validate):
    """The WebRTC call's ``session`` form part: the engines get the voice's rendering (base voice, tempo,
    semitones); an unknown id is a 400 naming the param before any media."""
    from voicelab.realtime.webrtc import WebRTCCall

    store = server._app.state.voices
    voice = store.add_voice(
        name="stored",
        kind="audio_sample",
        rendering={"base_voice": "shimmer", "semitones": 3.0, "tempo": 1.1},
    )
    RENDERED.clear()
    async with _sdk(server) as client:
        with pytest.raises(openai.BadRequestError) as refused:
            unknown = {"type": "realtime", "audio": {"output": {"voice": CUSTOM}}}
            await WebRTCCall.start(client, session=unknown)
        _check_refusal(refused.value.body, "session.audio.output.voice")
        session = {"type": "realtime", "audio": {"output": {"voice": {"id": voice["id"]}}}}
        async with await WebRTCCall.start(client, session=session) as call:
            created = await call.events_until("session.created")
            assert created[-1]["session"]["audio"]["output"]["voice"] == {"id": voice["id"]}
            await call.send({"type": "response.create"})
            events = await call.events_until("response.done")
        for event in events:
            validate(event)
        assert events[-1]["response"]["audio"]["output"]["voice"] == voice["id"]
    assert RENDERED and set(RENDERED) == {("shimmer", 1.1, 3.0)}
    store.delete_voice(voice["id"])
