"""The scripted responder: built-ins, rules, tool calls by tool_choice, answers to tool results."""

from __future__ import annotations

import json

import jsonschema
import pytest

from voicelab.emulator.responder import (
    Reply,
)
from voicelab.errors import ParameterError

from .conftest import CALCULATOR, TIMER, WEATHER, only_call, user


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


async def test_auto_calls_matching_tool_with_words_from_the_request(scripted):
    reply = await scripted.respond(
        user("What's the weather in Paris in fahrenheit?"), tools=[WEATHER, CALCULATOR]
    )
    assert only_call(reply) == ("get_weather", {"city": "Paris", "unit": "fahrenheit"})


async def test_auto_fills_numbers_for_nested_chat_tool_shape(scripted):
    reply = await scripted.respond(user("Please add the numbers 17 and 25"), tools=[WEATHER, CALCULATOR])
    assert only_call(reply) == ("add_numbers", {"a": 17, "b": 25})


async def test_auto_does_not_call_an_unrelated_tool(scripted):
    reply = await scripted.respond(user("Tell me a joke"), tools=[WEATHER])
    assert reply.tool_calls == [] and "sound engineer" in reply.text


async def test_required_calls_the_best_tool_even_without_a_match(scripted):
    name, arguments = only_call(
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
    name, arguments = only_call(reply)
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


async def test_arguments_are_built_off_the_event_loop(scripted, monkeypatch):
    """Deciding the reply and filling a tool's arguments (bounded, but not free for large schemas) never runs
    on the event loop."""
    import threading

    threads = []
    real_respond_sync = scripted.respond_sync

    def spying_respond_sync(*args, **kwargs):
        threads.append(threading.get_ident())
        return real_respond_sync(*args, **kwargs)

    monkeypatch.setattr(scripted, "respond_sync", spying_respond_sync)
    reply = await scripted.respond(user("What is the weather in Paris?"), tools=[WEATHER])
    assert reply.tool_calls
    assert threads and threads[0] != threading.get_ident()  # not the loop's thread


def test_a_tool_result_that_arrived_during_the_next_turn_is_said_on_the_follow_up():
    """Asynchronous function calling: the result came in while the user's next question was answered, so
    it sits before that answer; the follow-up response is about the result, not the question again."""
    from voicelab.emulator.responder.scripted import ScriptedResponder

    call = {"id": "call_1", "type": "function", "function": {"name": "slow_weather", "arguments": "{}"}}
    messages = [
        {"role": "user", "content": "What does the slow weather service say?"},
        {"role": "assistant", "content": "Let me check that for you.", "tool_calls": [call]},
        {"role": "user", "content": "What is 12 times 7?"},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"sky": "cloudy"}'},
        {"role": "assistant", "content": "12 times 7 is 84."},
    ]
    said = ScriptedResponder().respond_sync(messages).text
    assert said == "Here is what slow_weather returned: sky cloudy."
    assert ScriptedResponder().respond_sync(messages[:3]).text == "12 times 7 is 84."
