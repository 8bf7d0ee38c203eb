"""``/v1/realtime/translations`` through the official SDK: real speech in, English speech and text out.

Every server event is checked with a strict TypeAdapter over the SDK's ``RealtimeTranslationServerEvent``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

import numpy as np
import openai
import pytest
from openai import AsyncOpenAI
from pydantic import Field, TypeAdapter

from voicelab import audio, samples
from voicelab.emulator.app import create_app
from voicelab.emulator.realtime.translation_core import TranslationCore
from voicelab.emulator.realtime.translation_route import TranslationEngines
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings
from voicelab.pricing import cost

API_KEY = "fake-translation-test"
SR = 24000
CHUNK = SR // 5  # 200 ms, as the SDK's append docstring recommends


@cache
def _adapter() -> TypeAdapter[Any]:
    from openai.types.realtime.realtime_translation_server_event import RealtimeTranslationServerEvent

    return TypeAdapter(Annotated[RealtimeTranslationServerEvent, Field(discriminator="type")])


def strict(event: dict[str, Any]) -> dict[str, Any]:
    _adapter().validate_python(event, strict=True)
    return event


def start(engines: TranslationEngines | None = None) -> EmbeddedServer:
    app = create_app(EmulatorSettings(port=0, api_key=API_KEY))
    if engines is not None:
        app.state.translation_engines = engines
    return EmbeddedServer(app.state.settings, app=app).start()


def fake_engines() -> TranslationEngines:
    from .conftest import rms_vad_factory

    return TranslationEngines(
        translate=lambda y, sr: "Where is the station?",
        transcribe=lambda y, sr: "駅はどこですか",
        synthesize=lambda text: np.full(SR // 2, 1000, np.int16),
        vad_factory=lambda: rms_vad_factory({"type": "server_vad"}),
    )


@pytest.fixture(scope="module")
def fake_server():
    srv = start(fake_engines())
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def real_server():
    srv = start()
    yield srv
    srv.stop()


def sdk(srv: EmbeddedServer, key: str = API_KEY) -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key=key, base_url=srv.base_url, websocket_base_url=srv.websocket_base_url, max_retries=0
    )


@contextlib.asynccontextmanager
async def translation(srv: EmbeddedServer, model: str = "gpt-realtime-translate", key: str = API_KEY):
    async with sdk(srv, key) as client, client.realtime.translations.connect(model=model) as conn:
        yield conn


async def recv(conn, timeout: float = 120.0) -> dict[str, Any]:
    return strict(json.loads(await asyncio.wait_for(conn.recv_bytes(), timeout)))


async def until(conn, kind: str, timeout: float = 180.0) -> list[dict[str, Any]]:
    events = []
    while True:
        event = await recv(conn, timeout)
        events.append(event)
        if event["type"] == kind:
            return events


async def stream(conn, pcm: np.ndarray) -> None:
    for start in range(0, len(pcm), CHUNK):
        await conn.session.input_audio_buffer.append(
            audio=base64.b64encode(pcm[start : start + CHUNK].tobytes()).decode()
        )


def speech_with_pauses(*clips: np.ndarray, pause_s: float = 1.0) -> np.ndarray:
    gap = np.zeros(int(pause_s * SR), np.int16)
    return np.concatenate([gap] + [piece for clip in clips for piece in (clip, gap)])


def japanese_station() -> np.ndarray:
    sample = samples.load("ja_station")
    return audio.to_pcm16(audio.resample(sample.y, sample.sr, SR))


# ---------------------------------------------------------------------------------------------- real engines


@pytest.mark.slow
async def test_japanese_speech_comes_back_as_english_speech_and_text(real_server):
    pcm = speech_with_pauses(japanese_station())
    async with translation(real_server) as conn:
        created = await recv(conn)
        assert created["type"] == "session.created" and created["session"]["type"] == "translation"
        await conn.session.update(
            session={"audio": {"input": {"transcription": {"model": "gpt-live-transcribe"}}}}
        )
        assert (await recv(conn))["type"] == "session.updated"
        await stream(conn, pcm)
        await conn.session.close()
        events = await until(conn, "session.closed")
    english = "".join(e["delta"] for e in events if e["type"] == "session.output_transcript.delta")
    source = "".join(e["delta"] for e in events if e["type"] == "session.input_transcript.delta")
    spoken = b"".join(
        base64.b64decode(e["delta"]) for e in events if e["type"] == "session.output_audio.delta"
    )
    assert "station" in english.lower(), english
    assert "駅" in source, source
    seconds = len(spoken) / 2 / SR
    assert 0.8 < seconds < 10, seconds  # English speech of the translated sentence, at 24 kHz
    deltas = [e for e in events if e["type"] == "session.output_audio.delta"]
    assert all(e["sample_rate"] == SR and e["channels"] == 1 and e["format"] == "pcm16" for e in deltas)
    heard = _transcribe_english(np.frombuffer(spoken, "<i2"))
    assert "station" in heard.lower(), heard  # the audio says what the transcript says


def _transcribe_english(pcm: np.ndarray) -> str:
    from voicelab.engines import stt

    return stt.transcribe(pcm.astype(np.float32) / 32768, SR, language="en").text


# ---------------------------------------------------------------------------------- protocol, fake engines


async def test_each_phrase_is_translated_as_soon_as_it_ends_in_order(fake_server):
    tone = (3000 * np.sin(np.arange(SR) / SR * 2 * np.pi * 220)).astype(np.int16)
    async with translation(fake_server) as conn:
        await recv(conn)
        await stream(conn, speech_with_pauses(tone, tone, pause_s=1.2))
        # both phrases ended (1.2 s of silence after each): both translations arrive before any close
        events = []
        while (
            sum(
                e["type"] == "session.output_transcript.delta" and e["delta"].startswith("station")
                for e in events
            )
            < 2
        ):
            events.append(await recv(conn, 30))
        await conn.session.close()
        events += await until(conn, "session.closed")
    text = "".join(e["delta"] for e in events if e["type"] == "session.output_transcript.delta")
    assert text == "Where is the station? Where is the station? "
    stamps = [e["elapsed_ms"] for e in events if e["type"] == "session.output_transcript.delta"]
    assert all(ms % 200 == 0 for ms in stamps) and stamps == sorted(stamps) and stamps[0] < stamps[-1]
    assert not [e for e in events if e["type"] == "session.input_transcript.delta"]  # transcription not asked
    assert events[-1]["type"] == "session.closed"


async def test_unsupported_target_language_is_refused_naming_the_parameter_and_the_session_goes_on(
    fake_server,
):
    async with translation(fake_server) as conn:
        await recv(conn)
        await conn.session.update(session={"audio": {"output": {"language": "es"}}}, event_id="evt_es")
        error = await recv(conn)
        assert error["type"] == "error"
        assert error["error"]["param"] == "session.audio.output.language"
        assert error["error"]["code"] == "unsupported_value" and error["error"]["event_id"] == "evt_es"
        assert "'es'" in error["error"]["message"] and "en" in error["error"]["message"]
        await conn.session.update(session={"audio": {"output": {"language": "en"}}})
        updated = await recv(conn)
        assert (
            updated["type"] == "session.updated" and updated["session"]["audio"]["output"]["language"] == "en"
        )


@pytest.mark.parametrize(
    ("event", "param"),
    [
        ({"type": "response.create"}, "type"),
        ({"type": "session.input_audio_buffer.append", "audio": "not base64!"}, "audio"),
        ({"type": "session.input_audio_buffer.append", "audio": base64.b64encode(b"abc").decode()}, "audio"),
        ({"type": "session.update", "session": {"model": "gpt-realtime-2"}}, "session.model"),
        ({"type": "session.update", "session": {"instructions": "be nice"}}, "session.instructions"),
        (
            {"type": "session.update", "session": {"audio": {"output": {"voice": "marin"}}}},
            "session.audio.output.voice",
        ),
    ],
)
async def test_bad_client_events_get_an_error_naming_the_parameter(fake_server, event, param):
    async with translation(fake_server) as conn:
        await recv(conn)
        await conn.send_raw(json.dumps(event))
        error = await recv(conn)
        assert error["type"] == "error" and error["error"]["param"] == param, error
        await conn.session.close()  # the session still works: close flushes and ends it
        assert (await until(conn, "session.closed"))[-1]["type"] == "session.closed"


async def test_unknown_or_missing_model_is_refused_at_connect(fake_server):
    for model in ("gpt-realtime-2", "gpt-realtime-transl8"):
        async with translation(fake_server, model) as conn:
            error = await recv(conn)
            assert error["type"] == "error" and error["error"]["code"] == "model_not_found", error


async def test_a_translation_client_secret_opens_a_session_with_its_settings(fake_server):
    transcription = {"model": "gpt-live-transcribe"}
    async with sdk(fake_server) as client:
        secret = await client.realtime.translations.client_secrets.create(
            session={"model": "gpt-realtime-translate", "audio": {"input": {"transcription": transcription}}}
        )
    assert secret.value.startswith("ek_") and secret.session.type == "translation"
    assert secret.session.audio.input.transcription.model == "gpt-live-transcribe"
    async with translation(fake_server, key=secret.value) as conn:
        created = await recv(conn)
        assert created["session"]["audio"]["input"]["transcription"] == transcription
    # an ephemeral key opens translation sessions only, not REST calls
    async with sdk(fake_server, key=secret.value) as browser:
        with pytest.raises(openai.APIStatusError):
            await browser.models.list()


@pytest.mark.parametrize(
    ("session", "param"),
    [
        (
            {"model": "gpt-realtime-translate", "audio": {"output": {"language": "es"}}},
            "session.audio.output.language",
        ),
        ({"model": "whisper-1"}, "session.model"),
        ({"audio": {}}, "session.model"),
        ({"model": "gpt-realtime-translate", "instructions": "hi"}, "session.instructions"),
    ],
)
async def test_client_secret_bad_inputs_are_refused_naming_the_parameter(fake_server, session, param):
    async with sdk(fake_server) as client:
        with pytest.raises(openai.APIStatusError) as err:
            await client.realtime.translations.client_secrets.create(session=session)  # type: ignore[arg-type]
    assert err.value.status_code in (400, 404) and err.value.body["param"] == param, err.value.body


async def test_a_realtime_key_does_not_open_a_translation_session(fake_server):
    async with sdk(fake_server) as client:
        realtime = await client.realtime.client_secrets.create(
            session={"type": "realtime", "model": "gpt-realtime-2"}
        )
    async with translation(fake_server, key=realtime.value) as conn:
        error = await recv(conn)
        assert error["type"] == "error" and error["error"]["code"] == "invalid_api_key"


def test_translation_is_billed_per_minute_of_input_audio():
    core = TranslationCore(model="gpt-realtime-translate", now=0, vad=None)
    core.start()
    ninety_seconds = base64.b64encode(np.zeros(90 * SR, np.int16).tobytes()).decode()
    core.handle_text(json.dumps({"type": "session.input_audio_buffer.append", "audio": ninety_seconds}))
    assert core.billed_seconds == 90
    billed = cost({"type": "duration", "seconds": core.billed_seconds}, "gpt-realtime-translate")
    assert billed.total_decimal == Decimal("0.051")  # 1.5 min × $0.034


async def test_the_client_helper_streams_a_recording_and_places_the_translation_on_its_time_axis(fake_server):
    from voicelab.errors import RealtimeError
    from voicelab.realtime import translate

    tone = (3000 * np.sin(np.arange(SR) / SR * 2 * np.pi * 220)).astype(np.int16)
    speech = speech_with_pauses(tone, pause_s=0.5)  # 0.5 s silence, 1 s "speech", 0.5 s silence
    async with sdk(fake_server) as client:
        run = await translate(client, speech, trailing_silence_s=1.0)
        with pytest.raises(RealtimeError, match=r"unsupported_value.*param session\.audio\.output\.language"):
            await translate(client, speech, language="es")
    assert run.english_text == "Where is the station? " and run.source_text == "駅はどこですか"
    assert run.seconds_sent == pytest.approx(3.0)  # 2 s of input + 1 s of trailing silence
    assert run.cost().total_decimal == Decimal("3") / 60 * Decimal("0.034")
    first_audio = next(e for e in run.events if e["type"] == "session.output_audio.delta")
    start = first_audio["elapsed_ms"] * SR // 1000
    assert start >= 1.5 * SR  # produced after the phrase ended, placed there on the source's time axis
    assert np.all(run.translated[:start] == 0) and np.all(run.translated[start : start + SR // 2] == 1000)
    assert run.events[0]["type"] == "session.created" and run.events[-1]["type"] == "session.closed"
