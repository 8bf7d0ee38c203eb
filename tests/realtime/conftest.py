"""Fixtures for the realtime client: the emulator on a real loopback port, SDK clients, test speech."""

from __future__ import annotations

import numpy as np
import openai
import pytest

from voicelab.realtime.core import ReconnectPolicy

API_KEY = "sk-voicelab-test"

#: Fast backoff so reconnect tests take fractions of a second (the shape 1/2/4 is kept: ×0.05).
FAST = ReconnectPolicy(max_attempts=3, initial_delay=0.05, max_delay=0.2)


@pytest.fixture(scope="session")
def emulator_app():
    """The emulator's FastAPI app (its ``state.keys`` holds the minted ephemeral keys)."""
    from voicelab.emulator.app import create_app
    from voicelab.emulator.settings import EmulatorSettings

    return create_app(
        EmulatorSettings(
            port=0, api_key=API_KEY, realtime_pacing=False, fixed_time="2026-11-21T09:30:00+00:00"
        )
    )


@pytest.fixture(scope="session")
def emulator(emulator_app):
    """The emulator served by uvicorn on 127.0.0.1:<free port> (output audio not paced)."""
    from voicelab.emulator.server import EmbeddedServer

    server = EmbeddedServer(emulator_app.state.settings, app=emulator_app).start()
    yield server
    server.stop()


@pytest.fixture
async def client(emulator):
    async with openai.AsyncOpenAI(
        base_url=emulator.base_url,
        websocket_base_url=emulator.websocket_base_url,
        api_key=API_KEY,
        max_retries=0,
    ) as c:
        yield c


@pytest.fixture
def sync_client(emulator):
    with openai.OpenAI(base_url=emulator.base_url, api_key=API_KEY, max_retries=0) as c:
        yield c


@pytest.fixture(scope="session")
def speech():
    """'What is the weather in Paris?' spoken by the offline TTS, as 16 kHz int16 (the session must
    convert)."""
    from voicelab import audio
    from voicelab.engines import tts

    spoken = tts.synthesize("What is the weather in Paris?", voice="alloy")
    y16 = audio.resample(spoken.y, spoken.sr, 16_000)
    return audio.to_pcm16(y16), 16_000


@pytest.fixture
def fast():
    return FAST


def silence(ms: float, sr: int = 24_000) -> np.ndarray:
    return np.zeros(int(sr * ms / 1000), dtype=np.float32)
