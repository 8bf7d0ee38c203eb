"""Japanese text reaches OpenJTalk through the emulator's own routes (no emulator code knows about it): the
official SDK asks for speech, gets 24 kHz audio, and the emulator's Whisper gives the sentence back."""

from __future__ import annotations

import httpx
import openai
import pytest

from voicelab import audio
from voicelab.emulator.app import create_app
from voicelab.emulator.settings import EmulatorSettings
from voicelab.engines.scoring import character_error_rate

SENTENCE = "こんにちは、今日はいい天気ですね。東京駅までの行き方を教えてください。"


@pytest.fixture
async def sdk():
    app = create_app(EmulatorSettings(port=0))
    client = openai.AsyncOpenAI(
        base_url="http://127.0.0.1/v1", api_key="test-key", max_retries=0,
        http_client=httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"))
    async with client:
        yield client


@pytest.mark.slow
@pytest.mark.parametrize("voice", ["verse", "marin"])  # the source documents' Japanese session voices
async def test_speech_endpoint_speaks_japanese_that_whisper_understands(sdk, voice):
    response = await sdk.audio.speech.create(model="gpt-4o-mini-tts", voice=voice, input=SENTENCE,
                                             response_format="wav")
    speech = audio.read(response.content)
    assert speech.sr == 24_000 and 4.5 < speech.duration < 8.0
    transcript = await sdk.audio.transcriptions.create(model="whisper-1", file=("ja.wav", response.content),
                                                       language="ja")
    assert character_error_rate(SENTENCE, transcript.text) <= 0.05, transcript.text
