"""Remote MCP tools on POST /v1/responses through the official SDK, with a real FastMCP server on a loopback
port (the example server plus a tool that shows the credentials it got and a slow one).

Every response and stream event is parsed with the strict ``TypeAdapter``s of ``test_responses_route``.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from voicelab.emulator.mcp.client import McpClient
from voicelab.mcp_server import LocalMcpServer

from ..realtime.test_mcp import _test_mcp_server
from .test_responses_route import TIME, WEATHER, body, create, raw_events

UNREACHABLE = "http://127.0.0.1:9/mcp"


@pytest.fixture(scope="module")
def mcp_server():
    with LocalMcpServer(_test_mcp_server()) as server:
        yield server


@pytest.fixture
def rest_app(rest_app):
    rest_app.state.mcp_client = McpClient(timeout_s=2.0)  # the slow tool sleeps 30 s
    return rest_app


def mcp_tool(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "mcp", "server_label": "demo", "server_url": url, **extra}


def types(response) -> list[str]:
    return [item.type for item in response.output]


async def test_tools_are_listed_then_called_and_the_answer_says_the_result(sdk, mcp_server):
    plain = await create(sdk, input="What is the forecast for Tokyo?")
    response = await create(
        sdk,
        input="What is the forecast for Tokyo?",
        tools=[mcp_tool(mcp_server.url, require_approval="never")],
    )
    assert types(response) == ["mcp_list_tools", "mcp_call", "message"]
    listing, call, _ = response.output
    assert listing.id.startswith("mcpl_") and listing.server_label == "demo" and listing.error is None
    assert {t.name for t in listing.tools} >= {"get_forecast", "add_note", "fail_always"}
    forecast = next(t for t in listing.tools if t.name == "get_forecast")
    assert forecast.input_schema["required"] == ["city"] and forecast.annotations["readOnlyHint"] is True
    assert call.id.startswith("mcp_") and (call.name, json.loads(call.arguments)) == (
        "get_forecast",
        {"city": "Tokyo"},
    )
    assert (call.output, call.error, call.status, call.approval_request_id) == (
        "Tokyo: sunny, 21 degrees",
        None,
        "completed",
        None,
    )
    assert response.output_text == "Here is what get_forecast returned: Tokyo: sunny, 21 degrees."
    # the listed tools and the call's result are input the model read
    assert response.usage.input_tokens > plain.usage.input_tokens + 100


async def test_the_stream_has_the_mcp_events_in_order(http, mcp_server):
    events = await raw_events(
        http,
        input="What is the forecast for Osaka?",
        tools=[mcp_tool(mcp_server.url, require_approval="never")],
    )
    assert [e.sequence_number for e in events] == list(range(len(events)))
    kinds = [e.type for e in events]
    assert kinds[:6] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.mcp_list_tools.in_progress",
        "response.mcp_list_tools.completed",
        "response.output_item.done",
    ]
    start = kinds.index("response.output_item.added", 6)
    assert events[start].item.type == "mcp_call" and events[start].item.arguments == ""
    deltas = [e for e in events if e.type == "response.mcp_call_arguments.delta"]
    end = kinds.index("response.mcp_call_arguments.done")
    assert kinds[start + 1 : end] == ["response.mcp_call_arguments.delta"] * len(deltas)
    assert kinds[end : end + 4] == [
        "response.mcp_call_arguments.done",
        "response.mcp_call.in_progress",
        "response.mcp_call.completed",
        "response.output_item.done",
    ]
    assert json.loads("".join(d.delta for d in deltas)) == {"city": "Osaka"}
    assert events[end + 3].item.output == "Osaka: cloudy, 19 degrees"
    assert kinds[-1] == "response.completed" and "cloudy, 19 degrees" in events[-1].response.output_text
    assert events[3].item_id == events[2].item.id and events[3].output_index == 0


async def test_the_sdk_stream_helper_accumulates_the_mcp_items(sdk, mcp_server):
    tool = mcp_tool(mcp_server.url, require_approval="never")
    async with sdk.responses.stream(model="gpt-4.1", input="Forecast for London?", tools=[tool]) as stream:
        final = await stream.get_final_response()
    assert types(final) == ["mcp_list_tools", "mcp_call", "message"]
    assert final.output[1].output == "London: fog, 11 degrees"


async def test_previous_response_id_reuses_the_listed_tools(sdk, mcp_server):
    tool = mcp_tool(mcp_server.url, require_approval="never")
    first = await create(sdk, input="What is the forecast for Tokyo?", tools=[tool])
    second = await create(
        sdk, input="And the forecast for Paris?", tools=[tool], previous_response_id=first.id
    )
    assert types(second) == ["mcp_call", "message"]  # no second mcp_list_tools
    assert second.output[0].output == "paris: light rain, 14 degrees".capitalize()
    other = {**tool, "server_label": "other"}
    third = await create(
        sdk, input="Forecast for Osaka?", tools=[tool, other], previous_response_id=second.id
    )
    assert [i.server_label for i in third.output if i.type == "mcp_list_tools"] == ["other"]


async def test_an_mcp_list_tools_item_sent_back_is_not_listed_again(sdk, mcp_server):
    tool = mcp_tool(mcp_server.url, require_approval="never")
    first = await create(sdk, input="hello", tools=[tool])
    listing = first.output[0].model_dump(mode="json", exclude_none=True)
    second = await create(
        sdk, input=[listing, {"role": "user", "content": "Forecast for Tokyo?"}], tools=[tool]
    )
    assert types(second) == ["mcp_call", "message"]


async def test_a_call_that_needs_approval_waits_then_runs_when_approved(sdk, mcp_server):
    tool = mcp_tool(mcp_server.url)  # require_approval unset: OpenAI asks by default
    asked = await create(sdk, input="Please add a note: buy milk", tools=[tool])
    assert types(asked) == ["mcp_list_tools", "mcp_approval_request"] and asked.output_text == ""
    request = asked.output[1]
    assert request.id.startswith("mcpr_") and request.name == "add_note"
    assert "buy milk" in json.loads(request.arguments)["text"]
    approval = {"type": "mcp_approval_response", "approval_request_id": request.id, "approve": True}
    done = await create(sdk, input=[approval], tools=[tool], previous_response_id=asked.id)
    assert types(done) == ["mcp_call", "message"]
    call = done.output[0]
    assert call.approval_request_id == request.id and call.output.startswith("Saved note number")
    assert done.output_text == f"Here is what add_note returned: {call.output}"
    with pytest.raises(openai.BadRequestError) as info:  # an approval is answered once
        await sdk.responses.create(
            model="gpt-4.1", input=[approval], tools=[tool], previous_response_id=done.id
        )
    assert info.value.body["param"] == "input[0].approval_request_id"


async def test_a_declined_call_is_not_made_and_the_reply_says_so(sdk, mcp_server):
    tool = mcp_tool(mcp_server.url, require_approval="always")
    asked = await create(sdk, input="What is the forecast for Tokyo?", tools=[tool])
    request = asked.output[-1]
    assert request.type == "mcp_approval_request" and request.name == "get_forecast"
    decline = {
        "type": "mcp_approval_response",
        "approval_request_id": request.id,
        "approve": False,
        "reason": "not now",
    }
    done = await create(sdk, input=[decline], tools=[tool], previous_response_id=asked.id)
    assert types(done) == ["message"]
    assert (
        done.output_text == "All right, I did not run get_forecast on demo: you declined the call (not now)."
    )


async def test_approval_filters_and_allowed_tools(sdk, mcp_server):
    tool = mcp_tool(
        mcp_server.url,
        allowed_tools=["get_forecast", "add_note"],
        require_approval={"never": {"tool_names": ["get_forecast"]}},
    )
    first = await create(sdk, input="Forecast for Paris?", tools=[tool])
    assert sorted(t.name for t in first.output[0].tools) == ["add_note", "get_forecast"]
    assert types(first)[1] == "mcp_call"  # no approval for this one
    second = await create(sdk, input="Add a note: water plants", tools=[tool], previous_response_id=first.id)
    assert types(second) == ["mcp_approval_request"]
    third = await create(sdk, input="Fail always", tools=[tool], previous_response_id=second.id)
    assert types(third) == ["message"]  # fail_always is not allowed: never offered to the model


async def test_credentials_reach_the_server_and_are_not_echoed(sdk, mcp_server):
    tool = mcp_tool(
        mcp_server.url, require_approval="never", authorization="tok-123", headers={"X-Team": "voice"}
    )
    response = await create(sdk, input="Whoami?", tools=[tool])
    assert json.loads(response.output[1].output) == {"authorization": "Bearer tok-123", "x_team": "voice"}
    echoed = response.tools[0]
    assert echoed.type == "mcp" and echoed.authorization is None and echoed.headers is None
    assert "tok-123" not in json.dumps([t.model_dump(mode="json") for t in response.tools])


async def test_tool_errors_and_timeouts_are_failed_calls(sdk, http, mcp_server, still_serves):
    tool = mcp_tool(mcp_server.url, require_approval="never")
    failed = await create(sdk, input="Run fail always", tools=[tool])
    call = failed.output[1]
    assert (call.type, call.status, call.output) == ("mcp_call", "failed", None)
    assert call.error.type == "mcp_tool_execution_error" and "always fails" in call.error.content[0]["text"]
    assert "always fails" in failed.output_text  # the answer says what went wrong
    events = await raw_events(http, input="Run fail always", tools=[tool])
    assert "response.mcp_call.failed" in [e.type for e in events]
    slow = await create(sdk, input="Make the slow report", tools=[tool])  # sleeps 30 s; timeout 2 s
    error = slow.output[1].error
    assert (error.type, error.code) == ("http_error", 504) and "did not answer within 2 s" in error.message
    await still_serves()


async def test_an_unreachable_server_is_a_424_and_the_server_keeps_working(sdk, still_serves):
    with pytest.raises(openai.APIStatusError) as info:
        await sdk.responses.create(
            model="gpt-4.1", input="Forecast?", tools=[mcp_tool(UNREACHABLE, require_approval="never")]
        )
    assert info.value.status_code == 424
    error = info.value.body
    assert (error["type"], error["code"], error["param"]) == (
        "external_connector_error",
        "http_error",
        "tools",
    )
    assert error["message"].startswith(
        "Error retrieving tool list from MCP server: 'demo'. Http status code: 424 (Failed Dependency)."
    )
    assert f"Could not reach the MCP server at {UNREACHABLE}" in error["message"]
    await still_serves()


async def test_an_unreachable_server_fails_the_stream(http, still_serves):
    events = await raw_events(http, input="Forecast?", tools=[mcp_tool(UNREACHABLE)])
    assert [e.type for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.mcp_list_tools.in_progress",
        "response.mcp_list_tools.failed",
        "response.output_item.done",
        "error",
        "response.failed",
    ]
    assert events[5].item.error.startswith("Error retrieving tool list from MCP server: 'demo'.")
    assert (events[6].code, events[6].param) == ("http_error", "tools")
    assert events[7].response.status == "failed" and events[7].response.error.code == "server_error"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    await still_serves()


@pytest.mark.parametrize(
    ("tool", "param", "code"),
    [
        (mcp_tool("file:///etc/passwd"), "tools[0].server_url", "invalid_value"),
        (
            {"type": "mcp", "server_label": "x", "connector_id": "connector_gmail"},
            "tools[0].connector_id",
            "invalid_value",
        ),
        ({"type": "mcp", "server_label": "x"}, "tools[0].server_url", "missing_required_parameter"),
    ],
    ids=["not-http", "connector", "no-url"],
)
async def test_bad_mcp_tools_are_refused_naming_the_param(http, still_serves, tool, param, code):
    reply = await http.post("/v1/responses", json=body(tools=[tool]))
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert (error["param"], error["code"]) == (param, code)
    await still_serves()


async def test_an_unknown_approval_request_is_refused(http, mcp_server, still_serves):
    answer = {"type": "mcp_approval_response", "approval_request_id": "mcpr_nope", "approve": True}
    reply = await http.post("/v1/responses", json=body(input=[answer], tools=[mcp_tool(mcp_server.url)]))
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["param"] == "input[0].approval_request_id" and "mcpr_nope" in error["message"]
    await still_serves()


async def test_the_stream_announces_the_mcp_work_before_it_is_done(http, rest_app, mcp_server, monkeypatch):
    """Events go out as the work happens: a listing or call starts, the HTTP work runs, then it completes."""
    from voicelab.emulator.routes import responses as route

    log: list[str] = []
    client = rest_app.state.mcp_client
    real_stream, real_list, real_call = route.event_stream, client.list_tools, client.call_tool

    async def logged(events):
        async for event in events:
            log.append(event["type"])
            yield event

    async def list_tools(endpoint):
        tools = await real_list(endpoint)
        log.append("<listed>")
        return tools

    async def call_tool(endpoint, name, arguments):
        result = await real_call(endpoint, name, arguments)
        log.append("<called>")
        return result

    monkeypatch.setattr(route, "event_stream", lambda events: real_stream(logged(events)))
    monkeypatch.setattr(client, "list_tools", list_tools)
    monkeypatch.setattr(client, "call_tool", call_tool)
    await raw_events(
        http, input="Forecast for Tokyo?", tools=[mcp_tool(mcp_server.url, require_approval="never")]
    )
    for kind, done in (("response.mcp_list_tools", "<listed>"), ("response.mcp_call", "<called>")):
        assert log.index(f"{kind}.in_progress") < log.index(done) < log.index(f"{kind}.completed")


# ------------------------------------------------------------------------------------------------ tool_choice


def forced(name: str | None = None) -> dict[str, Any]:
    """``tool_choice`` forcing a tool of the ``demo`` server (``name`` when given)."""
    return {"type": "mcp", "server_label": "demo", **({"name": name} if name else {})}


def allowed(mode: str, *tools: dict[str, Any]) -> dict[str, Any]:
    return {"type": "allowed_tools", "mode": mode, "tools": list(tools)}


async def test_an_mcp_tool_choice_forces_the_named_tool(sdk, mcp_server):
    tool = mcp_tool(mcp_server.url, require_approval="never")
    free = await create(sdk, input="Hello there", tools=[tool])
    assert types(free) == ["mcp_list_tools", "message"]  # nothing in the input asks for a tool
    response = await create(sdk, input="Hello there", tools=[tool], tool_choice=forced("get_forecast"))
    assert types(response) == ["mcp_list_tools", "mcp_call", "message"]
    call = response.output[1]
    assert (call.server_label, call.name, call.status) == ("demo", "get_forecast", "completed")
    city = json.loads(call.arguments)["city"]
    assert call.output.startswith(f"{city}: ") and response.output_text.endswith(f"{call.output}.")
    assert (response.tool_choice.type, response.tool_choice.name) == ("mcp", "get_forecast")


async def test_an_mcp_tool_choice_streams_the_forced_call(http, mcp_server):
    tool = mcp_tool(mcp_server.url, require_approval="never")
    events = await raw_events(http, input="Hello there", tools=[tool], tool_choice=forced("get_forecast"))
    done = [e.item for e in events if e.type == "response.output_item.done"]
    assert [i.type for i in done] == ["mcp_list_tools", "mcp_call", "message"]
    assert done[1].name == "get_forecast" and done[1].output == "Hello there: clear skies, 18 degrees"
    kinds = [e.type for e in events]
    assert kinds.index("response.mcp_call.completed") < kinds.index("response.output_text.done")
    assert kinds[-1] == "response.completed" and events[-1].response.tool_choice.server_label == "demo"


async def test_an_mcp_server_choice_without_a_name_still_asks_for_approval(sdk, http, mcp_server):
    tool = mcp_tool(mcp_server.url)  # require_approval unset: OpenAI asks
    asked = await create(sdk, input="Please add a note: buy milk", tools=[tool], tool_choice=forced())
    assert types(asked) == ["mcp_list_tools", "mcp_approval_request"]
    assert (asked.output[1].server_label, asked.output[1].name) == ("demo", "add_note")
    events = await raw_events(http, input="Hello there", tools=[tool], tool_choice=forced())
    assert [e.item.type for e in events if e.type == "response.output_item.done"] == [
        "mcp_list_tools",
        "mcp_approval_request",
    ]
    assert events[-1].type == "response.completed"


async def test_required_with_only_mcp_tools_calls_one(sdk, mcp_server):
    tool = mcp_tool(mcp_server.url, require_approval="never", allowed_tools=["get_forecast"])
    response = await create(sdk, input="Hello there", tools=[tool], tool_choice="required")
    assert types(response) == ["mcp_list_tools", "mcp_call", "message"]
    assert response.output[1].name == "get_forecast"


async def test_allowed_tools_restricts_the_functions_the_model_may_call(sdk):
    tools = [WEATHER, TIME]
    question = "What's the weather in Paris?"
    free = await create(sdk, input=question, tools=tools)
    assert [i.name for i in free.output if i.type == "function_call"] == ["get_weather"]
    only_time = {"type": "function", "name": "get_time"}
    auto = await create(sdk, input=question, tools=tools, tool_choice=allowed("auto", only_time))
    assert types(auto) == ["message"] and auto.output_text.startswith("You said:")
    required = await create(sdk, input=question, tools=tools, tool_choice=allowed("required", only_time))
    assert [(i.type, i.name) for i in required.output] == [("function_call", "get_time")]
    assert (required.tool_choice.type, required.tool_choice.mode) == ("allowed_tools", "required")
    assert required.usage.input_tokens == free.usage.input_tokens  # every tool is still read


async def test_allowed_tools_picks_an_mcp_tool_over_a_function(sdk, http, mcp_server):
    tools = [WEATHER, mcp_tool(mcp_server.url, require_approval="never")]
    question = "What's the weather in Paris?"
    choice = allowed("required", {"type": "mcp", "server_label": "demo", "name": "get_forecast"})
    response = await create(sdk, input=question, tools=tools, tool_choice=choice)
    assert types(response) == ["mcp_list_tools", "mcp_call", "message"]
    assert response.output[1].name == "get_forecast" and response.output[1].output.startswith("Paris: ")
    events = await raw_events(http, input=question, tools=tools, tool_choice=choice)
    assert [e.item.type for e in events if e.type == "response.output_item.done"] == types(response)
    whole_server = allowed("auto", {"type": "mcp", "server_label": "demo"})
    answered = await create(sdk, input=question, tools=tools, tool_choice=whole_server)
    assert "function_call" not in types(answered)  # get_weather is not allowed


@pytest.mark.parametrize(
    ("choice", "param", "code"),
    [
        ({"type": "mcp", "server_label": "nope"}, "tool_choice.server_label", "invalid_value"),
        (allowed("auto", {"type": "function", "name": "nope"}), "tool_choice.tools[0].name", "invalid_value"),
        (
            allowed(
                "auto", {"type": "function", "name": "get_weather"}, {"type": "mcp", "server_label": "x"}
            ),
            "tool_choice.tools[1].server_label",
            "invalid_value",
        ),
        (allowed("auto", {"type": "function"}), "tool_choice.tools[0].name", "missing_required_parameter"),
        (allowed("auto", {"type": "image_generation"}), "tool_choice.tools[0].type", "unsupported_value"),
        (allowed("required"), "tool_choice.tools", "array_below_min_length"),
    ],
    ids=["unknown-server", "unknown-function", "unknown-allowed-server", "no-name", "hosted", "empty"],
)
async def test_a_tool_choice_naming_what_tools_lack_is_refused(sdk, still_serves, choice, param, code):
    tools = [WEATHER, mcp_tool(UNREACHABLE)]  # refused before any server is listed
    with pytest.raises(openai.BadRequestError) as info:
        await sdk.responses.create(**body(tools=tools, tool_choice=choice))
    assert (info.value.body["param"], info.value.body["code"]) == (param, code)
    await still_serves()


@pytest.mark.parametrize(
    ("choice", "param", "code"),
    [
        ({"type": "mcp"}, "tool_choice.server_label", "missing_required_parameter"),
        ({"type": "mcp", "server_label": "demo", "name": 5}, "tool_choice.name", "invalid_type"),
        ({"type": "allowed_tools", "mode": "sometimes", "tools": []}, "tool_choice.mode", "invalid_value"),
        ({"type": "allowed_tools", "mode": "auto"}, "tool_choice.tools", "missing_required_parameter"),
        (allowed("auto", "get_weather"), "tool_choice.tools[0]", "invalid_type"),
        (allowed("auto", {"name": "get_weather"}), "tool_choice.tools[0].type", "missing_required_parameter"),
        ({"type": "banana"}, "tool_choice.type", "invalid_value"),
    ],
    ids=[
        "mcp-no-label",
        "mcp-name-type",
        "bad-mode",
        "no-tools",
        "entry-not-object",
        "entry-no-type",
        "bad-type",
    ],
)
async def test_a_malformed_tool_choice_is_refused_naming_the_field(http, still_serves, choice, param, code):
    tools = [WEATHER, mcp_tool(UNREACHABLE)]
    reply = await http.post("/v1/responses", json=body(tools=tools, tool_choice=choice))
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert (error["param"], error["code"]) == (param, code)
    await still_serves()


@pytest.mark.parametrize(
    ("choice", "param"),
    [
        (forced("no_such_tool"), "tool_choice.name"),
        (allowed("required", forced("fail_always")), "tool_choice.tools[0].name"),
    ],
    ids=["mcp", "allowed-mcp"],
)
async def test_a_tool_the_server_does_not_list_is_refused(sdk, http, mcp_server, still_serves, choice, param):
    tool = mcp_tool(mcp_server.url, allowed_tools=["get_forecast", "add_note"])
    with pytest.raises(openai.BadRequestError) as info:
        await sdk.responses.create(**body(tools=[tool], tool_choice=choice))
    assert (info.value.body["param"], info.value.body["code"]) == (param, "invalid_value")
    assert "add_note, get_forecast" in info.value.body["message"]
    events = await raw_events(http, tools=[tool], tool_choice=choice)
    assert [e.type for e in events][-3:] == ["response.output_item.done", "error", "response.failed"]
    assert events[-2].param == param and events[-1].response.output[0].type == "mcp_list_tools"
    await still_serves()


@pytest.mark.parametrize(
    "choice",
    [
        {"type": "file_search"},
        {"type": "web_search_preview"},
        {"type": "computer_use_preview"},
        {"type": "code_interpreter"},
        {"type": "image_generation"},
        {"type": "custom", "name": "grammar"},
        {"type": "apply_patch"},
        {"type": "shell"},
    ],
    ids=lambda choice: choice["type"],
)
async def test_hosted_tool_choices_are_refused_saying_what_is_supported(http, still_serves, choice):
    reply = await http.post("/v1/responses", json=body(tools=[WEATHER], tool_choice=choice))
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert (error["param"], error["code"]) == ("tool_choice.type", "unsupported_value")
    assert repr(choice["type"]) in error["message"]
    assert "'mcp'" in error["message"] and "'allowed_tools'" in error["message"]
    await still_serves()
