"""Custom voices (``voice: {"id": …}``) are refused the same way on every surface until the emulator has them.

The SDK accepts them everywhere (speech, chat audio, Realtime session and response, client secrets); the
emulator has no custom voices yet, so each surface answers one OpenAI-shaped ``invalid_value`` error naming
the parameter — never a silent switch to ``alloy``. The Realtime session stays open after the error.
"""

from __future__ import annotations

import asyncio
import json

import numpy as np
import openai
import pytest
from openai import AsyncOpenAI

from voicelab.emulator.app import create_app
from voicelab.emulator.realtime.route import Engines
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings

CUSTOM = {"id": "voice_0123456789"}
SR = 24000
SPOKEN: list[str] = []


def _tone(text: str, *, voice: str, speed: float) -> tuple[np.ndarray, int]:
    SPOKEN.append(voice)
    return np.zeros(SR // 10, np.float32), SR


@pytest.fixture(scope="module")
def server():
    app = create_app(EmulatorSettings(port=0, realtime_pacing=False))
    app.state.realtime_engines = Engines(synthesize=_tone, transcribe=lambda *a, **k: "", vad_factory=None)
    srv = EmbeddedServer(app.state.settings, app=app).start()
    yield srv
    srv.stop()


def _sdk(srv: EmbeddedServer) -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key="test-key", base_url=srv.base_url, websocket_base_url=srv.websocket_base_url, max_retries=0
    )


async def _next(conn, validate) -> dict:
    event = json.loads(await asyncio.wait_for(conn.recv_bytes(), 10))
    validate(event)
    return event


def _check_refusal(error: dict, param: str) -> None:
    assert (error["code"], error["param"], error["type"]) == ("invalid_value", param, "invalid_request_error")
    assert "'voice_0123456789'" in error["message"]  # the voice is named (unknown here; Realtime takes none)


async def test_realtime_session_update_refuses_a_custom_voice_and_keeps_the_session(server, validate):
    async with _sdk(server) as client, client.realtime.connect(model="gpt-realtime") as conn:
        created = await _next(conn, validate)
        audio = {"output": {"voice": CUSTOM}}
        await conn.session.update(session={"type": "realtime", "audio": audio}, event_id="evt_voice")
        error = await _next(conn, validate)
        assert error["type"] == "error" and error["error"]["event_id"] == "evt_voice"
        _check_refusal(error["error"], "session.audio.output.voice")
        await conn.session.update(session={"type": "realtime", "audio": {"output": {"voice": "ash"}}})
        updated = await _next(conn, validate)
        assert updated["type"] == "session.updated"
        assert updated["session"]["audio"]["output"]["voice"] == "ash"
        assert created["session"]["audio"]["output"]["voice"] == "alloy"


async def test_realtime_response_create_refuses_a_custom_voice_instead_of_speaking_alloy(server, validate):
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


async def test_client_secret_with_a_custom_voice_is_refused(server):
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
