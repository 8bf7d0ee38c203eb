"""Realtime input transcription with today's models and options, over the WebSocket with the official SDK.

The per-model rules (``gpt-realtime-whisper``: ``delay``, no ``prompt``, turn detection null;
``keywords``/``languages``: gpt-transcribe and gpt-live-transcribe; ``gpt-4o-transcribe-diarize``: no
``prompt``, no logprobs ``include``) are refused with OpenAI's error event
naming the parameter, and the session goes on; the options that are accepted reach the engine (keywords
change the words, ``include`` adds Whisper's per-token logprobs to the deltas and ``completed``,
``gpt-transcribe`` reports ``languages``). Every event is validated strictly against the SDK's types
(``validate``).
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from openai import AsyncOpenAI

from voicelab.emulator.app import create_app
from voicelab.emulator.realtime.route import Engines, default_vad_factory
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings

SR = 24000
LOGPROBS = "item.input_audio_transcription.logprobs"


def _server(engines: Engines | None) -> EmbeddedServer:
    app = create_app(EmulatorSettings(port=0, realtime_pacing=False))
    if engines is not None:
        app.state.realtime_engines = engines
    return EmbeddedServer(app.state.settings, app=app).start()


@pytest.fixture(scope="module")
def server():
    """Fast fake engines: the rules are checked before any engine runs."""
    srv = _server(
        Engines(
            synthesize=lambda text, **_: (np.zeros(SR // 10, np.float32), SR),
            transcribe=lambda *a, **k: "hello",
            vad_factory=default_vad_factory,
        )
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def recorded():
    """What the real engines were asked: the streaming transcribers made (with their options) and the
    after-the-fact transcriptions run."""
    return SimpleNamespace(streaming=[], after_the_fact=[])


@pytest.fixture(scope="module")
def real_server(recorded):
    """The real engines, recorded: every session streams (the options reach the streaming transcriber)."""
    from voicelab.emulator.realtime.live_stt import warm_up_in_background

    real = Engines.default()
    warm_up_in_background(real.synthesize, real.streaming).result()  # once per process, not recorded

    def streaming(language, prompt, **options):
        transcriber = real.streaming(language, prompt, **options)
        recorded.streaming.append((options, transcriber))
        return transcriber

    def transcribe_input(y, sr, **options):
        recorded.after_the_fact.append(options)
        return real.transcribe_input(y, sr, **options)

    srv = _server(replace(real, streaming=streaming, transcribe_input=transcribe_input))
    yield srv
    srv.stop()


@pytest.fixture
def streamed(recorded):
    """Checks, after a test's turn, that it was recognised by one streaming transcriber (returned)."""
    recorded.streaming.clear()
    recorded.after_the_fact.clear()

    def check():
        assert recorded.after_the_fact == [] and len(recorded.streaming) == 1
        return recorded.streaming[0][1]

    return check


def _connect(client: AsyncOpenAI) -> Any:
    return client.realtime.connect(extra_query={"intent": "transcription"})


def _sdk(srv: EmbeddedServer) -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key="test-key", base_url=srv.base_url, websocket_base_url=srv.websocket_base_url, max_retries=0
    )


async def _next(conn, validate, timeout: float = 10) -> dict[str, Any]:
    event = json.loads(await asyncio.wait_for(conn.recv_bytes(), timeout))
    validate(event)
    return event


def _transcription_session(transcription: dict[str, Any], **extra: Any) -> dict[str, Any]:
    audio_input: dict[str, Any] = {"transcription": transcription, "turn_detection": None}
    audio_input.update(extra.pop("audio_input", {}))
    return {"type": "transcription", "audio": {"input": audio_input}, **extra}


