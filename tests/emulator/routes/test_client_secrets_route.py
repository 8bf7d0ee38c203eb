"""POST /v1/realtime/client_secrets: ek_ keys that carry a session config and expire."""

from __future__ import annotations

import json
import time

import openai
import pytest
from openai.types.realtime import ClientSecretCreateResponse

from voicelab.emulator.realtime.core import ServerCore


def strict(obj) -> ClientSecretCreateResponse:
    return ClientSecretCreateResponse.model_validate(
        json.loads(obj.model_dump_json(exclude_unset=True)), strict=True
    )


async def test_default_secret_carries_a_full_realtime_session(sdk, rest_app):
    before = int(time.time())
    secret = await sdk.realtime.client_secrets.create()
    strict(secret)
    assert secret.value.startswith("ek_")
    assert before + 600 <= secret.expires_at <= int(time.time()) + 600
    session = secret.session
    assert session.type == "realtime" and session.id.startswith("sess_")
    assert session.audio.output.voice == "alloy" and session.audio.input.turn_detection.type == "server_vad"
    assert rest_app.state.keys.lookup(secret.value).session["type"] == "realtime"


async def test_session_config_is_merged_and_stored(sdk, rest_app):
    secret = await sdk.realtime.client_secrets.create(
        expires_after={"anchor": "created_at", "seconds": 10},
        session={
            "type": "realtime",
            "model": "gpt-realtime",
            "instructions": "Speak like a pirate.",
            "audio": {
                "output": {"voice": "marin", "speed": 1.2},
                "input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": 800}},
            },
            "tools": [
                {
                    "type": "function",
                    "name": "lookup",
                    "description": "Look it up",
                    "parameters": {"type": "object", "properties": {}},
                }
            ],
        },
    )
    strict(secret)
    assert secret.expires_at - int(time.time()) <= 10
    stored = rest_app.state.keys.lookup(secret.value).session
    assert stored["instructions"] == "Speak like a pirate."
    assert stored["audio"]["output"] == {
        "format": {"type": "audio/pcm", "rate": 24000},
        "voice": "marin",
        "speed": 1.2,
    }
    vad = stored["audio"]["input"]["turn_detection"]
    assert vad["silence_duration_ms"] == 800 and vad["threshold"] == 0.5  # unsent fields keep defaults
    assert stored["tools"][0]["name"] == "lookup"


async def test_transcription_session(sdk):
    secret = await sdk.realtime.client_secrets.create(
        session={
            "type": "transcription",
            "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe", "language": "en"}}},
        }
    )
    strict(secret)
    assert secret.session.type == "transcription"
    assert secret.session.audio.input.transcription.model == "gpt-4o-transcribe"


@pytest.mark.parametrize(
    "session",
    [
        {
            "type": "realtime",
            "instructions": "Speak like a pirate.",
            "audio": {"output": {"voice": "ash"}, "input": {"turn_detection": None}},
        },
        {"type": "transcription", "audio": {"input": {"transcription": {"model": "whisper-1"}}}},
    ],
    ids=["realtime", "transcription"],
)
async def test_stored_session_is_the_one_a_realtime_connection_starts_with(sdk, rest_app, session):
    """The Realtime side accepts the stored session whole (it once ignored it over ``include: null``)."""
    secret = await sdk.realtime.client_secrets.create(session=session)
    stored = rest_app.state.keys.lookup(secret.value).session
    intent = "transcription" if session["type"] == "transcription" else "conversation"
    created = ServerCore(session=stored, intent=intent, vad_factory=None).start()[0]["session"]
    own = ("id", "expires_at")  # the connection's own
    assert {k: v for k, v in created.items() if k not in own} == {
        k: v for k, v in stored.items() if k not in own
    }
    returned = json.loads(secret.session.model_dump_json(exclude_unset=True))
    assert {k: v for k, v in returned.items() if k not in own} == {
        k: v for k, v in stored.items() if k not in own
    }


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        (
            {"expires_after": {"anchor": "created_at", "seconds": 5}},
            "integer_below_min_value",
            "expires_after.seconds",
        ),
        (
            {"expires_after": {"anchor": "created_at", "seconds": 7201}},
            "integer_above_max_value",
            "expires_after.seconds",
        ),
        ({"expires_after": {"anchor": "now", "seconds": 60}}, "invalid_value", "expires_after.anchor"),
        ({"session": {"type": "video"}}, "invalid_value", "session.type"),
        ({"session": {"type": "realtime", "voice": "alloy"}}, "unknown_parameter", "session.voice"),
        (
            {"session": {"type": "realtime", "audio": {"output": {"voice": "hal"}}}},
            "invalid_value",
            "session.audio.output.voice",
        ),
        (
            {"session": {"type": "realtime", "audio": {"output": {"speed": 2.0}}}},
            "decimal_above_max_value",
            "session.audio.output.speed",
        ),
        (
            {"session": {"type": "realtime", "output_modalities": ["smell"]}},
            "invalid_value",
            "session.output_modalities[0]",
        ),
        (
            {"session": {"type": "realtime", "model": "gpt-5-realtime-ultra"}},
            "model_not_found",
            "session.model",
        ),
    ],
    ids=["too-short", "too-long", "anchor", "type", "beta-field", "voice", "speed", "modality", "model"],
)
async def test_bad_secrets_requests(sdk, still_serves, body, code, param):
    with pytest.raises(openai.APIStatusError) as caught:
        await sdk.realtime.client_secrets.create(**body)
    assert caught.value.status_code in (400, 404)
    assert (caught.value.code, caught.value.param) == (code, param)
    await still_serves()


@pytest.mark.parametrize(
    "session",
    [
        {"type": "realtime", "audio": {"output": {"voice": "nova"}}},  # a speech voice: allowed here before
        {"type": "realtime", "audio": {"output": {"speed": 0.1}}},
        {"type": "realtime", "audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 2}}}},
        {"type": "realtime", "tools": [{"type": "function"}]},
    ],
    ids=["speech-voice", "speed", "threshold", "tool-without-name"],
)
async def test_rest_and_websocket_refuse_a_session_in_the_same_words(sdk, session):
    from voicelab.emulator.realtime.core import ServerCore

    with pytest.raises(openai.BadRequestError) as caught:
        await sdk.realtime.client_secrets.create(session=session)
    core = ServerCore(now=0, seed=1)
    core.start()
    [event] = core.handle({"type": "session.update", "session": session})
    error = event["error"]
    assert (caught.value.code, caught.value.param) == (error["code"], error["param"])
    assert caught.value.body["message"] == error["message"]


@pytest.mark.parametrize(
    "model",
    ["gpt-realtime-2", "gpt-realtime-2.1", "gpt-realtime-2.1-mini", "gpt-realtime-1.5", "gpt-audio-1.5"],
)
async def test_current_realtime_models_get_a_key(sdk, rest_app, model):
    """Issue 13: these were 404 ``model_not_found`` before the catalogue listed the SDK's models."""
    secret = await sdk.realtime.client_secrets.create(session={"type": "realtime", "model": model})
    assert secret.session.model == model
    assert rest_app.state.keys.lookup(secret.value).session["model"] == model
