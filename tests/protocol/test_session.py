"""Session normalisation shared by ``session.update`` and ``POST /v1/realtime/client_secrets``."""

from __future__ import annotations

import pytest

from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.session import (
    apply_update,
    default_session,
    normalize_session,
    session_request,
    validate_session,
)

CONFIGS = {
    "realtime-default": {"type": "realtime"},
    "transcription-default": {"type": "transcription"},
    "voice-instructions": {
        "type": "realtime",
        "instructions": "Be brief.",
        "audio": {"output": {"voice": "ash"}},
    },
    "manual-turns": {"type": "realtime", "audio": {"input": {"turn_detection": None}}},
    "semantic-vad": {
        "type": "realtime",
        "audio": {"input": {"turn_detection": {"type": "semantic_vad", "eagerness": "high"}}},
    },
    "idle-timeout": {
        "type": "realtime",
        "audio": {"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 6000}}},
    },
    "g711-tools-limits": {
        "type": "realtime",
        "output_modalities": ["text"],
        "audio": {"input": {"format": {"type": "audio/pcmu"}}, "output": {"format": {"type": "audio/pcma"}}},
        "tools": [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}],
        "tool_choice": {"type": "function", "name": "lookup"},
        "max_output_tokens": 200,
        "tracing": "auto",
        "include": ["item.input_audio_transcription.logprobs"],
    },
    "transcription-whisper": {
        "type": "transcription",
        "audio": {
            "input": {
                "transcription": {"model": "whisper-1", "language": "ja"},
                "noise_reduction": {"type": "far_field"},
            }
        },
    },
}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_a_normalised_session_round_trips_through_its_request_form(config):
    """What a key stores comes back unchanged when a connection applies it (nulls included)."""
    stored = normalize_session(config, session_id="sess_key", model="gpt-realtime", expires_at=99)
    body = validate_session(session_request(stored))  # accepted by the realtime side's validation
    fresh = default_session(stored["type"], session_id="sess_key", model="gpt-realtime", expires_at=99)
    assert apply_update(fresh, body, voice_locked=False) == stored


def test_normalise_fills_defaults_and_keeps_what_was_sent():
    session = normalize_session(
        {
            "type": "realtime",
            "audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 0.8}}},
        },
        session_id="s",
    )
    vad = session["audio"]["input"]["turn_detection"]
    assert (vad["threshold"], vad["silence_duration_ms"], vad["create_response"]) == (0.8, 500, True)
    assert session["audio"]["output"] == {
        "format": {"type": "audio/pcm", "rate": 24000},
        "voice": "alloy",
        "speed": 1.0,
    }


@pytest.mark.parametrize(
    "config, code, param",
    [
        ({"type": "realtime", "voice": "ash"}, "unknown_parameter", "session.voice"),
        (
            {"type": "realtime", "audio": {"output": {"voice": "hal"}}},
            "invalid_value",
            "session.audio.output.voice",
        ),
        ({"type": "video"}, "invalid_value", "session.type"),
        ({}, "missing_required_parameter", "session.type"),
    ],
    ids=["beta-field", "voice", "type", "no-type"],
)
def test_normalise_names_the_bad_parameter(config, code, param):
    with pytest.raises(ProtocolError) as info:
        normalize_session(config, session_id="s")
    assert (info.value.code, info.value.param) == (code, param)