REFUSED = [
    (
        _transcription_session(
            {"model": "gpt-realtime-whisper"}, audio_input={"turn_detection": {"type": "server_vad"}}
        ),
        "invalid_value",
        "session.audio.input.turn_detection",
    ),
    (
        _transcription_session({"model": "gpt-realtime-whisper", "prompt": "expect tech words"}),
        "unsupported_parameter",
        "session.audio.input.transcription.prompt",
    ),
    (
        _transcription_session({"model": "gpt-4o-transcribe", "delay": "high"}),
        "unsupported_parameter",
        "session.audio.input.transcription.delay",
    ),
    (
        _transcription_session({"model": "whisper-1", "keywords": ["Qwen"]}),
        "unsupported_parameter",
        "session.audio.input.transcription.keywords",
    ),
    (
        _transcription_session({"model": "gpt-4o-mini-transcribe", "languages": ["en"]}),
        "unsupported_parameter",
        "session.audio.input.transcription.languages",
    ),
    (
        _transcription_session({"model": "gpt-realtime-whisper", "delay": "soon"}),
        "invalid_value",
        "session.audio.input.transcription.delay",
    ),
    (
        _transcription_session({"model": "gpt-4o-transcribe-diarize", "prompt": "two speakers"}),
        "unsupported_parameter",
        "session.audio.input.transcription.prompt",
    ),
    (
        _transcription_session({"model": "gpt-4o-transcribe-diarize"}, include=[LOGPROBS]),
        "unsupported_parameter",
        "session.include",
    ),
    (
        _transcription_session({"model": "bogus-stt"}),
        "model_not_found",
        "session.audio.input.transcription.model",
    ),
]


@pytest.mark.parametrize(
    ("session", "code", "param"),
    REFUSED,
    ids=[
        "whisper-vad",
        "whisper-prompt",
        "delay-gpt4o",
        "keywords-whisper1",
        "languages-mini",
        "delay-value",
        "diarize-prompt",
        "diarize-logprobs",
        "bogus",
    ],
)
async def test_rules_are_error_events_naming_the_parameter_and_the_session_goes_on(
    server, validate, session, code, param
):
    async with _sdk(server) as client, _connect(client) as conn:
        created = await _next(conn, validate)
        await conn.session.update(session=session, event_id="evt_rule")
        error = (await _next(conn, validate))["error"]
        assert (error["code"], error["param"], error["event_id"]) == (code, param, "evt_rule")
        # nothing changed, and a valid update still works
        ok = _transcription_session({"model": "gpt-realtime-whisper", "delay": "low"})
        await conn.session.update(session=ok)
        updated = await _next(conn, validate)
        assert updated["type"] == "session.updated"
        assert updated["session"]["audio"]["input"]["transcription"]["delay"] == "low"
        assert updated["session"]["audio"]["input"]["turn_detection"] is None
        assert created["session"]["audio"]["input"]["turn_detection"] is not None


async def test_client_secret_applies_the_same_rules(server):
    import openai

    async with _sdk(server) as client:
        with pytest.raises(openai.BadRequestError) as refused:
            await client.realtime.client_secrets.create(
                session={
                    "type": "transcription",
                    "audio": {"input": {"transcription": {"model": "gpt-realtime-whisper"}}},
                }
            )
        assert refused.value.param == "session.audio.input.turn_detection"
        secret = await client.realtime.client_secrets.create(
            session=_transcription_session(
                {"model": "gpt-live-transcribe", "keywords": ["Qwen"], "languages": ["en"]}
            )
        )
    transcription = secret.session.audio.input.transcription
    assert (transcription.model, transcription.keywords, transcription.languages) == (
        "gpt-live-transcribe",
        ["Qwen"],
        ["en"],
    )


