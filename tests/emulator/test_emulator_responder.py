"""voicelab.emulator.responder: scripted rules, built-ins, tool calls with schema-valid arguments,
forwarding."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import jsonschema
import openai
import pytest

from voicelab.emulator.app import create_app
from voicelab.emulator.responder import (
    OpenAICompatibleResponder,
    Reply,
    Rule,
    ScriptedResponder,
    fill_arguments,
    load_rules,
    make_responder,
)
from voicelab.emulator.settings import EmulatorSettings
from voicelab.errors import ParameterError, ResponderError

NOW = datetime(2026, 11, 21, 14, 5, tzinfo=UTC)


@pytest.fixture
def scripted() -> ScriptedResponder:
    return ScriptedResponder(clock=lambda: NOW)


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("What is 12 times 7?", "12 times 7 is 84."),
        ("what is twelve times seven", "12 times 7 is 84."),
        ("What's 100 divided by 8?", "100 divided by 8 is 12.5."),
        ("calculate (2 + 3) * 4", "(2 + 3) * 4 is 20."),
        ("What is 2 to the power of 10?", "2 to the power of 10 is 1024."),
        ("what is the square root of 144", "The square root of 144 is 12."),
        ("What is 5 divided by 0?", "Dividing by zero has no answer."),
        ("What time is it?", "It is 14:05 UTC."),
        ("what's the date", "Today is Saturday, 21 November 2026."),
        (
            "Hello!",
            "Hello! I'm voicelab's offline emulator. Ask me the time, some arithmetic, or say anything and "
            "I'll repeat it.",
        ),
        ("Hi, my name is Ada.", "Nice to meet you, Ada."),
        (
            "The rain in Spain stays mainly in the plain.",
            "You said: The rain in Spain stays mainly in the plain.",
        ),
        ("", "I didn't catch anything. Could you say that again?"),
        ("What is the meaning of life?", "You said: What is the meaning of life?"),
    ],
    ids=[
        "times",
        "spelled",
        "divide",
        "parens",
        "power",
        "sqrt",
        "div-zero",
        "time",
        "date",
        "greeting",
        "rule-group",
        "echo",
        "empty",
        "no-arithmetic",
    ],
)
async def test_scripted_text_replies(scripted, text, reply):
    assert (await scripted.respond(user(text))) == Reply(reply, [])


async def test_self_description_says_offline_emulator(scripted):
    reply = await scripted.respond(user("Who are you?"))
    assert "voicelab's offline emulator" in reply.text


async def test_last_user_message_is_answered(scripted):
    messages = [
        {"role": "user", "content": "what is 1 plus 1"},
        {"role": "assistant", "content": "2"},
        {"role": "user", "content": [{"type": "text", "text": "what is 3 times 3"}]},
    ]
    assert (await scripted.respond(messages)).text == "3 times 3 is 9."


def test_rules_table_is_user_editable(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[rules]]\nname = "pizza"\npattern = \'\\bpizza\\b\'\nreply = "Margherita, always. ({text})"\n'
    )
    responder = ScriptedResponder(rules_path=path)
    assert responder.respond_sync(user("Best pizza?")).text == "Margherita, always. (Best pizza?)"
    assert responder.respond_sync(user("what is 2 times 2")).text == "2 times 2 is 4."


@pytest.mark.parametrize(
    "content",
    ['[[rules]]\nname = "x"\n', '[[rules]]\npattern = "("\nreply = "r"\n', "[[rules"],
    ids=["no-pattern", "bad-regex", "bad-toml"],
)
def test_bad_rules_file_is_a_parameter_error(tmp_path, content):
    path = tmp_path / "rules.toml"
    path.write_text(content)
    with pytest.raises(ParameterError):
        load_rules(path)


def test_bundled_rules_load():
    names = [r.name for r in load_rules()]
    assert names[0] == "greeting" and "thanks" in names
    assert Rule("r", r"(\w+) and (\w+)", "{2} then {1}").answer("salt and pepper") == "pepper then salt"


WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city",
    "parameters": {
        "type": "object",
        "additionalProperties": False,
        "required": ["city", "unit"],
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
    },
}
CALCULATOR = {
    "type": "function",
    "function": {
        "name": "add_numbers",
        "description": "Add two numbers together",
        "parameters": {
            "type": "object",
            "required": ["a", "b"],
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
        },
    },
}
TIMER = {
    "type": "function",
    "name": "set_timer",
    "description": "Start a countdown timer",
    "parameters": {
        "type": "object",
        "required": ["minutes", "label"],
        "properties": {
            "minutes": {"type": "integer", "minimum": 1, "maximum": 120},
            "label": {"type": "string", "maxLength": 20},
            "sound": {"type": "boolean"},
        },
    },
}


def _only_call(reply: Reply):
    assert reply.text == "" and len(reply.tool_calls) == 1
    call = reply.tool_calls[0]
    assert call.call_id.startswith("call_")
    return call.name, json.loads(call.arguments)


async def test_auto_calls_matching_tool_with_words_from_the_request(scripted):
    reply = await scripted.respond(
        user("What's the weather in Paris in fahrenheit?"), tools=[WEATHER, CALCULATOR]
    )
    assert _only_call(reply) == ("get_weather", {"city": "Paris", "unit": "fahrenheit"})


async def test_auto_fills_numbers_for_nested_chat_tool_shape(scripted):
    reply = await scripted.respond(user("Please add the numbers 17 and 25"), tools=[WEATHER, CALCULATOR])
    assert _only_call(reply) == ("add_numbers", {"a": 17, "b": 25})


async def test_auto_does_not_call_an_unrelated_tool(scripted):
    reply = await scripted.respond(user("Tell me a joke"), tools=[WEATHER])
    assert reply.tool_calls == [] and "sound engineer" in reply.text


async def test_required_calls_the_best_tool_even_without_a_match(scripted):
    name, arguments = _only_call(
        await scripted.respond(user("hello there"), tools=[WEATHER], tool_choice="required")
    )
    assert name == "get_weather"
    jsonschema.validate(arguments, WEATHER["parameters"])


@pytest.mark.parametrize(
    "choice",
    [{"type": "function", "name": "set_timer"}, {"type": "function", "function": {"name": "set_timer"}}],
    ids=["realtime-shape", "chat-shape"],
)
async def test_named_tool_choice_forces_that_tool(scripted, choice):
    reply = await scripted.respond(
        user('Set a timer for 500 minutes called "pasta"'), tools=[WEATHER, TIMER], tool_choice=choice
    )
    name, arguments = _only_call(reply)
    assert name == "set_timer"
    assert arguments == {"minutes": 120, "label": "pasta"}  # clamped to the schema's maximum
    jsonschema.validate(arguments, TIMER["parameters"])


async def test_tool_choice_none_never_calls(scripted):
    reply = await scripted.respond(user("weather in Paris"), tools=[WEATHER], tool_choice="none")
    assert reply.tool_calls == []


@pytest.mark.parametrize(
    ("tools", "choice"),
    [([WEATHER], {"type": "function", "name": "nope"}), ([], "required")],
    ids=["unknown-name", "required-without-tools"],
)
async def test_impossible_tool_choice_is_a_parameter_error(scripted, tools, choice):
    with pytest.raises(ParameterError) as caught:
        await scripted.respond(user("hi"), tools=tools, tool_choice=choice)
    assert caught.value.param == "tool_choice"


async def test_answers_from_the_tool_result(scripted):
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": json.dumps({"temperature_c": 21, "sky": "clear"}),
        },
    ]
    reply = await scripted.respond(messages, tools=[WEATHER])
    assert reply == Reply("Here is what get_weather returned: temperature c 21, sky clear.", [])


SCHEMAS = {
    "enum-default": (
        {
            "type": "object",
            "required": ["mode"],
            "properties": {"mode": {"type": "string", "enum": ["fast", "slow"], "default": "slow"}},
        },
        "do it",
        {"mode": "slow"},
    ),
    "enum-mentioned": (
        {"type": "object", "required": ["mode"], "properties": {"mode": {"enum": ["fast", "slow"]}}},
        "go FAST please",
        {"mode": "fast"},
    ),
    "exclusive-min": (
        {
            "type": "object",
            "required": ["n"],
            "properties": {"n": {"type": "integer", "exclusiveMinimum": 0}},
        },
        "none here",
        {"n": 1},
    ),
    "number-range": (
        {
            "type": "object",
            "required": ["x"],
            "properties": {"x": {"type": "number", "minimum": -1, "maximum": 1}},
        },
        "set it to 3.5",
        {"x": 1.0},
    ),
    "array-minitems": (
        {
            "type": "object",
            "required": ["tags"],
            "properties": {"tags": {"type": "array", "items": {"type": "string"}, "minItems": 2}},
        },
        'tag it "red"',
        None,
    ),
    "nested-object": (
        {
            "type": "object",
            "required": ["where"],
            "properties": {
                "where": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}
            },
        },
        "flights to Tokyo",
        {"where": {"city": "Tokyo"}},
    ),
    "nullable-anyof": (
        {
            "type": "object",
            "required": ["q"],
            "properties": {"q": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
        },
        "search for cats",
        None,
    ),
    "date-format": (
        {"type": "object", "required": ["day"], "properties": {"day": {"type": "string", "format": "date"}}},
        "book it",
        {"day": "2026-11-21"},
    ),
    "email-min-length": (
        {
            "type": "object",
            "required": ["email", "code"],
            "properties": {
                "email": {"type": "string", "format": "email"},
                "code": {"type": "string", "minLength": 6},
            },
        },
        "mail ada@example.org",
        None,
    ),
    "no-parameters": ({"type": "object", "properties": {}}, "anything", {}),
    "const-and-bool": (
        {
            "type": "object",
            "required": ["v", "ok"],
            "properties": {"v": {"const": 2}, "ok": {"type": "boolean"}},
        },
        "x",
        {"v": 2, "ok": False},
    ),
}


@pytest.mark.parametrize("case", list(SCHEMAS), ids=list(SCHEMAS))
def test_fill_arguments_is_schema_valid(case):
    schema, text, expected = SCHEMAS[case]
    arguments = fill_arguments(schema, text, clock=lambda: NOW)
    jsonschema.validate(arguments, schema, format_checker=jsonschema.FormatChecker())
    if expected is not None:
        assert arguments == expected


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
    return create_app(EmulatorSettings(api_key="upstream-key", fixed_time="2026-11-21T14:05:00Z"))


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
