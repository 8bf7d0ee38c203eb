"""POST /v1/responses through the official SDK: text and message input, tools, previous_response_id,
streaming, reasoning, errors. Every response and stream event is validated with strict TypeAdapters over the
SDK's types."""

from __future__ import annotations

import json
from typing import Annotated, Any

import openai
import pytest
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import Field, TypeAdapter

from voicelab.emulator.responder.reasoning import THINKING
from voicelab.emulator.routes.responses import ResponseStore, StoredResponse
from voicelab.protocol.billing import text_tokens
from voicelab.protocol.validate import unknown_keys

RESPONSE = TypeAdapter(Response)
EVENT = TypeAdapter(Annotated[ResponseStreamEvent, Field(discriminator="type")])

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city",
    "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}},
    "strict": True,
}
TIME = {**WEATHER, "name": "get_time", "description": "Get the current local time in a city"}


def weather_history(result: str) -> list[dict[str, Any]]:
    """A question, the get_weather call it caused and the tool's ``result``, as input items."""
    call = {
        "type": "function_call",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city": "Paris"}',
    }
    return [
        {"role": "user", "content": "What's the weather in Paris?"},
        call,
        {"type": "function_call_output", "call_id": "call_1", "output": result},
    ]


def strict_response(data: dict[str, Any]) -> Response:
    """The wire JSON as the SDK's ``Response``, strictly, with no key the SDK does not know."""
    parsed = RESPONSE.validate_python(data, strict=True)
    assert [e.param for e in unknown_keys(parsed)] == []
    return parsed


def strict_event(data: dict[str, Any]) -> Any:
    parsed = EVENT.validate_python(data, strict=True)
    assert [e.param for e in unknown_keys(parsed)] == []
    return parsed


MODEL = "gpt-4.1"
"""The model of most requests here (a text model of the catalogue)."""


async def create(sdk: openai.AsyncOpenAI, **params: Any) -> Response:
    """``responses.create`` through the SDK with :func:`body`'s defaults, parsed strictly."""
    raw = await sdk.responses.with_raw_response.create(**body(**params))
    return strict_response(raw.http_response.json())


def body(**params: Any) -> dict[str, Any]:
    """A request body: :data:`MODEL`, ``input="hi"`` and ``params`` (``None`` drops a key)."""
    merged = {"model": MODEL, "input": "hi", **params}
    return {k: v for k, v in merged.items() if v is not None}


async def raw_events(http, **params: Any) -> list[Any]:
    """POST :func:`body` with stream=true and parse every SSE frame strictly."""
    events = []
    async with http.stream("POST", "/v1/responses", json=body(**params, stream=True)) as reply:
        assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/event-stream")
        async for line in reply.aiter_lines():
            if line.startswith("data: "):
                events.append(strict_event(json.loads(line[6:])))
    return events


async def test_string_input_text_reply_and_usage(sdk):
    response = await create(sdk, model="gpt-4.1-mini", input="What is 12 times 7?", instructions="Be terse.")
    assert response.id.startswith("resp_") and response.status == "completed"
    assert response.output_text == "12 times 7 is 84."
    assert response.instructions == "Be terse."
    usage = response.usage
    assert usage.input_tokens == text_tokens("Be terse.") + text_tokens("What is 12 times 7?")
    assert usage.output_tokens == text_tokens("12 times 7 is 84.")
    assert usage.output_tokens_details.reasoning_tokens == 0
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert response.reasoning.effort is None  # gpt-4.1-mini is not a reasoning model


async def test_message_list_input_with_parts_and_developer_instructions(sdk):
    response = await create(
        sdk,
        input=[
            {"role": "developer", "content": "Answer briefly."},
            {"role": "user", "content": [{"type": "input_text", "text": "what is 2 plus 3"}]},
        ],
    )
    assert response.output_text == "2 plus 3 is 5."
    assert response.usage.input_tokens == text_tokens("Answer briefly.") + text_tokens("what is 2 plus 3")


async def test_function_call_then_output_then_answer(sdk):
    first = await create(sdk, input="What's the weather in Paris?", tools=[WEATHER])
    [call] = first.output
    assert (call.type, call.name, json.loads(call.arguments)) == (
        "function_call",
        "get_weather",
        {"city": "Paris"},
    )
    assert call.call_id.startswith("call_") and first.output_text == ""
    second = await create(
        sdk,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"temperature_c": 18}'}],
        tools=[WEATHER],
    )
    assert second.previous_response_id == first.id
    assert second.output_text == "Here is what get_weather returned: temperature c 18."


async def test_function_call_items_sent_back_in_the_input(sdk):
    """Without previous_response_id: the client sends the whole history (what the Agents SDK does)."""
    history = weather_history("sunny")
    response = await create(sdk, input=history, tools=[WEATHER])
    assert response.output_text == "Here is what get_weather returned: sunny."


