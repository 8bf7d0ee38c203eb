"""The Agents SDK's voice pipeline (STT → Agent on the Responses API → TTS) runs unchanged against the
emulator.

Built as openai-agents-python's published ``examples/voice/static`` and ``examples/voice/streamed`` build it:
``VoicePipeline(workflow=SingleAgentVoiceWorkflow(agent))`` with the default models (gpt-4o-transcribe, the
Agents SDK's default text model on ``/v1/responses``, gpt-4o-mini-tts), an ``AsyncOpenAI`` client pointed at
the emulator's loopback ``base_url``, a spoken WAV from ``data/samples/`` as the input, and a function tool
on the agent. What a user checks: the transcript of the input, the agent's text, and output audio at 24 kHz
whose length fits the text and which speaks that text.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator

import numpy as np
import openai
import pytest

from voicelab import audio, samples
from voicelab.emulator.app import create_app
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings

agents = pytest.importorskip("agents", reason="openai-agents is in the test extra")
voice = pytest.importorskip("agents.voice", reason="openai-agents[voice] is in the test extra")

pytestmark = pytest.mark.slow

SR = 24_000  # the pipeline's PCM rate (AudioInput's frame_rate, the TTS model's pcm output)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def assert_heard(heard: str, text: str) -> None:
    """Whisper base read ``text`` back: at least 80 % of its words (it may drop an article)."""
    expected = set(words(text))
    assert len(expected & set(words(heard))) >= 0.8 * len(expected), (heard, text)


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    settings = EmulatorSettings(port=0, api_key="agents-test-key")
    with EmbeddedServer(settings, app=create_app(settings)) as running:
        yield running


@pytest.fixture
async def client(server) -> AsyncIterator[openai.AsyncOpenAI]:
    """The default client of the Agents SDK, pointed at the emulator; tracing off (it would upload)."""
    from agents import _config, set_default_openai_client, set_tracing_disabled

    sdk = openai.AsyncOpenAI(base_url=server.base_url, api_key="agents-test-key", max_retries=0)
    set_default_openai_client(sdk, use_for_tracing=False)
    set_tracing_disabled(True)
    try:
        yield sdk
    finally:
        _config._openai_shared.set_default_openai_client(None)  # type: ignore[arg-type]
        await sdk.close()


@agents.function_tool
def get_weather(city: str) -> str:
    """Get the weather for a given city."""
    return f"The weather in {city} is sunny."


def example_agent():
    """The agents of examples/voice/static: an assistant with get_weather and a handoff to a Spanish agent."""
    from agents import Agent
    from agents.extensions.handoff_prompt import prompt_with_handoff_instructions

    spanish_agent = Agent(
        name="Spanish",
        handoff_description="A spanish speaking agent.",
        instructions=prompt_with_handoff_instructions(
            "You're speaking to a human, so be polite and concise. Speak in Spanish.",
        ),
    )
    return Agent(
        name="Assistant",
        instructions=prompt_with_handoff_instructions(
            "You're speaking to a human, so be polite and concise. If the user speaks in Spanish, handoff to "
            "the spanish agent.",
        ),
        handoffs=[spanish_agent],
        tools=[get_weather],
    )


class Recorded(voice.SingleAgentVoiceWorkflow):
    """The SDK's workflow, also keeping what it heard and what the agent said (nothing else changes)."""

    def __init__(self, agent) -> None:
        super().__init__(agent)
        self.heard: list[str] = []
        self.said: list[str] = []

    async def run(self, transcription: str) -> AsyncIterator[str]:
        self.heard.append(transcription)
        async for chunk in super().run(transcription):
            self.said.append(chunk)
            yield chunk


async def collect(result, *, until_turn_ended: bool = False) -> tuple[np.ndarray, list[str]]:
    """The output audio (int16) and the lifecycle events of a pipeline run."""
    pieces: list[np.ndarray] = []
    lifecycle: list[str] = []
    async for event in result.stream():
        if event.type == "voice_stream_event_audio":
            pieces.append(np.asarray(event.data))
        elif event.type == "voice_stream_event_lifecycle":
            lifecycle.append(event.event)
            if until_turn_ended and event.event == "turn_ended":
                break
        elif event.type == "voice_stream_event_error":
            raise AssertionError(f"pipeline error: {event.error!r}")
    return (np.concatenate(pieces) if pieces else np.zeros(0, np.int16)), lifecycle


