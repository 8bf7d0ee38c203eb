"""Bad client input gets an OpenAI-shaped ``error`` event (type, code, message, param, the client's event_id),
and the session keeps working afterwards."""

from __future__ import annotations

import base64

import pytest

SPOKEN = {
    "type": "conversation.item.create",
    "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "ok?"}]},
}

CASES = [
    # (id, event, code, param, message fragment)
    ("unknown-type", {"type": "session.upd"}, "invalid_value", "type", "Invalid value: 'session.upd'"),
    (
        "missing-type",
        {"event_id": "x"},
        "missing_required_parameter",
        "type",
        "Missing required parameter: 'type'",
    ),
    ("type-not-string", {"type": 5}, "invalid_type", "type", "expected a string, but got an integer"),
    (
        "unknown-field",
        {"type": "input_audio_buffer.clear", "foo": 1},
        "unknown_parameter",
        "foo",
        "Unknown parameter: 'foo'.",
    ),
    (
        "missing-audio",
        {"type": "input_audio_buffer.append"},
        "missing_required_parameter",
        "audio",
        "Missing required parameter: 'audio'.",
    ),
    (
        "audio-not-string",
        {"type": "input_audio_buffer.append", "audio": 12},
        "invalid_type",
        "audio",
        "Invalid type for 'audio'",
    ),
    (
        "bad-base64",
        {"type": "input_audio_buffer.append", "audio": "not base64!!"},
        "invalid_value",
        "audio",
        "base64",
    ),
    (
        "odd-pcm-bytes",
        {"type": "input_audio_buffer.append", "audio": base64.b64encode(b"abc").decode()},
        "invalid_value",
        "audio",
        "even number of bytes",
    ),
    (
        "empty-commit",
        {"type": "input_audio_buffer.commit"},
        "input_audio_buffer_commit_empty",
        None,
        "Expected at least 100ms of audio, but buffer only has 0.00ms of audio",
    ),
    ("session-missing", {"type": "session.update"}, "missing_required_parameter", "session", "'session'"),
    (
        "session-type-missing",
        {"type": "session.update", "session": {"instructions": "x"}},
        "missing_required_parameter",
        "session.type",
        "'session.type'",
    ),
    (
        "session-unknown-field",
        {"type": "session.update", "session": {"type": "realtime", "voice": "alloy"}},
        "unknown_parameter",
        "session.voice",
        "Unknown parameter: 'session.voice'.",
    ),
    (
        "speed-too-high",
        {"type": "session.update", "session": {"type": "realtime", "audio": {"output": {"speed": 2.0}}}},
        "decimal_above_max_value",
        "session.audio.output.speed",
        "Expected a value <= 1.5, but got 2.0",
    ),
    (
        "threshold-negative",
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": -0.1}}},
            },
        },
        "decimal_below_min_value",
        "session.audio.input.turn_detection.threshold",
        "Expected a value >= 0.0",
    ),
    (
        "bad-vad-type",
        {
            "type": "session.update",
            "session": {"type": "realtime", "audio": {"input": {"turn_detection": {"type": "loud_vad"}}}},
        },
        "invalid_value",
        "session.audio.input.turn_detection.type",
        "Supported values are: 'server_vad' and 'semantic_vad'.",
    ),
    (
        "bad-format",
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}},
            },
        },
        "invalid_value",
        "session.audio.input.format.rate",
        "'16000'",
    ),
    (
        "bad-voice",
        {"type": "session.update", "session": {"type": "realtime", "audio": {"output": {"voice": "robot"}}}},
        "invalid_value",
        "session.audio.output.voice",
        "'robot'",
    ),
    (
        "two-modalities",
        {"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text", "audio"]}},
        "array_above_max_length",
        "session.output_modalities",
        "maximum length 1",
    ),
    (
        "max-tokens-range",
        {"type": "response.create", "response": {"max_output_tokens": 5000}},
        "integer_above_max_value",
        "response.max_output_tokens",
        "Expected a value <= 4096",
    ),
    (
        "idle-timeout-range",
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 100}}},
            },
        },
        "integer_below_min_value",
        "session.audio.input.turn_detection.idle_timeout_ms",
        "Expected a value >= 5000",
    ),
    (
        "session-kind-change",
        {"type": "session.update", "session": {"type": "transcription"}},
        "invalid_value",
        "session.type",
        "Cannot update a realtime session",
    ),
    ("item-missing", {"type": "conversation.item.create"}, "missing_required_parameter", "item", "'item'"),
    (
        "item-bad-role",
        {"type": "conversation.item.create", "item": {"type": "message", "role": "robot", "content": []}},
        "invalid_value",
        "item.role",
        "'robot'",
    ),
    (
        "item-role-content-mismatch",
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "input_text", "text": "x"}],
            },
        },
        "invalid_value",
        "item.content[0].type",
        "Supported values are: 'output_text' and 'output_audio'.",  # the SDK's assistant content types
    ),
    (
        "item-previous-unknown",
        {**SPOKEN, "previous_item_id": "item_nope"},
        "invalid_value",
        "previous_item_id",
        "'item_nope' does not exist",
    ),
    (
        "function-output-missing-call",
        {"type": "conversation.item.create", "item": {"type": "function_call_output", "output": "{}"}},
        "missing_required_parameter",
        "item.call_id",
        "'item.call_id'",
    ),
    (
        "retrieve-unknown",
        {"type": "conversation.item.retrieve", "item_id": "item_nope"},
        "invalid_value",
        "item_id",
        "does not exist",
    ),
    (
        "delete-unknown",
        {"type": "conversation.item.delete", "item_id": "item_nope"},
        "invalid_value",
        "item_id",
        "does not exist",
    ),
    (
        "truncate-unknown",
        {"type": "conversation.item.truncate", "item_id": "item_nope", "content_index": 0, "audio_end_ms": 0},
        "invalid_value",
        "item_id",
        "does not exist",
    ),
    (
        "truncate-negative",
        {"type": "conversation.item.truncate", "item_id": "x", "content_index": 0, "audio_end_ms": -5},
        "integer_below_min_value",
        "audio_end_ms",
        ">= 0",
    ),
    (
        "cancel-none-active",
        {"type": "response.cancel"},
        "response_cancel_not_active",
        None,
        "no active response",
    ),
    (
        "cancel-unknown-id",
        {"type": "response.cancel", "response_id": "resp_nope"},
        "response_cancel_not_active",
        None,
        "no active response",
    ),
    (
        "response-conversation-bad",
        {"type": "response.create", "response": {"conversation": "other"}},
        "invalid_value",
        "response.conversation",
        "'other'",
    ),
    (
        "response-input-unknown-ref",
        {"type": "response.create", "response": {"input": [{"type": "item_reference", "id": "item_nope"}]}},
        "invalid_value",
        "response.input[0].id",
        "does not exist",
    ),
    (
        "tools-bad-shape",
        {"type": "session.update", "session": {"type": "realtime", "tools": [{"type": "function"}]}},
        "missing_required_parameter",
        "session.tools[0].name",
        "'session.tools[0].name'",
    ),
    (
        "output-buffer-clear-websocket",
        {"type": "output_audio_buffer.clear"},
        "invalid_value",
        "type",
        "only supported for WebRTC and SIP",
    ),
]


