"""REST limits (issue 14 findings 5-8): each attack gets OpenAI's answer, and the server keeps serving.

Request bodies over ``max_request_bytes`` (413, refused from ``Content-Length`` before parsing), JSON nested
too deep (400 naming the parameter), tool schemas that ask for huge arguments (bounded, quick), NUL in speech
input (no 500), engine jobs over ``max_engine_jobs`` (429 + ``Retry-After``), a full key store (429), request
headers sent too slowly (closed), and 500s that never echo the exception.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time

import httpx
import openai
import pytest

from voicelab.emulator.admission import EngineJobsMiddleware
from voicelab.emulator.app import create_app
from voicelab.emulator.errors import SERVER_ERROR_MESSAGE, ServerErrorMiddleware
from voicelab.emulator.responder.arguments import MAX_ARGUMENT_CHARS, MAX_ITEMS, MAX_STRING_CHARS
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings
from voicelab.protocol.limits import MAX_JSON_DEPTH

from .conftest import assert_still_serves, make_sdk

KEY = {"Authorization": "Bearer test-key"}


def raw_client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", headers=KEY)


def nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


def assert_openai_error(response: httpx.Response, status: int, code: str, param: str | None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == code
    assert error["param"] == param
    assert "Traceback" not in error["message"] and "Error:" not in error["message"]
    return error


async def test_body_over_the_limit_is_413_before_it_is_read():
    app = create_app(EmulatorSettings(port=0, max_request_bytes=64 * 1024))
    parsed = []
    original = json.loads

    async with raw_client(app) as http:
        body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x" * 200_000}]})
        json.loads = lambda *a, **k: parsed.append(1) or original(*a, **k)
        try:
            response = await http.post(
                "/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}
            )
        finally:
            json.loads = original
        error = assert_openai_error(response, 413, "request_too_large", None)
        assert error["type"] == "invalid_request_error"
        assert "Maximum content size limit (65536) exceeded" in error["message"]
        assert not parsed  # refused from Content-Length: nothing was parsed
    async with make_sdk(app) as sdk:
        await assert_still_serves(sdk)


def test_default_request_limit_refuses_a_60_mb_body():
    assert EmulatorSettings().max_request_bytes < 60 * 1024 * 1024 < 2 * EmulatorSettings().max_request_bytes


@pytest.mark.parametrize(
    "body, param",
    [
        (
            {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "hi"}],
                "tools": [{"type": "function", "function": {"name": "f", "parameters": nested(500)}}],
            },
            "tools[0].function",
        ),
        (
            {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "hi"}],
                "metadata": nested(500),
            },
            "metadata.a.a",
        ),
        # deeper than Python's parser goes: refused all the same (no parameter can be named)
        ('{"model": "gpt-4o-mini", "messages": [' + '{"a": ' * 5000 + "1" + "}" * 5000 + "]}", None),
    ],
)
async def test_deep_json_is_a_400_naming_the_parameter(rest_app, sdk, body, param):
    content = body if isinstance(body, str) else json.dumps(body)
    async with raw_client(rest_app) as http:
        response = await http.post(
            "/v1/chat/completions", content=content, headers={"Content-Type": "application/json"}
        )
    error = assert_openai_error(response, 400, "invalid_value", param)
    assert f"nested more than {MAX_JSON_DEPTH} levels deep" in error["message"]
    await assert_still_serves(sdk)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "array", "items": {"type": "string"}, "minItems": 1_000_000},
        {"type": "string", "minLength": 100_000_000},
        {
            "type": "array",
            "items": {"type": "array", "minItems": 10_000, "items": {"minLength": 10**9}},
            "minItems": 10**6,
        },
    ],
)
async def test_huge_schema_sizes_are_capped_and_quick(sdk, schema):
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {"city": schema}, "required": ["city"]},
            },
        }
    ]
    reply = await sdk.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "weather in Paris"}], tools=tools
    )
    call = reply.choices[0].message.tool_calls[0]
    value = json.loads(call.function.arguments)["city"]
    assert len(call.function.arguments) <= MAX_ARGUMENT_CHARS + 8 * MAX_ITEMS  # + JSON punctuation
    if isinstance(value, list):
        assert 1 <= len(value) <= MAX_ITEMS
    else:
        assert len(value) == MAX_STRING_CHARS
    await assert_still_serves(sdk)


@pytest.mark.parametrize(
    "parameters",
    [
        [],
        {"type": "object", "properties": []},
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": "a"},
        {
            "type": "object",
            "properties": {"a": {"type": "array", "minItems": "5", "items": []}},
            "required": ["a"],
        },
        {"type": "object", "properties": {"a": {"allOf": [1, "x"], "enum": {}}}, "required": ["a"]},
        {
            "type": "object",
            "properties": {"a": {"type": "number", "minimum": "x", "default": "y"}},
            "required": ["a"],
        },
    ],
)
async def test_odd_tool_schema_shapes_never_500(rest_app, sdk, parameters):
    body = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "weather in Paris"}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": parameters}}],
        "tool_choice": "required",
    }
    async with raw_client(rest_app) as http:
        response = await http.post("/v1/chat/completions", json=body)
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        call = response.json()["choices"][0]["message"]["tool_calls"][0]
        assert isinstance(json.loads(call["function"]["arguments"]), dict)
    await assert_still_serves(sdk)


@pytest.mark.slow
async def test_nul_in_speech_input_and_spoken_chat_reply_is_not_a_500(rest_app, sdk):
    async with raw_client(rest_app) as http:
        speech = await http.post(
            "/v1/audio/speech", json={"model": "tts-1", "voice": "alloy", "input": "hello\x00world"}
        )
        assert speech.status_code == 200 and len(speech.content) > 1000
        only_nul = await http.post(
            "/v1/audio/speech", json={"model": "tts-1", "voice": "alloy", "input": "\x00"}
        )
        assert_openai_error(only_nul, 400, "invalid_value", "input")
        chat = await http.post(
            "/v1/chat/completions",
            json={
                "model": "gpt-4o-audio-preview",
                "modalities": ["text", "audio"],
                "audio": {"voice": "alloy", "format": "wav"},
                "messages": [{"role": "user", "content": 'say "a\x00b"'}],
            },
        )
        assert chat.status_code == 200, chat.text
    await assert_still_serves(sdk)


async def test_engine_jobs_beyond_the_limit_get_429_with_retry_after():
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow_engine(scope, receive, send):
        started.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"audio"})

    app = EngineJobsMiddleware(slow_engine, limit=1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as http:
        first = asyncio.create_task(http.post("/v1/audio/transcriptions", content=b"x"))
        await started.wait()
        refused = await http.post("/v1/audio/translations", content=b"x")  # same engine (Whisper)
        error = assert_openai_error(refused, 429, "rate_limit_exceeded", None)
        assert error["type"] == "requests"
        assert refused.headers["retry-after"] == "1"
        release.set()
        other_engine = await http.post("/v1/audio/speech", content=b"x")  # TTS has its own slots
        assert other_engine.status_code == 200
        assert (await first).status_code == 200
        assert (await http.post("/v1/audio/transcriptions", content=b"x")).status_code == 200  # slot freed


def test_create_app_admits_engine_jobs_by_the_setting():
    app = create_app(EmulatorSettings(port=0, max_engine_jobs=3))
    limits = [m.kwargs["limit"] for m in app.user_middleware if m.cls is EngineJobsMiddleware]
    assert limits == [3]


async def test_key_store_full_is_a_429_and_expired_keys_make_room():
    app = create_app(EmulatorSettings(port=0, max_minted_keys=2))
    async with make_sdk(app) as sdk:
        for _ in range(2):
            await sdk.realtime.client_secrets.create(expires_after={"anchor": "created_at", "seconds": 10})
        with pytest.raises(openai.RateLimitError) as refused:
            await sdk.realtime.client_secrets.create(expires_after={"anchor": "created_at", "seconds": 10})
        assert refused.value.code == "rate_limit_exceeded"
        assert refused.value.response.headers["retry-after"]
        now = time.time()
        app.state.keys._clock = lambda: now + 11  # both keys expired
        secret = await sdk.realtime.client_secrets.create()
        assert secret.value.startswith("ek_")
        await assert_still_serves(sdk)


async def test_a_500_never_echoes_the_exception():
    async def broken(scope, receive, send):
        raise RuntimeError("secret internal detail /srv/path")

    app = ServerErrorMiddleware(broken)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as http:
        response = await http.get("/v1/models")
    assert response.status_code == 500
    assert response.json()["error"] == {
        "message": SERVER_ERROR_MESSAGE,
        "type": "server_error",
        "param": None,
        "code": None,
    }


def test_slowloris_headers_are_cut_off_and_the_server_keeps_serving():
    server = EmbeddedServer(EmulatorSettings(port=0, header_timeout_s=0.5)).start()
    try:
        slow = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finishes the headers
        started = time.monotonic()
        assert slow.recv(1024) == b""  # closed by the server
        assert 0.4 < time.monotonic() - started < 3
        slow.close()
        health = httpx.get(f"http://127.0.0.1:{server.port}/health", timeout=5)
        assert health.json() == {"status": "ok"}
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=5) as keep_alive:
            for _ in range(2):  # a kept-alive connection is not cut while it is quick
                assert keep_alive.get("/health").status_code == 200
                time.sleep(0.3)
    finally:
        server.stop()
