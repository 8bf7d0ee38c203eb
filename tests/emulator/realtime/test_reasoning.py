"""Reasoning Realtime models over ``/v1/realtime`` with the official SDK: ``reasoning.effort`` and
``parallel_tool_calls`` in ``session.update`` and ``response.create``, their effect (reasoning tokens as
output text tokens, a thinking delay before the reply), several tools, the refusal on non-reasoning models."""

from __future__ import annotations

import json
import time

import pytest

from voicelab.emulator.realtime.core import ServerCore
from voicelab.emulator.realtime.effects import GenerateReply
from voicelab.emulator.realtime.route import Engines
from voicelab.emulator.responder.reasoning import THINKING
from voicelab.protocol.billing import text_tokens
from voicelab.protocol.validate import validate_session

from ..responder.conftest import TIME, WEATHER_AND_TIME
from .test_route import events_until, fake_synthesize, fake_transcribe, next_event, sdk, start_server

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city",
    "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}},
}
QUESTION = WEATHER_AND_TIME


@pytest.fixture(scope="module")
def server():
    srv = start_server(Engines(synthesize=fake_synthesize, transcribe=fake_transcribe, vad_factory=None))
    yield srv
    srv.stop()


async def ask(conn, validate, text: str, **response) -> dict:
    """Send a user message and ``response.create``; return the ``response.done`` event's response."""
    await conn.conversation.item.create(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    )
    await conn.response.create(response={"output_modalities": ["text"], **response})
    events = await events_until(conn, validate, "response.done")
    return events[-1]["response"]


