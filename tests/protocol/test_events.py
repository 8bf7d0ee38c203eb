"""Server event constructors: what they build is valid under the strict adapter openai-agents parses with."""

from __future__ import annotations

import json

import pytest

from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.events import (
    SERVER_EVENT_ADAPTER,
    error_event,
    server_event,
    server_event_types,
    session_event,
)
from voicelab.protocol.session import default_session


def strict(event):
    return SERVER_EVENT_ADAPTER.validate_python(json.loads(json.dumps(event)), strict=True)


def test_error_event_is_strictly_valid_and_carries_the_client_event_id():
    error = ProtocolError("invalid_value", "Invalid value: 'nova'.", "session.audio.output.voice")
    parsed = strict(error_event("event_1", error, client_event_id="evt_client"))
    assert (parsed.error.code, parsed.error.param, parsed.error.event_id) == (
        "invalid_value",
        "session.audio.output.voice",
        "evt_client",
    )


@pytest.mark.parametrize("kind", ["realtime", "transcription"])
@pytest.mark.parametrize("event_type", ["session.created", "session.updated"])
def test_session_events_with_the_default_sessions_are_strictly_valid(event_type, kind):
    session = default_session(kind, session_id="sess_1", model="gpt-realtime", expires_at=1)
    assert strict(session_event(event_type, "event_1", session)).type == event_type


@pytest.mark.parametrize(
    "event_type, fields",
    [
        ("input_audio_buffer.speech_started", {"audio_start_ms": 120, "item_id": "item_1"}),
        ("input_audio_buffer.speech_stopped", {"audio_end_ms": 900, "item_id": "item_1"}),
        ("input_audio_buffer.committed", {"item_id": "item_1", "previous_item_id": None}),
        ("conversation.item.truncated", {"item_id": "item_1", "content_index": 0, "audio_end_ms": 500}),
        (
            "rate_limits.updated",
            {"rate_limits": [{"name": "requests", "limit": 10, "remaining": 9, "reset_seconds": 6.0}]},
        ),
    ],
)
def test_built_events_are_strictly_valid(event_type, fields):
    assert strict(server_event(event_type, "event_1", **fields)).type == event_type


def test_missing_and_unknown_fields_are_refused_where_the_event_is_made():
    with pytest.raises(TypeError, match="lacks required field"):
        server_event("input_audio_buffer.speech_started", "event_1", item_id="item_1")
    with pytest.raises(TypeError, match="has no field"):
        server_event("input_audio_buffer.cleared", "event_1", item_id="item_1")
    with pytest.raises(TypeError, match="unknown server event type"):
        server_event("conversation.item.created.v2", "event_1")


def test_types_come_from_the_sdk_union():
    types = server_event_types()
    assert len(types) == len(set(types)) >= 46
    assert {"error", "session.created", "response.done", "conversation.item.added"} <= set(types)
