"""ServerCore: session lifecycle, routing and the voice turn end to end.

Driven with plain dicts; the driver validates every event against the SDK's types.
"""

from __future__ import annotations

import base64

import numpy as np
import pytest

from voicelab.emulator.realtime.core import ServerCore
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.session import normalize_session

from .conftest import SR, VOICE_TURN, VOICE_TURN_END, last, user_text


def test_session_created_is_first_and_has_ga_defaults(make_driver):
    driver = make_driver(vad=True)
    first = driver.events[0]
    assert first["type"] == "session.created"
    session = first["session"]
    assert session["type"] == "realtime" and session["model"] == "gpt-realtime"
    assert session["output_modalities"] == ["audio"]
    assert session["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert session["audio"]["input"]["turn_detection"] == {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 500,
        "idle_timeout_ms": None,
        "create_response": True,
        "interrupt_response": True,
    }
    assert session["expires_at"] == 1_700_000_000 + 3600


def test_voice_turn_keeps_openai_event_order(make_driver, signals):
    driver = make_driver(vad=True)
    events = driver.append(
        np.concatenate([signals["silence"](0.5), signals["tone"](1.0), signals["silence"](1.0)])
    )
    types = driver.types(events)
    assert types[: len(VOICE_TURN)] == VOICE_TURN
    assert types[-len(VOICE_TURN_END) :] == VOICE_TURN_END
    middle = types[len(VOICE_TURN) : -len(VOICE_TURN_END)]
    assert set(middle) == {"response.output_audio_transcript.delta", "response.output_audio.delta"}
    started, stopped = events[0], events[1]
    # tone from 500 ms to 1500 ms; 300 ms prefix padding, 500 ms silence; 20 ms detector frames
    assert abs(started["audio_start_ms"] - 200) <= 20
    assert abs(stopped["audio_end_ms"] - 2000) <= 20
    assert started["item_id"] == stopped["item_id"] == events[2]["item_id"]
    done = last(events, "response.done")["response"]
    assert done["status"] == "completed"
    transcript = last(events, "response.output_audio_transcript.done")["transcript"]
    assert transcript == "You said: hello there. Nice!"
    deltas = "".join(e["delta"] for e in events if e["type"] == "response.output_audio_transcript.delta")
    assert deltas == transcript
    audio = b"".join(
        base64.b64decode(e["delta"]) for e in events if e["type"] == "response.output_audio.delta"
    )
    assert len(audio) == 2 * 2 * int(0.4 * SR)  # two sentences of 0.4 s each, PCM16
    committed_item = driver.core.items[0]
    assert committed_item.audio.size == (stopped["audio_end_ms"] - started["audio_start_ms"]) * SR // 1000


def test_voice_is_fixed_after_audio(make_driver):
    driver = make_driver()
    ok = driver.send(
        {
            "type": "session.update",
            "session": {"type": "realtime", "audio": {"output": {"voice": "marin", "speed": 1.25}}},
        }
    )[0]
    assert ok["session"]["audio"]["output"] == {
        "format": {"type": "audio/pcm", "rate": 24000},
        "voice": "marin",
        "speed": 1.25,
    }
    driver.send(user_text("Hi"))
    driver.send({"type": "response.create"})
    error = driver.send(
        {"type": "session.update", "session": {"type": "realtime", "audio": {"output": {"voice": "cedar"}}}}
    )[0]
    assert error["type"] == "error" and error["error"]["param"] == "session.audio.output.voice"


def test_transcription_intent_session(make_driver, signals):
    driver = make_driver(vad=True, intent="transcription", heard="bonjour")
    session = driver.events[0]["session"]
    assert session["type"] == "transcription"
    assert "create_response" not in session["audio"]["input"]["turn_detection"]
    updated = driver.send(
        {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {"input": {"transcription": {"model": "gpt-4o-mini-transcribe", "language": "fr"}}},
            },
        }
    )[0]
    assert updated["session"]["audio"]["input"]["transcription"]["language"] == "fr"
    events = driver.append(
        np.concatenate([signals["silence"](0.3), signals["tone"](0.8), signals["silence"](1.0)])
    )
    types = driver.types(events)
    assert "response.created" not in types
    assert types[-1] == "conversation.item.input_audio_transcription.completed"
    assert events[-1]["transcript"] == "bonjour"
    error = driver.send({"type": "response.create"})[0]
    assert error["type"] == "error"


def test_ephemeral_session_config_is_applied():
    good = ServerCore(
        session={
            "type": "realtime",
            "instructions": "From the key.",
            "audio": {"output": {"voice": "verse"}},
            "id": "sess_x",
            "expires_at": 5,
        },
        vad_factory=None,
    ).start()[0]["session"]
    assert good["instructions"] == "From the key." and good["audio"]["output"]["voice"] == "verse"
    assert good["id"] != "sess_x" and good["expires_at"] != 5  # server-set fields are the connection's own


@pytest.mark.parametrize(
    "kind, config",
    [
        ("realtime", {"type": "realtime", "audio": {"output": {"voice": "ash"}}, "instructions": "Meow."}),
        ("realtime", {"type": "realtime", "audio": {"input": {"turn_detection": None}}}),
        (
            "transcription",
            {"type": "transcription", "audio": {"input": {"transcription": {"model": "whisper-1"}}}},
        ),
    ],
    ids=["voice-instructions", "manual-turns", "transcription"],
)
def test_a_minted_session_is_applied_whole(kind, config):
    """What client_secrets stores (an effective session, nulls included) is the connection's session."""
    stored = normalize_session(config, session_id="sess_key", expires_at=123)
    assert stored["include"] is None  # the response shape the REST route stores with the key
    intent = "transcription" if kind == "transcription" else "conversation"
    core = ServerCore(session=stored, intent=intent, vad_factory=None)
    created = core.start()[0]["session"]
    strip = ("id", "expires_at")
    assert {k: v for k, v in created.items() if k not in strip} == {
        k: v for k, v in stored.items() if k not in strip
    }


def test_a_bad_key_session_raises_instead_of_being_ignored():
    with pytest.raises(ProtocolError) as info:
        ServerCore(
            session={"type": "realtime", "instructions": "From the key.", "audio": {"output": {"speed": 9}}},
            vad_factory=None,
        )
    assert info.value.type == "server_error" and info.value.param == "session.audio.output.speed"
    assert "ephemeral key" in info.value.message


def test_expire_sends_session_expired_then_close(make_driver):
    driver = make_driver()
    outputs = driver.core.expire()
    assert outputs[0]["error"]["code"] == "session_expired"
    assert type(outputs[1]).__name__ == "Close"
    assert driver.core.handle(user_text("late")) == []
