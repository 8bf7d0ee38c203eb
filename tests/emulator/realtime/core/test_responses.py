"""Responses: modalities, overrides, function calls, cancel, token limits and usage.

Driven with plain dicts; the driver validates every event against the SDK's types.
"""

from __future__ import annotations

import json

import numpy as np

from voicelab.emulator.realtime.effects import GenerateReply, StopResponse, Synthesize

from .conftest import last, user_text


def test_usage_follows_documented_rules(make_driver, signals):
    driver = make_driver(vad=True)
    events = driver.append(
        np.concatenate([signals["silence"](0.5), signals["tone"](1.0), signals["silence"](1.0)])
    )
    usage = last(events, "response.done")["response"]["usage"]
    user_ms = driver.core.items[0].audio_ms
    assert usage["input_token_details"]["audio_tokens"] == int(np.ceil(user_ms / 100))  # 1 token / 100 ms
    assert usage["output_token_details"]["audio_tokens"] == int(0.8 * 1000 / 50)  # 1 token / 50 ms
    assert usage["output_token_details"]["text_tokens"] == 8  # "You said: hello there. Nice!" in o200k_base
    assert (
        usage["input_tokens"]
        == usage["input_token_details"]["text_tokens"] + usage["input_token_details"]["audio_tokens"]
    )
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["input_token_details"]["cached_tokens"] == 0
    limits = last(events, "rate_limits.updated")["rate_limits"]
    assert [r["name"] for r in limits] == ["requests", "tokens"]
    assert limits[1]["remaining"] == limits[1]["limit"] - usage["total_tokens"]


def test_second_turn_rebills_conversation_and_caches_prefix(make_driver):
    driver = make_driver()
    driver.send(user_text("Hello"))
    first = last(driver.send({"type": "response.create"}), "response.done")["response"]["usage"]
    driver.send(user_text("Again"))
    second = last(driver.send({"type": "response.create"}), "response.done")["response"]["usage"]
    assistant_item = driver.core.items[1]
    # the second input holds everything of the first + the assistant's reply (text + audio) + the new message
    expected_audio = first["input_token_details"]["audio_tokens"] + int(np.ceil(assistant_item.audio_ms / 50))
    assert second["input_token_details"]["audio_tokens"] == expected_audio
    assert second["input_tokens"] > first["input_tokens"] + first["output_token_details"]["audio_tokens"] - 1
    # the unchanged prefix (instructions, tools, first user message) is cached
    assert second["input_token_details"]["cached_tokens"] == first["input_tokens"]
    cached = second["input_token_details"]["cached_tokens_details"]
    assert cached["text_tokens"] + cached["audio_tokens"] == second["input_token_details"]["cached_tokens"]


def test_truncation_busts_the_cache_from_the_truncated_item(make_driver):
    driver = make_driver()
    driver.send(user_text("Hello"))
    driver.send({"type": "response.create"})
    driver.send(user_text("Again"))
    second = last(driver.send({"type": "response.create"}), "response.done")["response"]["usage"]
    assistant = driver.core.items[1]
    driver.send(
        {
            "type": "conversation.item.truncate",
            "item_id": assistant.id,
            "content_index": 0,
            "audio_end_ms": 100,
        }
    )
    third = last(driver.send({"type": "response.create"}), "response.done")["response"]["usage"]
    assert (
        0
        < third["input_token_details"]["cached_tokens"]
        < second["input_token_details"]["cached_tokens"] + second["input_tokens"]
    )
    # after truncation only 100 ms of that reply is billed (2 tokens) and its transcript is gone
    assert assistant.segment().audio_tokens == 2 and assistant.segment().text_tokens == 0


def test_text_modality_response(make_driver):
    driver = make_driver()
    driver.send(user_text("Hi"))
    events = driver.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
    types = driver.types(events)
    assert types[:4] == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
    ]
    assert types[-6:] == [
        "response.output_text.done",
        "response.content_part.done",
        "conversation.item.done",
        "response.output_item.done",
        "response.done",
        "rate_limits.updated",
    ]
    assert last(events, "response.output_text.done")["text"] == "You said: Hi. Nice!"
    assert "response.output_audio.delta" not in types
    assert last(events, "response.done")["response"]["usage"]["output_token_details"]["audio_tokens"] == 0


def test_response_overrides_instructions_tools_and_out_of_band(make_driver):
    driver = make_driver(auto=False)
    driver.send(user_text("Hi"))
    events = driver.send(
        {
            "type": "response.create",
            "response": {
                "conversation": "none",
                "instructions": "Speak like a pirate.",
                "output_modalities": ["text"],
                "metadata": {"topic": "test"},
                "input": [
                    {
                        "type": "message",
                        "role": "user",
                        "content": [{"type": "input_text", "text": "Only this"}],
                    }
                ],
            },
        }
    )
    created = events[0]["response"]
    assert created["conversation_id"] is None and created["metadata"] == {"topic": "test"}
    effect = driver.pending[0]
    assert isinstance(effect, GenerateReply) and effect.instructions == "Speak like a pirate."
    assert driver.core.messages_for(effect.response_id) == [{"role": "user", "content": "Only this"}]
    events = driver.step()
    assert "conversation.item.added" not in driver.types(events)  # out-of-band: not added to the conversation
    assert len(driver.core.items) == 1
    assert last(events, "response.output_text.done")["text"] == "You said: Only this. Nice!"


