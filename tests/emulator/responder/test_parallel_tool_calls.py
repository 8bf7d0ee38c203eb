"""``parallel_tool_calls`` through the responders: the scripted one calls every matching tool when it is true,
one otherwise; the upstream one passes the flag to its chat-completions server (here another emulator)."""

from __future__ import annotations

import httpx
import pytest

from voicelab.emulator.app import create_app
from voicelab.emulator.responder import OpenAICompatibleResponder, ScriptedResponder
from voicelab.emulator.settings import EmulatorSettings

from .conftest import TIME, WEATHER, WEATHER_AND_TIME, user

QUESTION = WEATHER_AND_TIME


@pytest.mark.parametrize(
    ("parallel", "names"),
    [(True, ["get_weather", "get_time"]), (False, ["get_weather"]), (None, ["get_weather"])],
    ids=["parallel", "one", "unset"],
)
def test_scripted(parallel, names):
    reply = ScriptedResponder().respond_sync(
        user(QUESTION), tools=[WEATHER, TIME], parallel_tool_calls=parallel
    )
    assert [call.name for call in reply.tool_calls] == names
    assert len({call.call_id for call in reply.tool_calls}) == len(names)


def test_a_forced_tool_is_one_call_even_in_parallel():
    reply = ScriptedResponder().respond_sync(
        user(QUESTION),
        tools=[WEATHER, TIME],
        tool_choice={"type": "function", "name": "get_time"},
        parallel_tool_calls=True,
    )
    assert [call.name for call in reply.tool_calls] == ["get_time"]


@pytest.mark.parametrize(("parallel", "count"), [(True, 2), (False, 1)])
async def test_upstream_passes_the_flag_on(parallel, count):
    upstream = create_app(EmulatorSettings(api_key="upstream-key", allowed_hosts=["upstream"]))
    http_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=upstream), base_url="http://upstream")
    responder = OpenAICompatibleResponder(
        "http://upstream/v1", "upstream-key", "gpt-4o-mini", http_client=http_client
    )
    reply = await responder.respond(user(QUESTION), tools=[WEATHER, TIME], parallel_tool_calls=parallel)
    assert len(reply.tool_calls) == count