async def assert_speaks(client: openai.AsyncOpenAI, pcm: np.ndarray, text: str) -> None:
    """24 kHz int16 audio of a plausible length for ``text`` that Whisper reads back as ``text``."""
    assert pcm.dtype == np.int16 and pcm.ndim == 1
    seconds = pcm.size / SR
    assert 0.03 * len(text) < seconds < 0.15 * len(text) + 1.0, (seconds, text)
    wav = audio.encode(audio.from_pcm16(pcm), SR, "wav")
    heard = await client.audio.transcriptions.create(model="whisper-1", file=("reply.wav", wav))
    assert_heard(heard.text, text)


async def test_static_pipeline_with_a_function_tool(client):
    sample = next(s for s in samples.manifest() if s.name == "en_weather")
    y, sr = samples.load("en_weather")
    assert sr == SR
    workflow = Recorded(example_agent())
    pipeline = voice.VoicePipeline(workflow=workflow)

    result = await pipeline.run(voice.AudioInput(buffer=audio.to_pcm16(y)))
    pcm, lifecycle = await collect(result)

    assert len(workflow.heard) == 1
    assert_heard(workflow.heard[0], sample.text)
    said = "".join(workflow.said)
    # the scripted responder calls get_weather (the request mentions the weather), the Agents SDK runs the
    # tool and sends its output back on /v1/responses, and the answer reads the tool's result
    assert said.startswith("Here is what get_weather returned: The weather in ")
    assert said.endswith(" is sunny.")
    assert lifecycle == ["turn_started", "turn_ended", "session_ended"]
    await assert_speaks(client, pcm, said)


async def test_static_pipeline_plain_answer(client):
    from agents import Agent

    workflow = Recorded(Agent(name="Assistant", instructions="Be polite and concise."))
    y, _ = samples.load("en_order")
    result = await voice.VoicePipeline(workflow=workflow).run(voice.AudioInput(buffer=audio.to_pcm16(y)))
    pcm, _ = await collect(result)
    text = "I would like a cup of coffee, please. Make it a large one. Thank you very much."
    assert len(workflow.heard) == 1
    assert_heard(workflow.heard[0], text)
    said = "".join(workflow.said)
    assert said == f"You said: {workflow.heard[0].strip()}"  # the scripted responder's echo of what it heard
    await assert_speaks(client, pcm, said)


async def test_streamed_pipeline_over_the_realtime_transcription_session(client):
    """examples/voice/streamed: StreamedAudioInput → the realtime transcription WebSocket → agent → TTS."""
    from agents import Agent

    workflow = Recorded(Agent(name="Assistant", instructions="Be polite and concise."))
    phrase = next(s for s in samples.manifest() if s.name == "en_weather")
    (_, end), text = phrase.segments[0], phrase.phrases[0]  # one phrase: one turn of the semantic VAD
    y, _ = samples.load("en_weather")
    spoken = y[: int((end + 0.2) * SR)]
    pcm_in = audio.to_pcm16(np.concatenate([spoken, np.zeros(SR, np.float32)]))  # a second of silence ends it
    streamed = voice.StreamedAudioInput()
    result = await voice.VoicePipeline(workflow=workflow).run(streamed)

    async def speak() -> None:
        for start in range(0, pcm_in.size, SR // 20):  # 50 ms chunks, as the example's microphone loop
            await streamed.add_audio(pcm_in[start : start + SR // 20])
            await asyncio.sleep(0)

    speaker = asyncio.create_task(speak())
    pcm, lifecycle = await asyncio.wait_for(collect(result, until_turn_ended=True), timeout=120)
    await speaker
    await result._cancel()  # the example runs until the user quits; a test stops after one turn

    assert len(workflow.heard) == 1
    assert_heard(workflow.heard[0], text)
    said = "".join(workflow.said)
    assert said == f"You said: {workflow.heard[0].strip()}"
    assert lifecycle[:2] == ["turn_started", "turn_ended"]
    await assert_speaks(client, pcm, said)