def test_function_call_then_follow_up(make_driver):
    tools = [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        }
    ]
    driver = make_driver()
    driver.send({"type": "session.update", "session": {"type": "realtime", "tools": tools}})
    driver.send(user_text("What's the weather in Paris?"))
    events = driver.send({"type": "response.create"})
    types = [t for i, t in enumerate(driver.types(events)) if i == 0 or t != events[i - 1]["type"]]
    assert types == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "conversation.item.done",
        "response.output_item.done",
        "response.done",
        "rate_limits.updated",
    ]
    done_args = last(events, "response.function_call_arguments.done")
    deltas = [e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"]
    assert "".join(deltas) == done_args["arguments"]
    assert done_args["name"] == "get_weather" and json.loads(done_args["arguments"]) == {"city": "Paris"}
    call = last(events, "response.done")["response"]["output"][0]
    assert call["type"] == "function_call" and call["call_id"] == done_args["call_id"] == "call_test1"
    driver.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "function_call_output",
                "call_id": call["call_id"],
                "output": json.dumps({"temp_c": 21}),
            },
        }
    )
    follow = driver.send({"type": "response.create"})
    assert (
        last(follow, "response.output_audio_transcript.done")["transcript"] == 'The tool said {"temp_c": 21}.'
    )
    messages = driver.core.messages_for(last(follow, "response.done")["response"]["id"])
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert messages[1]["tool_calls"][0]["function"]["name"] == "get_weather"


def test_cancel_midway_ends_incomplete_and_stops_work(make_driver, signals):
    tone = signals["tone"]
    driver = make_driver(auto=False)
    driver.send(user_text("Hi"))
    driver.send({"type": "response.create"})
    driver.step()  # GenerateReply → Synthesize queued
    synth = driver.pending[0]
    assert isinstance(synth, Synthesize) and synth.voice == "alloy"
    rid = synth.response_id
    driver.run(driver.core.audio_ready(rid, tone(0.3), "You said: "))
    events = driver.send({"type": "response.cancel"})
    types = driver.types(events)
    assert types == [
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "conversation.item.done",
        "response.output_item.done",
        "response.done",
        "rate_limits.updated",
    ]
    done = last(events, "response.done")["response"]
    assert done["status"] == "cancelled"
    assert done["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}
    assert done["output"][0]["status"] == "incomplete"
    assert done["usage"]["output_token_details"]["audio_tokens"] == 6
    assert any(isinstance(e, StopResponse) and e.response_id == rid for e in driver.effects)
    # late results of the cancelled work are ignored
    assert driver.core.audio_ready(rid, tone(0.3), "late") == []
    assert driver.core.synthesis_finished(rid) == []


def test_max_output_tokens_ends_incomplete(make_driver):
    driver = make_driver()
    driver.send(user_text("Hi"))
    events = driver.send({"type": "response.create", "response": {"max_output_tokens": 10}})
    done = last(events, "response.done")["response"]
    assert done["status"] == "incomplete"
    assert done["status_details"] == {"type": "incomplete", "reason": "max_output_tokens"}
    assert done["usage"]["output_tokens"] <= 10


def test_preamble_is_spoken_before_the_function_call_in_one_response(make_driver):
    """Asynchronous function calling: the spoken preamble (audio), then the call, then one response.done."""

    def preamble_then_call(messages, effect):
        if messages[-1]["role"] == "tool":
            return f"The tool said {messages[-1]['content']}.", []
        call = {"call_id": "call_pre1", "name": "get_weather", "arguments": json.dumps({"city": "Paris"})}
        return "Let me check that for you.", [call]

    tools = [{"type": "function", "name": "get_weather", "description": "Weather for a city"}]
    driver = make_driver(reply=preamble_then_call)
    driver.send({"type": "session.update", "session": {"type": "realtime", "tools": tools}})
    driver.send(user_text("What's the weather in Paris?"))
    events = driver.send({"type": "response.create"})
    kinds = driver.types(events)
    said = kinds.index("response.output_audio_transcript.done")
    called = kinds.index("response.function_call_arguments.done")
    assert said < called < kinds.index("response.done") == len(kinds) - 2
    assert kinds.count("response.done") == 1
    output = last(events, "response.done")["response"]["output"]
    assert [o["type"] for o in output] == ["message", "function_call"]
    assert output[0]["content"][0]["transcript"] == "Let me check that for you."
    assert output[0]["status"] == "completed" and output[1]["status"] == "completed"
    added = [e["output_index"] for e in events if e["type"] == "response.output_item.added"]
    assert added == [0, 1]
