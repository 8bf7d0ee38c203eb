"""REST ``stream=true`` transcription: deltas leave while the rest of the audio is still being recognised.

Through the official SDK over a real loopback socket (in-process ASGI transports buffer whole responses).
"""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
import soundfile as sf
from openai import AsyncOpenAI
from openai.types.audio import TranscriptionTextDeltaEvent, TranscriptionTextDoneEvent

from voicelab import samples
from voicelab.emulator import incremental_stt
from voicelab.emulator.app import create_app
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings
from voicelab.engines.scoring import word_error_rate

pytestmark = pytest.mark.slow

KEY = "fake-stream-test"


@pytest.fixture(scope="module")
def server():
    app = create_app(EmulatorSettings(port=0, api_key=KEY))
    srv = EmbeddedServer(app.state.settings, app=app).start()
    yield srv
    srv.stop()


def _wav(name: str) -> bytes:
    y, sr = samples.load(name)
    out = io.BytesIO()
    sf.write(out, np.asarray(y), sr, format="WAV", subtype="PCM_16")
    return out.getvalue()


async def test_first_delta_arrives_before_the_last_turn_is_recognised(server, monkeypatch):
    """en_directions has a 0.9 s pause (two VAD turns). The last turn's decoding waits until the client has
    received a delta: with deltas sent only after the whole file, none would come and the wait would end
    in its timeout."""
    received_first = threading.Event()
    waited: list[bool] = []
    made = 0

    def factory(language, prompt, step_ms):
        nonlocal made
        made += 1
        transcriber = incremental_stt._default_factory(language, prompt, step_ms)
        if made == 2:  # the second turn: finish only once the client holds the first turn's text
            finalize = transcriber.finalize

            def blocking_finalize(**kwargs):
                waited.append(received_first.wait(30))
                return finalize(**kwargs)

            transcriber.finalize = blocking_finalize
        return transcriber

    _route_through(monkeypatch, factory)
    client = AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)
    async with client:
        stream = await _directions(client)
        events = []
        async for event in stream:
            events.append(event)
            received_first.set()
    assert waited == [True]
    assert made == 2
    assert isinstance(events[-1], TranscriptionTextDoneEvent)
    assert all(isinstance(e, TranscriptionTextDeltaEvent) for e in events[:-1]) and len(events) >= 3
    assert "".join(e.delta for e in events[:-1]) == events[-1].text
    info = next(s for s in samples.manifest() if s.name == "en_directions")
    assert word_error_rate(info.text, events[-1].text) <= 0.1
    assert events[-1].usage.type == "tokens"
    assert events[-1].usage.input_token_details.audio_tokens == int(np.ceil(info.duration * 10))


def _recorded_factory(monkeypatch) -> list[dict]:
    """Route the REST stream through a factory that records the options of each turn's transcriber."""
    made: list[dict] = []

    def factory(language, prompt, step_ms, **options):
        made.append(options)
        return incremental_stt._default_factory(language, prompt, step_ms, **options)

    _route_through(monkeypatch, factory)
    return made


async def _directions(client: AsyncOpenAI, **options):
    """``stream=true`` transcription of en_directions (two VAD turns) with gpt-4o-transcribe."""
    return await client.audio.transcriptions.create(
        model="gpt-4o-transcribe",
        file=("directions.wav", _wav("en_directions")),
        stream=True,
        language="en",
        **options,
    )


def _route_through(monkeypatch, factory) -> None:
    """The REST stream's recogniser makes each turn's transcriber with ``factory``."""
    original = incremental_stt.recognise_incrementally
    monkeypatch.setattr(
        "voicelab.emulator.routes._stream_transcription.recognise_incrementally",
        lambda y, sr, **kw: original(y, sr, factory=factory, **kw),
    )


async def test_logprobs_stream_turn_by_turn(server, monkeypatch):
    """With ``include[]=logprobs`` each VAD turn is still recognised while the file is walked through; its
    token deltas (each with its tokens' logprobs) go out when the turn ends, and ``done`` has them all."""
    made = _recorded_factory(monkeypatch)
    client = AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)
    async with client:
        stream = await _directions(client, include=["logprobs"])
        events = [event async for event in stream]
    assert made == [{"logprobs": True}] * 2  # two VAD turns, two streaming transcribers
    deltas, done = events[:-1], events[-1]
    assert "".join(e.delta for e in deltas) == done.text and len(deltas) > 10
    for delta in deltas:
        assert "".join(lp.token for lp in delta.logprobs).strip() == delta.delta.strip()
    assert [lp.token for d in deltas for lp in d.logprobs] == [lp.token for lp in done.logprobs]
    info = next(s for s in samples.manifest() if s.name == "en_directions")
    assert word_error_rate(info.text, done.text) <= 0.1


async def test_keywords_and_languages_stream_too(server, monkeypatch):
    """gpt-transcribe with ``keywords[]`` and ``languages[]`` is recognised incrementally as well: the options
    reach each turn's streaming transcriber, the keyword changes the words and ``done`` reports the language
    the turns were heard in."""
    from voicelab.engines import tts

    made = _recorded_factory(monkeypatch)
    spoken = tts.synthesize("We deployed the pods with Qwen.", voice="alloy", seed=1)
    out = io.BytesIO()
    sf.write(out, np.asarray(spoken.y), spoken.sr, format="WAV", subtype="PCM_16")
    client = AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)
    async with client:
        stream = await client.audio.transcriptions.create(
            model="gpt-transcribe",
            file=("qwen.wav", out.getvalue()),
            stream=True,
            extra_body={"keywords": ["Qwen"], "languages": ["en", "ja"]},
        )
        events = [event async for event in stream]
    assert made and all(o == {"keywords": ("Qwen",), "languages": ("en", "ja")} for o in made)
    done = events[-1]
    assert isinstance(done, TranscriptionTextDoneEvent) and "Qwen" in done.text  # without it: "Q1"
    assert "".join(e.delta for e in events[:-1]) == done.text and len(events) >= 3
    assert [lang.code for lang in done.languages] == ["en"]
