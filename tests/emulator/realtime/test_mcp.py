"""Remote MCP tools in Realtime sessions: a real FastMCP server on a loopback port, the SDK as client.

The MCP server (``voicelab.mcp_server.example_mcp_server`` plus a few test tools) runs in a thread with
uvicorn; the emulator lists its tools and calls them over streamable HTTP with the ``mcp`` package. Every
server event is
checked with the strict ``TypeAdapter`` over the SDK's union (``validate``).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from mcp.server.fastmcp import Context

from voicelab.emulator.app import create_app
from voicelab.emulator.mcp.client import McpClient
from voicelab.emulator.realtime.route import Engines
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings
from voicelab.mcp_server import LocalMcpServer, example_mcp_server

from .test_route import API_KEY, events_until, fake_synthesize, fake_transcribe, next_event, sdk

TEXT_SESSION = {
    "type": "realtime",
    "output_modalities": ["text"],
    "audio": {"input": {"turn_detection": None}},
}


def _test_mcp_server():
    """The example server plus tools that show headers and take long."""
    mcp = example_mcp_server("voicelab-test")

    @mcp.tool()
    def whoami(ctx: Context) -> str:
        """Whoami: which credentials reached the server."""
        request = ctx.request_context.request
        headers = request.headers if request is not None else {}
        return json.dumps({"authorization": headers.get("authorization"), "x_team": headers.get("x-team")})

    @mcp.tool()
    async def slow_report(topic: str = "") -> str:
        """Slow report generator that takes minutes."""
        await asyncio.sleep(30)
        return "too late"

    return mcp


@pytest.fixture(scope="module")
def mcp_server():
    with LocalMcpServer(_test_mcp_server()) as server:
        yield server


@pytest.fixture(scope="module")
def server():
    app = create_app(EmulatorSettings(port=0, api_key=API_KEY, realtime_pacing=False))
    app.state.realtime_engines = Engines(
        synthesize=fake_synthesize, transcribe=fake_transcribe, vad_factory=None
    )
    app.state.mcp_client = McpClient(timeout_s=2.0)
    srv = EmbeddedServer(app.state.settings, app=app).start()
    yield srv
    srv.stop()


def mcp_tool(url: str, **extra) -> dict:
    return {"type": "mcp", "server_label": "demo", "server_url": url, **extra}


async def configure(conn, validate, tools: list[dict]) -> list[dict]:
    """``session.update`` with ``tools``; the events until the listing finished (completed or failed)."""
    await conn.send({"type": "session.update", "session": {**TEXT_SESSION, "tools": tools}})
    events: list[dict] = []
    while not events or events[-1]["type"] not in ("mcp_list_tools.completed", "mcp_list_tools.failed"):
        events.append(await next_event(conn, validate))
    return events


async def ask(conn, validate, text: str, response: dict | None = None) -> list[dict]:
    """Add a user message and ``response.create`` (with ``response`` when given); events until it is done."""
    await conn.send(
        {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
        }
    )
    await conn.send({"type": "response.create", **({"response": response} if response is not None else {})})
    return await events_until(conn, validate, "response.done")


async def answer_approval(conn, item_id: str, request_id: str, approve: bool, **extra) -> None:
    """Add an ``mcp_approval_response`` item, then ``response.create``."""
    item = {"type": "mcp_approval_response", "id": item_id, "approval_request_id": request_id}
    await conn.send({"type": "conversation.item.create", "item": {**item, "approve": approve, **extra}})
    await conn.send({"type": "response.create"})


def types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events if e["type"] != "rate_limits.updated"]


def done_response(events: list[dict]) -> dict:
    return next(e for e in events if e["type"] == "response.done")["response"]


def reply_text(events: list[dict]) -> str:
    return "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")


async def test_tools_are_listed_then_called_and_the_result_is_said(server, mcp_server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)  # session.created
        listing = await configure(conn, validate, [mcp_tool(mcp_server.url, require_approval="never")])
        assert types(listing) == [
            "session.updated",
            "conversation.item.added",
            "mcp_list_tools.in_progress",
            "conversation.item.done",
            "mcp_list_tools.completed",
        ]
        item = listing[3]["item"]
        assert item["type"] == "mcp_list_tools" and item["server_label"] == "demo"
        assert {t["name"] for t in item["tools"]} >= {"get_forecast", "add_note", "whoami"}
        assert listing[2]["item_id"] == listing[4]["item_id"] == item["id"]

        events = await ask(conn, validate, "What is the forecast for Tokyo?")
        kinds = types(events)
        call_events = [
            "response.output_item.added",
            "conversation.item.added",
            "response.mcp_call_arguments.delta",
        ]
        start = kinds.index("response.output_item.added", kinds.index("response.created"))
        assert kinds[start : start + 3] == call_events
        after_args = kinds.index("response.mcp_call_arguments.done")
        assert kinds[after_args : after_args + 4] == [
            "response.mcp_call_arguments.done",
            "response.mcp_call.in_progress",
            "response.mcp_call.completed",
            "conversation.item.done",
        ]
        response = done_response(events)
        assert response["status"] == "completed"
        call, message = response["output"]
        assert call["type"] == "mcp_call" and call["name"] == "get_forecast"
        assert json.loads(call["arguments"]) == {"city": "Tokyo"}
        assert call["output"] == "Tokyo: sunny, 21 degrees" and call["error"] is None
        assert message["type"] == "message"
        assert "sunny, 21 degrees" in reply_text(events)
        # the tool list and the call are read by the model: billed as input text tokens
        assert response["usage"]["input_token_details"]["text_tokens"] > 100


async def test_headers_and_authorization_reach_the_server(server, mcp_server, validate):
    tool = mcp_tool(
        mcp_server.url, require_approval="never", authorization="tok-123", headers={"X-Team": "voice"}
    )
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        await configure(conn, validate, [tool])
        events = await ask(conn, validate, "Whoami?")
        call = done_response(events)["output"][0]
        assert call["type"] == "mcp_call", done_response(events)["output"]
        assert json.loads(call["output"]) == {"authorization": "Bearer tok-123", "x_team": "voice"}


async def test_approval_then_call_and_denial_said_aloud(server, mcp_server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        # require_approval left out: OpenAI asks before any call
        await configure(conn, validate, [mcp_tool(mcp_server.url)])
        events = await ask(conn, validate, "Please add a note: buy milk")
        response = done_response(events)
        assert response["status"] == "completed"
        [request] = response["output"]
        assert request["type"] == "mcp_approval_request" and request["name"] == "add_note"
        assert "response.mcp_call.in_progress" not in types(events)  # nothing called yet

        await answer_approval(conn, "mcpr_ok_1", request["id"], True)
        events = await events_until(conn, validate, "response.done")
        call, message = done_response(events)["output"]
        assert call["type"] == "mcp_call" and call["approval_request_id"] == request["id"]
        assert call["output"].startswith("Saved note number")
        assert "Saved note number" in reply_text(events) and message["type"] == "message"

        events = await ask(conn, validate, "Add a note: call mom")
        [request] = done_response(events)["output"]
        await answer_approval(conn, "mcpr_no_1", request["id"], False, reason="not now")
        events = await events_until(conn, validate, "response.done")
        [message] = done_response(events)["output"]
        assert message["type"] == "message"
        assert "response.mcp_call.in_progress" not in types(events)
        assert (
            reply_text(events)
            == "All right, I did not run add_note on demo: you declined the call (not now)."
        )


async def test_approval_filter_and_allowed_tools(server, mcp_server, validate):
    tool = mcp_tool(
        mcp_server.url,
        allowed_tools=["get_forecast", "add_note"],
        require_approval={"never": {"tool_names": ["get_forecast"]}},
    )
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        listing = await configure(conn, validate, [tool])
        assert sorted(t["name"] for t in listing[3]["item"]["tools"]) == ["add_note", "get_forecast"]
        events = await ask(conn, validate, "What's the forecast for Paris?")
        assert done_response(events)["output"][0]["type"] == "mcp_call"  # no approval for this one
        events = await ask(conn, validate, "Please add a note: water plants")
        assert done_response(events)["output"][0]["type"] == "mcp_approval_request"
        events = await ask(conn, validate, "Whoami?")  # not allowed: never offered to the model
        assert [o["type"] for o in done_response(events)["output"]] == ["message"]


async def test_tool_error_and_timeout_fail_the_call_not_the_session(server, mcp_server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        await configure(conn, validate, [mcp_tool(mcp_server.url, require_approval="never")])
        events = await ask(conn, validate, "Run fail always")
        assert "response.mcp_call.failed" in types(events)
        call = done_response(events)["output"][0]
        assert call["output"] is None
        assert call["error"]["type"] == "tool_execution_error"
        assert "always fails" in call["error"]["message"]
        assert "always fails" in reply_text(events)  # the reply says what went wrong

        events = await ask(conn, validate, "Make the slow report")  # the tool sleeps 30 s; timeout 2 s
        call = done_response(events)["output"][0]
        assert call["error"] == {
            "type": "http_error",
            "code": 504,
            "message": f"The MCP server at {mcp_server.url} did not answer within 2 s.",
        }
        events = await ask(conn, validate, "Hello again")
        assert reply_text(events) == "You said: Hello again"


async def test_unreachable_server_fails_the_listing_and_the_session_goes_on(server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        events = await configure(
            conn, validate, [mcp_tool("http://127.0.0.1:9/mcp", require_approval="never")]
        )
        assert types(events)[-1] == "mcp_list_tools.failed"
        error = await next_event(conn, validate)
        assert error["type"] == "error"
        assert error["error"]["message"].startswith("Error retrieving tool list from MCP server: 'demo'.")
        assert "Could not reach the MCP server at http://127.0.0.1:9/mcp" in error["error"]["message"]
        events = await ask(conn, validate, "What is the forecast for Tokyo?")
        assert [o["type"] for o in done_response(events)["output"]] == ["message"]
        assert "mcp_list_tools.in_progress" not in types(events)  # not retried on every response
        unreachable = mcp_tool("http://127.0.0.1:9/mcp", require_approval="never")
        retried = await configure(conn, validate, [unreachable])
        assert types(retried)[-1] == "mcp_list_tools.failed"  # a session.update naming it tries again


@pytest.mark.parametrize(
    ("tool", "code", "param"),
    [
        ({"server_url": "ftp://example.com/mcp"}, "invalid_value", "session.tools[0].server_url"),
        ({"server_url": "not a url"}, "invalid_value", "session.tools[0].server_url"),
        ({}, "missing_required_parameter", "session.tools[0].server_url"),
        ({"connector_id": "connector_gmail"}, "invalid_value", "session.tools[0].connector_id"),
    ],
    ids=["ftp", "no-scheme", "no-url", "connector"],
)
async def test_bad_mcp_tools_are_refused_naming_the_param(server, validate, tool, code, param):
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        await conn.send({"type": "session.update", "session": TEXT_SESSION})
        await next_event(conn, validate)
        await conn.send(
            {
                "type": "session.update",
                "session": {**TEXT_SESSION, "tools": [{"type": "mcp", "server_label": "demo", **tool}]},
            }
        )
        error = await next_event(conn, validate)
        assert (error["type"], error["error"]["code"], error["error"]["param"]) == ("error", code, param)
        events = await ask(conn, validate, "still there?")
        assert reply_text(events) == "You said: still there?"


async def test_unknown_labels_and_approval_ids_are_refused(server, mcp_server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        await conn.send(
            {
                "type": "session.update",
                "session": {
                    **TEXT_SESSION,
                    "tools": [mcp_tool(mcp_server.url)],
                    "tool_choice": {"type": "mcp", "server_label": "other"},
                },
            }
        )
        error = await next_event(conn, validate)
        assert error["error"]["param"] == "session.tool_choice.server_label"
        assert "'other'" in error["error"]["message"] and "'demo'" in error["error"]["message"]
        await conn.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "mcp_approval_response",
                    "id": "mcpr_x",
                    "approval_request_id": "nope",
                    "approve": True,
                },
            }
        )
        error = await next_event(conn, validate)
        assert (error["error"]["code"], error["error"]["param"]) == (
            "invalid_value",
            "item.approval_request_id",
        )


async def test_response_level_mcp_tool_waits_for_its_listing(server, mcp_server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        await conn.send({"type": "session.update", "session": TEXT_SESSION})
        await next_event(conn, validate)
        await conn.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "Forecast for Osaka please"}],
                },
            }
        )
        await conn.send(
            {
                "type": "response.create",
                "response": {"tools": [mcp_tool(mcp_server.url, require_approval="never")]},
            }
        )
        events = await events_until(conn, validate, "response.done")
        kinds = types(events)
        assert kinds.index("mcp_list_tools.completed") < kinds.index("response.mcp_call.in_progress")
        assert "cloudy, 19 degrees" in reply_text(events)


async def test_an_ephemeral_keys_mcp_server_is_listed_at_start(server, mcp_server, validate):
    async with sdk(server) as client:  # closed: no socket left for a later test's ResourceWarning
        secret = await client.realtime.client_secrets.create(
            session={"type": "realtime", "tools": [mcp_tool(mcp_server.url, require_approval="never")]}
        )
    async with sdk(server, key=secret.value).realtime.connect(model="gpt-realtime") as conn:
        assert (await next_event(conn, validate))["type"] == "session.created"
        events = [await next_event(conn, validate) for _ in range(4)]
        assert types(events) == [
            "conversation.item.added",
            "mcp_list_tools.in_progress",
            "conversation.item.done",
            "mcp_list_tools.completed",
        ]


OSAKA = "I am flying to Osaka tomorrow."
FORCE_FORECAST = {"type": "mcp", "server_label": "demo", "name": "get_forecast"}


async def choose(conn, validate, tool_choice) -> None:
    """``session.update`` setting ``session.tool_choice``."""
    await conn.send({"type": "session.update", "session": {"type": "realtime", "tool_choice": tool_choice}})
    await events_until(conn, validate, "session.updated")


def assert_forecast_called(events: list[dict]) -> None:
    response = done_response(events)
    assert response["status"] == "completed"
    call, message = response["output"]
    assert (call["type"], call["server_label"], call["name"]) == ("mcp_call", "demo", "get_forecast")
    assert json.loads(call["arguments"]) == {"city": "Osaka"}
    assert call["output"] == "Osaka: cloudy, 19 degrees" and call["error"] is None
    assert message["type"] == "message" and "cloudy, 19 degrees" in reply_text(events)


async def test_forced_mcp_choice_calls_the_servers_tool_then_answers(server, mcp_server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        await configure(conn, validate, [mcp_tool(mcp_server.url, require_approval="never")])
        unforced = done_response(await ask(conn, validate, OSAKA))
        assert [i["type"] for i in unforced["output"]] == ["message"]  # under auto: no tool

        # session.tool_choice naming the server only: one of its tools is called first
        await choose(conn, validate, {"type": "mcp", "server_label": "demo"})
        assert_forecast_called(await ask(conn, validate, OSAKA))

        # response.tool_choice naming the tool, over a session back on auto
        await choose(conn, validate, "auto")
        assert_forecast_called(await ask(conn, validate, OSAKA, {"tool_choice": FORCE_FORECAST}))


async def test_forced_mcp_choice_still_asks_for_approval(server, mcp_server, validate):
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        await configure(conn, validate, [mcp_tool(mcp_server.url)])  # require_approval unset: ask
        await choose(conn, validate, {"type": "mcp", "server_label": "demo"})
        (request,) = done_response(await ask(conn, validate, OSAKA))["output"]
        assert (request["type"], request["name"]) == ("mcp_approval_request", "get_forecast")
        await answer_approval(conn, "mcpr_forced_1", request["id"], True)
        events = await events_until(conn, validate, "response.done")
        call, _ = done_response(events)["output"]
        assert (call["name"], call["approval_request_id"]) == ("get_forecast", request["id"])
        assert call["output"] == "Osaka: cloudy, 19 degrees"


@pytest.mark.parametrize("listed_first", [False, True], ids=["response-waits-for-listing", "listed-first"])
@pytest.mark.parametrize("where", ["session", "response"])
async def test_forced_mcp_choice_naming_an_unlisted_tool_is_an_error(
    server, mcp_server, validate, where, listed_first
):
    wrong = {"type": "mcp", "server_label": "demo", "name": "get_tide"}
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        session = {"tool_choice": wrong} if where == "session" else {}
        await conn.send(
            {
                "type": "session.update",
                "session": {
                    **TEXT_SESSION,
                    **session,
                    "tools": [mcp_tool(mcp_server.url, require_approval="never")],
                },
            }
        )
        if listed_first:
            await events_until(conn, validate, "mcp_list_tools.completed")
        events = await ask(conn, validate, OSAKA, {"tool_choice": wrong} if where == "response" else None)
        error = next(e for e in events if e["type"] == "error")["error"]
        assert (error["code"], error["param"]) == ("invalid_value", f"{where}.tool_choice.name")
        assert "'get_tide'" in error["message"] and "get_forecast" in error["message"]
        failed = done_response(events)
        assert failed["status"] == "failed" and failed["output"] == []

        # the session keeps working: the next response (tool_choice auto) completes
        await choose(conn, validate, "auto")
        after = await ask(conn, validate, "What is the forecast for Tokyo?")
        assert done_response(after)["status"] == "completed"
        assert "sunny, 21 degrees" in reply_text(after)
