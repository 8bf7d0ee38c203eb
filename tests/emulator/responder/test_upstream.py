"""The upstream responder forwards to a chat-completions server; make_responder picks by settings."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from voicelab.emulator.app import create_app
from voicelab.emulator.responder import (
    OpenAICompatibleResponder,
    Reply,
    ScriptedResponder,
    make_responder,
)
from voicelab.emulator.settings import EmulatorSettings
from voicelab.errors import ParameterError, ResponderError

from .conftest import WEATHER, user


def test_make_responder_picks_by_settings():
    assert isinstance(make_responder(EmulatorSettings()), ScriptedResponder)
    forwarding = make_responder(EmulatorSettings(responder="openai-compatible", llm_base_url="http://x/v1"))
    assert isinstance(forwarding, OpenAICompatibleResponder)
    with pytest.raises(ParameterError):
        EmulatorSettings(responder="openai-compatible")
    with pytest.raises(ParameterError):
        EmulatorSettings(responder="gpt")


@pytest.fixture
def upstream_app():
    """A tiny fake chat-completions server: another emulator app (scripted), reached in-process."""
    settings = EmulatorSettings(
        api_key="upstream-key", fixed_time="2026-11-21T14:05:00Z", allowed_hosts=["upstream"]
    )
    return create_app(settings)


def _forwarder(upstream_app, api_key="upstream-key") -> OpenAICompatibleResponder:
    http_client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=upstream_app), base_url="http://upstream"
    )
    return OpenAICompatibleResponder("http://upstream/v1", api_key, "gpt-4o-mini", http_client=http_client)


async def test_openai_compatible_forwards_text_and_instructions(upstream_app):
    responder = _forwarder(upstream_app)
    reply = await responder.respond(user("What is 6 times 7?"), instructions="Be brief.")
    assert reply == Reply("6 times 7 is 42.", [])


async def test_openai_compatible_forwards_tools(upstream_app):
    responder = _forwarder(upstream_app)
    reply = await responder.respond(
        user("weather in Oslo"), tools=[WEATHER], tool_choice={"type": "function", "name": "get_weather"}
    )
    assert [(c.name, json.loads(c.arguments)) for c in reply.tool_calls] == [
        ("get_weather", {"city": "Oslo", "unit": "celsius"})
    ]


async def test_openai_compatible_failure_is_a_responder_error(upstream_app):
    responder = _forwarder(upstream_app, api_key="wrong")
    with pytest.raises(ResponderError, match="AuthenticationError"):
        await responder.respond(user("hi"))


async def test_emulator_with_forwarding_responder_end_to_end(upstream_app, sdk_for):
    app = create_app(EmulatorSettings(responder="openai-compatible", llm_base_url="http://upstream/v1"))
    app.state.responder = _forwarder(upstream_app)
    async with sdk_for(app) as client:
        completion = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "what time is it"}]
        )
        assert completion.choices[0].message.content == "It is 14:05 UTC."
        app.state.responder = _forwarder(upstream_app, api_key="wrong")
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
            )
        assert caught.value.status_code == 502
        assert caught.value.body["type"] == "server_error"
