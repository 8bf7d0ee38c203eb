"""Fixtures for the emulator's REST tests: the app in-process behind the official SDK, and speech helpers.

Most tests drive the app through ``openai.AsyncOpenAI`` over ``httpx.ASGITransport`` (no sockets); a few use a
real loopback port (``EmbeddedServer``). Speech engines load once per process and are reused.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator

import httpx
import openai
import pytest

from voicelab.emulator.app import create_app
from voicelab.emulator.settings import EmulatorSettings

FIXED_TIME = "2026-11-21T14:05:00+00:00"


def make_sdk(app, *, api_key: str = "test-key", **kwargs) -> openai.AsyncOpenAI:
    """An SDK client talking to ``app`` in-process."""
    transport = httpx.ASGITransport(app=app)
    return openai.AsyncOpenAI(
        base_url="http://127.0.0.1/v1",
        api_key=api_key,
        max_retries=0,
        http_client=httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1"),
        **kwargs,
    )


@pytest.fixture
def sdk_for():
    """``sdk_for(app, api_key=...)``: an in-process SDK client for another app (use ``async with``)."""
    return make_sdk


@pytest.fixture
def rest_settings() -> EmulatorSettings:
    return EmulatorSettings(port=0, fixed_time=FIXED_TIME)


@pytest.fixture
def rest_app(rest_settings):
    return create_app(rest_settings)


@pytest.fixture
async def sdk(rest_app) -> AsyncIterator[openai.AsyncOpenAI]:
    client = make_sdk(rest_app)
    async with client:
        yield client


@pytest.fixture
async def http(rest_app) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP to the app (for requests the SDK would not send), with a bearer key."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=rest_app),
        base_url="http://127.0.0.1",
        headers={"Authorization": "Bearer test-key"},
    ) as client:
        yield client


@functools.cache
def consent_wav(language: str = "en-US", voice: str = "alloy") -> bytes:
    """A consent recording: OpenAI's consent phrase for ``language`` read by the emulator's TTS (WAV)."""
    from voicelab import audio
    from voicelab.engines import tts
    from voicelab.protocol.consent import consent_phrase, primary_language

    speech = tts.synthesize(consent_phrase(language), voice=voice, language=primary_language(language))
    return audio.encode(speech.y, speech.sr, "wav")


async def assert_still_serves(sdk: openai.AsyncOpenAI) -> None:
    """After an error the server answers a normal request."""
    models = await sdk.models.list()
    assert any(m.id == "whisper-1" for m in models.data)
    reply = await sdk.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "what is 2 plus 3"}]
    )
    assert reply.choices[0].message.content == "2 plus 3 is 5."


@pytest.fixture
def still_serves(sdk):
    """``await still_serves()`` checks the server answers normally after an error."""
    return lambda: assert_still_serves(sdk)


@pytest.fixture(scope="session")
def spoken_sentence():
    """A Piper-synthesised English sentence (24 kHz) and its text, made once per test session."""
    from voicelab.engines import tts

    text = "The quick brown fox jumps over the lazy dog."
    audio = tts.synthesize(text, voice="alloy")
    return text, audio