async def test_a_tool_result_sentence_ends_with_one_full_stop(sdk):
    history = weather_history("The weather in Paris is sunny.")
    response = await create(sdk, input=history, tools=[WEATHER])
    assert response.output_text == "Here is what get_weather returned: The weather in Paris is sunny."


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        ("auto", ["get_weather"]),
        ("none", []),
        ("required", ["get_weather"]),
        ({"type": "function", "name": "get_time"}, ["get_time"]),
    ],
    ids=["auto", "none", "required", "named"],
)
async def test_tool_choice(sdk, tool_choice, expected):
    response = await create(
        sdk,
        input="What's the weather in Paris?",
        tools=[WEATHER, TIME],
        tool_choice=tool_choice,
    )
    assert [item.name for item in response.output if item.type == "function_call"] == expected
    echoed = response.tool_choice
    assert (
        echoed == tool_choice
        if isinstance(tool_choice, str)
        else (echoed.type, echoed.name) == ("function", "get_time")
    )
    if not expected:
        assert response.output_text.startswith("You said:")


@pytest.mark.parametrize(
    ("parallel", "expected"), [(True, ["get_weather", "get_time"]), (False, ["get_weather"])]
)
async def test_parallel_tool_calls(sdk, parallel, expected):
    response = await create(
        sdk,
        input="What's the weather in Paris, and the time there?",
        tools=[WEATHER, TIME],
        parallel_tool_calls=parallel,
    )
    assert [item.name for item in response.output] == expected
    assert response.parallel_tool_calls is parallel
    assert len({item.call_id for item in response.output}) == len(expected)


async def test_previous_response_id_carries_the_conversation(sdk):
    first = await create(sdk, model="gpt-4.1-mini", input="what is 2 plus 3")
    second = await create(sdk, model="gpt-4.1-mini", input="what is 4 times 5", previous_response_id=first.id)
    assert second.output_text == "4 times 5 is 20."
    # the whole conversation is input again: the first question and answer, then the new question
    assert second.usage.input_tokens == sum(
        text_tokens(t) for t in ("what is 2 plus 3", "2 plus 3 is 5.", "what is 4 times 5")
    )
    fetched = await sdk.responses.retrieve(second.id)
    assert fetched.id == second.id and fetched.output_text == "4 times 5 is 20."


async def test_store_false_is_not_kept(sdk):
    response = await create(sdk, model="gpt-4.1-mini", input="hello", store=False)
    with pytest.raises(openai.NotFoundError):
        await sdk.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError) as info:
        await sdk.responses.create(model="gpt-4.1-mini", input="again", previous_response_id=response.id)
    assert info.value.body["code"] == "previous_response_not_found"
    assert info.value.body["param"] == "previous_response_id"


def test_the_store_is_bounded():
    store = ResponseStore(limit=3)
    for index in range(5):
        store.put(f"resp_{index}", StoredResponse({}, []))
    assert len(store) == 3 and store.get("resp_0") is None and store.get("resp_4") is not None