def _speech(text: str) -> str:
    from voicelab.engines import tts

    spoken = tts.synthesize(text, voice="alloy", seed=1)
    from voicelab import audio

    y = audio.resample(spoken.y.astype(np.float32), spoken.sr, SR)
    pcm = (np.clip(np.concatenate([np.zeros(SR // 2, np.float32), y]), -1, 1) * 32767).astype("<i2")
    return base64.b64encode(pcm.tobytes()).decode()


async def _transcribe_once(conn, validate, session: dict[str, Any], audio_b64: str) -> list[dict[str, Any]]:
    await _next(conn, validate)
    await conn.session.update(session=session)
    assert (await _next(conn, validate))["type"] == "session.updated"
    await conn.input_audio_buffer.append(audio=audio_b64)
    await conn.input_audio_buffer.commit()
    events: list[dict[str, Any]] = []
    while not events or events[-1]["type"] != "conversation.item.input_audio_transcription.completed":
        events.append(await _next(conn, validate, timeout=180))
        assert events[-1]["type"] != "conversation.item.input_audio_transcription.failed", events[-1]
    return events


@pytest.mark.slow
async def test_keywords_logprobs_and_languages_reach_the_engine_and_come_back(
    real_server, validate, streamed
):
    audio_b64 = _speech("We deployed the pods with Qwen.")
    transcription = {"model": "gpt-transcribe", "keywords": ["Qwen"], "languages": ["en", "ja"]}
    session = _transcription_session(transcription, include=[LOGPROBS])
    async with _sdk(real_server) as client, _connect(client) as conn:
        events = await _transcribe_once(conn, validate, session, audio_b64)
    completed = events[-1]
    deltas = [e for e in events if e["type"] == "conversation.item.input_audio_transcription.delta"]
    assert "Qwen" in completed["transcript"]  # the keyword guided Whisper (without it: "Q1")
    assert completed["languages"] == [{"code": "en"}]
    assert "".join(d["delta"] for d in deltas) == completed["transcript"]
    per_delta = [lp for d in deltas for lp in d["logprobs"]]
    assert per_delta == completed["logprobs"] and len(per_delta) >= len(deltas)
    assert "".join(lp["token"] for lp in completed["logprobs"]).strip() == completed["transcript"]
    for entry in completed["logprobs"]:
        assert entry["logprob"] <= 0 and bytes(entry["bytes"]).decode() == entry["token"]
    assert len({lp["logprob"] for lp in completed["logprobs"]}) > 1
    transcriber = streamed()  # recognised while appended, with the session's options
    assert (transcriber.languages, transcriber.logprobs) == (("en", "ja"), True)
    assert transcriber.prompt.startswith("Qwen")  # the keyword as Whisper's hotword


@pytest.mark.slow
async def test_without_include_or_options_there_are_no_logprobs_and_no_keyword_help(
    real_server, validate, streamed
):
    audio_b64 = _speech("We deployed the pods with Qwen.")
    session = _transcription_session({"model": "gpt-4o-transcribe"})
    async with _sdk(real_server) as client, _connect(client) as conn:
        events = await _transcribe_once(conn, validate, session, audio_b64)
    completed = events[-1]
    assert "Qwen" not in completed["transcript"]
    assert "logprobs" not in completed and "languages" not in completed
    assert all("logprobs" not in e for e in events if e["type"].endswith(".delta"))
    assert streamed().prompt is None


@pytest.mark.slow
async def test_gpt_realtime_whisper_with_delay_and_manual_commit(real_server, validate, streamed):
    audio_b64 = _speech("The quick brown fox jumps over the lazy dog.")
    session = _transcription_session({"model": "gpt-realtime-whisper", "delay": "high", "language": "en"})
    async with _sdk(real_server) as client, _connect(client) as conn:
        events = await _transcribe_once(conn, validate, session, audio_b64)
    assert "quick brown fox" in events[-1]["transcript"].lower()
    assert "languages" not in events[-1]
    assert streamed().beam_size == 3  # delay "high": the final pass searches a beam of 3


async def test_the_response_reuses_the_input_transcription_instead_of_transcribing_twice(validate):
    from voicelab.engines.stt import Transcript

    calls: list[str] = []

    def transcribe_input(y, sr, **options):
        calls.append("input")
        return Transcript(" what is two plus two", "en", y.size / sr)

    def transcribe(y, sr, **options):
        calls.append("heard")
        return "what is two plus two"

    srv = _server(
        Engines(
            synthesize=lambda text, **_: (np.zeros(SR // 10, np.float32), SR),
            transcribe=transcribe,
            vad_factory=None,
            transcribe_input=transcribe_input,
        )
    )
    try:
        async with _sdk(srv) as client, client.realtime.connect(model="gpt-realtime") as conn:
            await _next(conn, validate)
            audio = {"input": {"turn_detection": None, "transcription": {"model": "gpt-transcribe"}}}
            session = {"type": "realtime", "output_modalities": ["text"], "audio": audio}
            await conn.session.update(session=session)
            await _next(conn, validate)
            tone = (0.3 * np.sin(np.arange(SR) / SR * 2 * np.pi * 220) * 32767).astype("<i2")
            await conn.input_audio_buffer.append(audio=base64.b64encode(tone.tobytes()).decode())
            await conn.input_audio_buffer.commit()
            await conn.response.create()
            seen: dict[str, dict[str, Any]] = {}
            while (
                "response.done" not in seen
                or len(seen) < 2
                or not any(k.endswith("transcription.completed") for k in seen)
            ):
                event = await _next(conn, validate, timeout=30)
                seen[event["type"]] = event
    finally:
        srv.stop()
    assert calls == ["input"]  # one transcription of the turn, shared with the responder
    completed = seen["conversation.item.input_audio_transcription.completed"]
    assert completed["transcript"] == "what is two plus two"
    assert completed["languages"] == [{"code": "en"}]
    answer = seen["response.done"]["response"]["output"][0]["content"][0]["text"]
    assert "4" in answer or "four" in answer.lower()  # the responder heard the shared words