async def test_effort_in_session_and_response_sets_the_reasoning_tokens(server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime-2") as conn:
        await next_event(conn, validate)
        await conn.session.update(session={"type": "realtime", "reasoning": {"effort": "high"}})
        updated = await next_event(conn, validate)
        assert updated["session"]["reasoning"] == {"effort": "high"}
        by_session = await ask(conn, validate, "what is 2 plus 3")
        by_response = await ask(conn, validate, "what is 2 plus 3", reasoning={"effort": "minimal"})
    answer = "2 plus 3 is 5."
    for response, effort in ((by_session, "high"), (by_response, "minimal")):
        assert response["output"][0]["content"][0]["text"] == answer
        # the SDK's realtime usage has no reasoning field: reasoning tokens are output text tokens
        assert response["usage"]["output_token_details"] == {
            "text_tokens": THINKING[effort][0] + text_tokens(answer),
            "audio_tokens": 0,
        }


@pytest.mark.parametrize("effort", ["minimal", "high", "xhigh"])
def test_the_core_asks_for_the_thinking_delay_of_the_effort(effort):
    core = ServerCore(model="gpt-realtime-2", seed=1, vad_factory=None)
    core.start()
    out = core.handle({"type": "response.create", "response": {"reasoning": {"effort": effort}}})
    [effect] = [o for o in out if isinstance(o, GenerateReply)]
    assert effect.thinking_s == THINKING[effort][1]


async def test_the_reply_waits_for_the_thinking_delay(server, validate):
    """Between response.created and the first output item lies at least the effort's thinking delay."""
    async with sdk(server).realtime.connect(model="gpt-realtime-2") as conn:
        await next_event(conn, validate)
        await conn.response.create(response={"output_modalities": ["text"], "reasoning": {"effort": "xhigh"}})
        created = await next_event(conn, validate)
        assert created["type"] == "response.created"
        started = time.monotonic()
        added = await next_event(conn, validate)
        waited = time.monotonic() - started
        await events_until(conn, validate, "response.done")
    assert added["type"] == "response.output_item.added"
    assert waited >= THINKING["xhigh"][1] - 0.01


async def test_a_non_reasoning_model_thinks_for_nothing(server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        response = await ask(conn, validate, "what is 2 plus 3")
    assert response["usage"]["output_token_details"]["text_tokens"] == text_tokens("2 plus 3 is 5.")


@pytest.mark.parametrize(
    ("parallel", "names"), [(True, ["get_weather", "get_time"]), (False, ["get_weather"])]
)
async def test_parallel_tool_calls_with_several_tools(server, validate, parallel, names):
    async with sdk(server).realtime.connect(model="gpt-realtime-2") as conn:
        await next_event(conn, validate)
        await conn.session.update(session={"type": "realtime", "tools": [WEATHER, TIME]})
        await next_event(conn, validate)
        response = await ask(conn, validate, QUESTION, parallel_tool_calls=parallel)
    calls = [item for item in response["output"] if item["type"] == "function_call"]
    assert [call["name"] for call in calls] == names
    assert all(json.loads(call["arguments"]) == {"city": "Paris"} for call in calls)
    assert len({call["call_id"] for call in calls}) == len(names)


async def test_parallel_tool_calls_false_in_the_session(server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime-2") as conn:
        await next_event(conn, validate)
        await conn.session.update(
            session={"type": "realtime", "tools": [WEATHER, TIME], "parallel_tool_calls": False}
        )
        await next_event(conn, validate)
        single = await ask(conn, validate, QUESTION)
        several = await ask(conn, validate, QUESTION, parallel_tool_calls=True)  # the response overrides

    def called(response):
        return [item["name"] for item in response["output"] if item["type"] == "function_call"]

    assert called(single) == ["get_weather"]
    assert called(several) == ["get_weather", "get_time"]


async def test_function_calling_still_completes_the_turn(server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime-2") as conn:
        await next_event(conn, validate)
        await conn.session.update(session={"type": "realtime", "tools": [WEATHER, TIME]})
        await next_event(conn, validate)
        first = await ask(conn, validate, "What's the weather in Paris?")
        [call] = [item for item in first["output"] if item["type"] == "function_call"]
        await conn.conversation.item.create(
            item={"type": "function_call_output", "call_id": call["call_id"], "output": '{"sky": "clear"}'}
        )
        await conn.response.create(response={"output_modalities": ["text"]})
        done = (await events_until(conn, validate, "response.done"))[-1]["response"]
    assert done["output"][0]["content"][0]["text"] == "Here is what get_weather returned: sky clear."


@pytest.mark.parametrize(
    ("event", "param"),
    [
        (
            {"type": "session.update", "session": {"type": "realtime", "reasoning": {"effort": "low"}}},
            "session.reasoning",
        ),
        (
            {"type": "session.update", "session": {"type": "realtime", "parallel_tool_calls": True}},
            "session.parallel_tool_calls",
        ),
        ({"type": "response.create", "response": {"reasoning": {"effort": "low"}}}, "response.reasoning"),
    ],
    ids=["session-reasoning", "session-parallel", "response-reasoning"],
)
async def test_non_reasoning_models_refuse_the_reasoning_parameters(server, validate, event, param):
    async with sdk(server).realtime.connect(model="gpt-realtime-mini") as conn:
        await next_event(conn, validate)
        await conn.send(event)
        error = await next_event(conn, validate)
        assert (error["type"], error["error"]["code"], error["error"]["param"]) == (
            "error",
            "unsupported_parameter",
            param,
        )
        response = await ask(conn, validate, "what is 2 plus 3")  # the session keeps working
    assert response["status"] == "completed"


async def test_bad_effort_is_invalid_value(server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime-2") as conn:
        await next_event(conn, validate)
        await conn.send({"type": "response.create", "response": {"reasoning": {"effort": "max"}}})
        error = await next_event(conn, validate)
    assert (error["error"]["code"], error["error"]["param"]) == ("invalid_value", "response.reasoning.effort")


def test_client_secret_sessions_are_checked_too():
    validate_session({"type": "realtime", "model": "gpt-realtime-2", "reasoning": {"effort": "xhigh"}})
    with pytest.raises(ValueError, match=r"session\.reasoning"):
        validate_session({"type": "realtime", "model": "gpt-realtime", "reasoning": {"effort": "xhigh"}})