async def test_stream_event_sequence_for_text(http):
    events = await raw_events(http, model="gpt-4.1-mini", input="What is 12 times 7?")
    types = [e.type for e in events]
    assert types[:5] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
    ]
    assert types[-5:] == [
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == "12 times 7 is 84." == events[-1].response.output_text
    assert events[0].response.status == "in_progress" and events[0].response.usage is None
    assert events[-1].response.usage.output_tokens == text_tokens(deltas)


async def test_stream_event_sequence_for_a_function_call(http):
    events = await raw_events(http, input="What's the weather in Paris?", tools=[WEATHER])
    types = [e.type for e in events]
    assert types[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert types[-3:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert set(types[3:-3]) == {"response.function_call_arguments.delta"}
    arguments = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    assert json.loads(arguments) == {"city": "Paris"} == json.loads(events[-3].arguments)
    assert events[2].item.type == "function_call" and events[2].item.arguments == ""


async def test_sdk_stream_helper(sdk):
    async with sdk.responses.stream(model="gpt-4.1-mini", input="what is 2 plus 3") as stream:
        deltas = [event.delta async for event in stream if event.type == "response.output_text.delta"]
        final = await stream.get_final_response()
    assert "".join(deltas) == "2 plus 3 is 5." == final.output_text


@pytest.mark.parametrize("effort", ["minimal", "low", "medium", "high"])
async def test_reasoning_effort_sets_reasoning_tokens(sdk, effort):
    response = await create(sdk, model="gpt-5.6-luna", input="what is 2 plus 3", reasoning={"effort": effort})
    tokens = THINKING[effort][0]
    assert response.reasoning.effort == effort
    assert response.usage.output_tokens_details.reasoning_tokens == tokens
    assert response.usage.output_tokens == tokens + text_tokens("2 plus 3 is 5.")
    assert [item.type for item in response.output] == ["reasoning", "message"]
    assert response.output_text == "2 plus 3 is 5."  # effort changes the cost, not the answer


async def test_reasoning_effort_none_thinks_for_nothing(sdk):
    response = await create(sdk, model="gpt-5.6-luna", input="hello", reasoning={"effort": "none"})
    assert response.usage.output_tokens_details.reasoning_tokens == 0
    assert [item.type for item in response.output] == ["message"]


async def test_higher_effort_thinks_longer_before_the_first_output(http, monkeypatch):
    """The thinking delay sits between response.in_progress and the first output item (table-bounded), in
    the order the stream produces its events."""
    from voicelab.emulator.routes import responses as route

    log: list[Any] = []
    real_stream = route.event_stream

    async def fake_sleep(seconds: float) -> None:
        log.append(seconds)

    async def logged(events):
        async for event in events:
            log.append(event["type"])
            yield event

    monkeypatch.setattr(route.asyncio, "sleep", fake_sleep)
    monkeypatch.setattr(route, "event_stream", lambda events: real_stream(logged(events)))
    for effort in ("xhigh", "none"):
        log.clear()
        await raw_events(http, model="gpt-5.6-luna", input="Hi", reasoning={"effort": effort})
        sleeps = [entry for entry in log if not isinstance(entry, str)]
        if effort == "none":
            assert sleeps == []
        else:
            assert sleeps == [THINKING["xhigh"][1]]
            at = log.index(THINKING["xhigh"][1])
            assert log[at - 1] == "response.in_progress" and log[at + 1] == "response.output_item.added"


async def test_max_output_tokens_makes_the_response_incomplete(sdk):
    response = await create(sdk, model="gpt-4.1-mini", input="What is 12 times 7?", max_output_tokens=3)
    assert response.status == "incomplete" and response.incomplete_details.reason == "max_output_tokens"
    # o200k_base: "12", " times", " " (digits after a space are their own token)
    assert response.output_text == "12 times " and response.usage.output_tokens == 3


# ------------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("params", "status", "param", "code"),
    [
        (body(model="gpt-9000"), 404, "model", "model_not_found"),
        (body(model="tts-1"), 404, "model", "model_not_found"),
        (body(input=None), 400, "input", "missing_required_parameter"),
        (
            body(tool_choice="sometimes"),
            400,
            "tool_choice",
            "invalid_value",
        ),
        (body(tool_choice="required"), 400, "tool_choice", "invalid_value"),
        (
            body(tools=[WEATHER], tool_choice={"type": "function", "name": "x"}),
            400,
            "tool_choice",
            "invalid_value",
        ),
        (body(temprature=1), 400, "temprature", "unknown_parameter"),
        (
            body(reasoning={"effort": "low"}),
            400,
            "reasoning.effort",
            "unsupported_parameter",
        ),
        (
            body(model="gpt-5.6-luna", reasoning={"effort": "huge"}),
            400,
            "reasoning.effort",
            "invalid_value",
        ),
        (
            body(input=[{"role": "user", "content": "hi", "colour": "red"}]),
            400,
            "input[0].colour",
            "unknown_parameter",
        ),
        (
            body(input=[{"role": "user", "content": [{"type": "input_file", "file_data": "eA=="}]}]),
            400,
            "input[0].content[0].type",
            "unsupported_value",
        ),
        (
            body(input=[{"type": "function_call_output", "call_id": "call_nope", "output": "x"}]),
            400,
            "input",
            "invalid_value",
        ),
        (
            body(previous_response_id="resp_nope"),
            404,
            "previous_response_id",
            "previous_response_not_found",
        ),
    ],
    ids=[
        "unknown-model",
        "tts-model",
        "missing-input",
        "bad-tool-choice",
        "required-without-tools",
        "named-tool-not-in-tools",
        "unknown-parameter",
        "reasoning-on-non-reasoning-model",
        "bad-effort",
        "unknown-item-key",
        "file-input",
        "orphan-function-output",
        "unknown-previous-response",
    ],
)
async def test_bad_input_is_an_openai_error_naming_the_param(http, still_serves, params, status, param, code):
    reply = await http.post("/v1/responses", json=params)
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert (error["param"], error["code"], error["type"]) == (param, code, "invalid_request_error")
    assert error["message"]
    await still_serves()


async def test_not_json_is_refused(http):
    reply = await http.post("/v1/responses", content=b"{nope", headers={"content-type": "application/json"})
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "invalid_json"


async def test_sdk_raises_bad_request_naming_the_param(sdk):
    with pytest.raises(openai.BadRequestError) as info:
        await sdk.responses.create(**body(tools=[WEATHER], tool_choice={"type": "function", "name": "nope"}))
    assert info.value.body["param"] == "tool_choice"


async def test_ephemeral_keys_are_refused(rest_app, sdk_for, sdk):
    secret = await sdk.realtime.client_secrets.create(session={"type": "realtime", "model": "gpt-realtime-2"})
    async with sdk_for(rest_app, api_key=secret.value) as ephemeral:
        with pytest.raises(openai.AuthenticationError) as info:
            await ephemeral.responses.create(**body())
        with pytest.raises(openai.AuthenticationError):
            await ephemeral.responses.retrieve("resp_any")
    assert info.value.body["code"] == "invalid_api_key"
    assert "can only open Realtime sessions" in info.value.body["message"]


async def test_get_unknown_response_is_404(sdk):
    with pytest.raises(openai.NotFoundError) as info:
        await sdk.responses.retrieve("resp_nope")
    assert info.value.body["param"] == "response_id"
