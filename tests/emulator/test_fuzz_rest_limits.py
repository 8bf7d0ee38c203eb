"""Fuzzing the REST limits (issue 14 finding 7): chat bodies with deep JSON, odd tool schemas, huge sizes and
control characters, speech input with control characters — never a 5xx, every error in OpenAI's shape, and
the server answers normally afterwards."""

from __future__ import annotations

import asyncio
import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicelab.emulator.app import create_app
from voicelab.emulator.settings import EmulatorSettings

from .conftest import assert_still_serves, make_sdk

APP = create_app(EmulatorSettings(port=0, max_request_bytes=2 * 1024 * 1024))

leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    st.sampled_from(["object", "array", "string", "integer", "number", "boolean", "null", "\x00"]),
)
keyword = st.sampled_from(
    [
        "type",
        "properties",
        "items",
        "required",
        "enum",
        "const",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "anyOf",
        "oneOf",
        "allOf",
        "default",
        "format",
        "pattern",
        "city",
    ]
)
schema = st.recursive(
    leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keyword, inner, max_size=5)),
    max_leaves=12,
)
huge = st.sampled_from([10**6, 10**9, 10**18, 2**63])


def deep(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    parameters=schema,
    size=huge,
    depth=st.integers(0, 400),
    where=st.sampled_from(["metadata", "tool", "message"]),
    text=st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
)
def test_fuzz_chat_bodies_never_5xx(parameters, size, depth, where, text):
    tools = [
        {"type": "function", "function": {"name": "get_weather", "parameters": parameters}},
        {
            "type": "function",
            "function": {
                "name": "big",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "x": {
                            "type": "array",
                            "minItems": size,
                            "items": {"type": "string", "minLength": size},
                        }
                    },
                    "required": ["x"],
                },
            },
        },
    ]
    body = json.dumps(
        {
            "model": "gpt-4o-mini",
            "tools": tools,
            "tool_choice": "required",
            "messages": [{"role": "user", "content": text + " weather in Paris"}],
        }
    )
    nested = deep(depth)
    if where == "metadata":
        body = body[:-1] + f', "metadata": {nested}}}'
    elif where == "tool":
        body = body.replace('"parameters": ', f'"parameters": {{"type": "object", "x": {nested}}}, "y": ', 1)
    else:
        body = body.replace('"content": ', f'"name": {nested}, "content": ', 1)

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=APP),
            base_url="http://127.0.0.1",
            headers={"Authorization": "Bearer k"},
        ) as http:
            return await http.post(
                "/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}
            )

    response = asyncio.run(post())
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        assert set(error) == {"message", "type", "param", "code"} and error["type"] == "invalid_request_error"
    else:
        for call in response.json()["choices"][0]["message"].get("tool_calls") or []:
            assert len(call["function"]["arguments"]) < 200_000


async def test_after_the_fuzz_the_server_answers():
    async with make_sdk(APP) as sdk:
        await assert_still_serves(sdk)