def assert_session_still_works(driver):
    events = driver.send(SPOKEN)
    assert driver.types(events) == ["conversation.item.added", "conversation.item.done"]
    done = [e for e in driver.send({"type": "response.create"}) if e["type"] == "response.done"]
    assert done and done[0]["response"]["status"] == "completed"


@pytest.mark.parametrize("event, code, param, fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_event_gets_error_and_session_continues(make_driver, event, code, param, fragment):
    driver = make_driver()
    sent = {**event, "event_id": "evt_client_42"} if "event_id" not in event else event
    out = driver.send(sent)
    assert len(out) == 1 and out[0]["type"] == "error"
    error = out[0]["error"]
    assert error["type"] == "invalid_request_error"
    assert error["code"] == code
    assert error["param"] == param
    assert fragment in error["message"]
    assert error["event_id"] == sent.get("event_id")
    assert_session_still_works(driver)


@pytest.mark.parametrize(
    "text",
    ["{not json", "", "[1, 2]", "null", "42", '"a string"'],
    ids=["broken", "empty", "array", "null", "number", "string"],
)
def test_non_json_or_non_object(make_driver, text):
    driver = make_driver()
    out = driver.send_text(text)
    assert out[0]["type"] == "error" and out[0]["error"]["code"] == "invalid_event"
    assert_session_still_works(driver)


def test_second_response_while_active(make_driver):
    driver = make_driver(auto=False)
    driver.send(SPOKEN)
    first = driver.send({"type": "response.create", "event_id": "evt_1"})[0]["response"]["id"]
    out = driver.send({"type": "response.create", "event_id": "evt_2"})
    error = out[0]["error"]
    assert error["code"] == "conversation_already_has_active_response"
    assert first in error["message"] and error["event_id"] == "evt_2"
    # an out-of-band response may run alongside
    assert (
        driver.send({"type": "response.create", "response": {"conversation": "none"}})[0]["type"]
        == "response.created"
    )
    while driver.pending:
        driver.step()
    assert driver.core.default_response is None


def test_truncate_past_the_audio_uses_openai_message(make_driver):
    driver = make_driver(piece_seconds=1.225)
    driver.send(SPOKEN)
    driver.send({"type": "response.create"})
    item = driver.core.items[1]
    assert int(item.audio_ms) == 2450
    out = driver.send(
        {
            "type": "conversation.item.truncate",
            "item_id": item.id,
            "content_index": 0,
            "audio_end_ms": 2535,
            "event_id": "evt_t",
        }
    )
    error = out[0]["error"]
    assert error["message"] == "Audio content of 2450ms is already shorter than 2535ms"
    assert error["param"] == "audio_end_ms" and error["event_id"] == "evt_t"
    assert int(item.audio_ms) == 2450  # unchanged
    user = driver.core.items[0]
    out = driver.send(
        {"type": "conversation.item.truncate", "item_id": user.id, "content_index": 0, "audio_end_ms": 0}
    )
    assert out[0]["error"]["param"] == "item_id"
    out = driver.send(
        {"type": "conversation.item.truncate", "item_id": item.id, "content_index": 3, "audio_end_ms": 0}
    )
    assert out[0]["error"]["param"] == "content_index"
    assert_session_still_works(driver)


def test_duplicate_item_id(make_driver):
    driver = make_driver()
    driver.send({**SPOKEN, "item": {**SPOKEN["item"], "id": "item_same"}})
    out = driver.send({**SPOKEN, "item": {**SPOKEN["item"], "id": "item_same"}})
    assert out[0]["error"]["param"] == "item.id"


def test_failed_responder_ends_response_failed(make_driver):
    driver = make_driver(auto=False)
    driver.send(SPOKEN)
    rid = driver.send({"type": "response.create"})[0]["response"]["id"]
    events = driver.run(driver.core.response_failed(rid, "boom"))
    done = next(e for e in events if e["type"] == "response.done")["response"]
    assert done["status"] == "failed" and done["status_details"]["error"]["message"] == "boom"
    driver.pending.clear()
    driver.auto = True
    assert_session_still_works(driver)
