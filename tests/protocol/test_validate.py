"""Client events and session objects checked with the SDK's own models, in OpenAI's words."""

from __future__ import annotations

import pytest

from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.validate import client_event_types, validate_client_event, validate_session

USER_TEXT = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}

VALID = {
    "session.update": {
        "session": {"type": "realtime", "instructions": "Be brief.", "audio": {"output": {"voice": "marin"}}}
    },
    "input_audio_buffer.append": {"audio": "AAAA"},
    "input_audio_buffer.commit": {},
    "input_audio_buffer.clear": {},
    "output_audio_buffer.clear": {},
    "conversation.item.create": {"item": USER_TEXT, "previous_item_id": None},
    "conversation.item.retrieve": {"item_id": "item_1"},
    "conversation.item.truncate": {"item_id": "item_1", "content_index": 0, "audio_end_ms": 1500},
    "conversation.item.delete": {"item_id": "item_1"},
    "response.create": {
        "response": {
            "conversation": "none",
            "output_modalities": ["text"],
            "input": [USER_TEXT, {"type": "item_reference", "id": "item_1"}],
            "max_output_tokens": "inf",
            "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
        }
    },
    "response.cancel": {"response_id": "resp_1"},
}


def test_the_examples_cover_every_client_event_of_the_sdk():
    assert set(VALID) == set(client_event_types())


@pytest.mark.parametrize("event_type", sorted(VALID))
def test_valid_events_pass_unchanged(event_type):
    event = {"type": event_type, "event_id": "evt_1", **VALID[event_type]}
    assert validate_client_event(event) is event


def _session(**fields):
    return {"type": "session.update", "session": {"type": "realtime", **fields}}


def _vad(**fields):
    return _session(audio={"input": {"turn_detection": {"type": "server_vad", **fields}}})


CASES = [
    # (id, event, code, param, exact message or None)
    (
        "nested-unknown",
        _vad(foo=1),
        "unknown_parameter",
        "session.audio.input.turn_detection.foo",
        "Unknown parameter: 'session.audio.input.turn_detection.foo'.",
    ),
    (
        "unknown-in-list",
        {
            "type": "conversation.item.create",
            "item": {**USER_TEXT, "content": [{"type": "input_text", "text": "x", "bold": True}]},
        },
        "unknown_parameter",
        "item.content[0].bold",
        None,
    ),
    (
        "string-for-integer",
        _vad(silence_duration_ms="500"),
        "invalid_type",
        "session.audio.input.turn_detection.silence_duration_ms",
        "Invalid type for 'session.audio.input.turn_detection.silence_duration_ms': expected an integer, "
        "but got a string instead.",
    ),
    (
        "tag-not-matching",
        _session(audio={"input": {"turn_detection": {"type": "loud_vad"}}}),
        "invalid_value",
        "session.audio.input.turn_detection.type",
        "Invalid value: 'loud_vad'. Supported values are: 'server_vad' and 'semantic_vad'.",
    ),
    (
        "branch-by-tag",
        _session(audio={"input": {"format": {"type": "audio/pcm", "rate": 16000}}}),
        "invalid_value",
        "session.audio.input.format.rate",
        "Invalid value: '16000'. Supported values are: '24000'.",
    ),
    (
        "closed-set",
        {"type": "response.create", "response": {"conversation": "other"}},
        "invalid_value",
        "response.conversation",
        "Invalid value: 'other'. Supported values are: 'auto' and 'none'.",
    ),
    (
        "realtime-voice",
        _session(audio={"output": {"voice": "fable"}}),
        "invalid_value",
        "session.audio.output.voice",
        None,
    ),
    (
        "speed",
        _session(audio={"output": {"speed": 0.2}}),
        "decimal_below_min_value",
        "session.audio.output.speed",
        "Invalid 'session.audio.output.speed': decimal below minimum value. Expected a value >= 0.25, "
        "but got 0.2 instead.",
    ),
    (
        "idle-timeout",
        _vad(idle_timeout_ms=31_000),
        "integer_above_max_value",
        "session.audio.input.turn_detection.idle_timeout_ms",
        None,
    ),
    (
        "tool-name-length",
        _session(tools=[{"type": "function", "name": "x" * 65}]),
        "string_above_max_length",
        "session.tools[0].name",
        None,
    ),
    (
        "tool-name-required",
        _session(tools=[{"description": "no name"}]),
        "missing_required_parameter",
        "session.tools[0].name",
        "Missing required parameter: 'session.tools[0].name'.",
    ),
    (
        "content-type-required",
        {"type": "conversation.item.create", "item": {**USER_TEXT, "content": [{"text": "x"}]}},
        "missing_required_parameter",
        "item.content[0].type",
        None,
    ),
    (
        "modalities",
        _session(output_modalities=["text", "audio"]),
        "array_above_max_length",
        "session.output_modalities",
        None,
    ),
    (
        "event-id-length",
        {"type": "input_audio_buffer.clear", "event_id": "e" * 513},
        "string_above_max_length",
        "event_id",
        None,
    ),
    ("unknown-type", {"type": "session.upd"}, "invalid_value", "type", None),
]


@pytest.mark.parametrize("event, code, param, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_events_name_the_parameter_in_openais_words(event, code, param, message):
    with pytest.raises(ProtocolError) as info:
        validate_client_event(event)
    assert (info.value.code, info.value.param) == (code, param)
    if message is not None:
        assert info.value.message == message


def test_session_alone_uses_the_same_paths_as_the_event():
    with pytest.raises(ProtocolError) as info:
        validate_session({"type": "realtime", "audio": {"output": {"speed": 2.0}}})
    assert info.value.param == "session.audio.output.speed"
    with pytest.raises(ProtocolError) as info:
        validate_session({"type": "transcription", "audio": {"output": {"voice": "ash"}}})
    assert (info.value.code, info.value.param) == ("unknown_parameter", "session.audio.output")


def test_transcription_session_is_accepted():
    session = {
        "type": "transcription",
        "audio": {"input": {"transcription": {"model": "whisper-1", "language": "ja"}}},
    }
    assert validate_session(session) is session
