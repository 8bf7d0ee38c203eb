"""Fixtures and tools shared by the responder tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from voicelab.emulator.responder import (
    Reply,
    ScriptedResponder,
)

__all__ = ["CALCULATOR", "NOW", "TIMER", "WEATHER", "only_call", "user"]

NOW = datetime(2026, 11, 21, 14, 5, tzinfo=UTC)


@pytest.fixture
def scripted() -> ScriptedResponder:
    return ScriptedResponder(clock=lambda: NOW)


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


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


def only_call(reply: Reply):
    assert reply.text == "" and len(reply.tool_calls) == 1
    call = reply.tool_calls[0]
    assert call.call_id.startswith("call_")
    return call.name, json.loads(call.arguments)


TIME = {
    "type": "function",
    "name": "get_time",
    "description": "Get the current local time in a city",
    "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}},
}
"""A second tool that a question can match together with a weather tool (``parallel_tool_calls``)."""
WEATHER_AND_TIME = "What's the weather in Paris, and the time there?"
